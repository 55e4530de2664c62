/**
 * lxcfs on the real kernel, with the real template and ns-fs plugins: VEs of one root
 * started at the same time — each by a runtime of its own, as separate vzctl runs —
 * share one lxcfs, which goes with the last of them; each VE's /proc/meminfo shows its
 * own RAM limit. Everything under a temp root (0711) and our own cgroup.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, defineKey, definePlugin, integer, resolvePaths, type Host, type Runtime } from '@vzkit/core';
import { createLinuxHost } from '@vzkit/linux';
import { nsFsPlugin } from '@vzkit/ns-fs';
import { templatePlugin } from '@vzkit/template';
import { lxcfsPlugin } from '../src/index.js';

const MiB = 1024 * 1024;
const canRun = process.getuid?.() === 0;

/** The RAM limit as ubc would set it, and the namespaces a busybox VE runs in. */
const RAM = defineKey({ name: 'TEST_RAM', flag: 'test_ram', live: false, type: integer({ min: 0 }), description: 'RAM limit in bytes (test)' });
const testLimits = definePlugin({
  name: 'test-limits',
  configKeys: [RAM],
  hooks: {
    async prepare(ctx, plan) {
      plan.namespaces.add('pid');
      plan.namespaces.add('ipc');
      const max = ctx.ve.config.get(RAM);
      if (max !== undefined) await ctx.host.cgroups.set(ctx.ve.cgroup, { memory: { max } });
    },
  },
});

let host: Host;
let dir: string;
const parent = `@self/vzkit-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const ids = [0, 1, 2].map((i) => 300_000 + Math.floor(Math.random() * 1_000_000_000) + i);
/** One runtime per VE, over the same root: what three vzctl processes would be. */
let runtimes: Runtime[] = [];

const lxcfsMounts = async () => (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes(dir) && l.includes('fuse.lxcfs'));

beforeAll(async () => {
  if (!canRun) return;
  execFileSync('make', ['-s', '-C', fileURLToPath(new URL('../../linux/native', import.meta.url))], { stdio: 'inherit' });
  host = await createLinuxHost();
  dir = await mkdtemp(join(tmpdir(), 'vzkit-lxcfs-it-'));
  await chmod(dir, 0o711);
  runtimes = ids.map(() => createRuntime({ host, plugins: [templatePlugin, nsFsPlugin, lxcfsPlugin, testLimits], paths: resolvePaths(dir), cgroupParent: parent }));
}, 120_000);

afterAll(async () => {
  if (!canRun) return;
  try {
    for (const [i, id] of ids.entries()) {
      const rt = runtimes[i]!;
      if ((await rt.status(id).catch(() => undefined))?.running) await rt.stop(id, { fast: true }).catch(() => undefined);
      await rt.destroy(id).catch(() => undefined);
    }
  } finally {
    await host.cgroups.destroy(parent);
    await rm(dir, { recursive: true, force: true });
  }
}, 120_000);

describe.skipIf(!canRun)('lxcfs on this kernel (root)', () => {
  it('one instance for VEs started at once; each sees its own RAM limit; gone with the last VE', async () => {
    for (const [i, id] of ids.entries()) {
      await runtimes[i]!.create(id, { ostemplate: 'busybox', values: new Map([['TEST_RAM', String(64 * MiB * (i + 1))]]) });
    }
    await Promise.all(ids.map((id, i) => runtimes[i]!.start(id)));
    expect(await lxcfsMounts()).toHaveLength(1);
    for (const [i, id] of ids.entries()) {
      const r = await runtimes[i]!.exec(id, { argv: ['/bin/sh', '-c', 'grep MemTotal /proc/meminfo'], stdio: 'pipe', timeoutMs: 10_000 });
      expect(r.stdout).toMatch(new RegExp(`^MemTotal:\\s+${64 * 1024 * (i + 1)} kB$`, 'm'));
    }
    await Promise.all(ids.map((id, i) => runtimes[i]!.stop(id, { fast: true })));
    expect(await lxcfsMounts()).toHaveLength(0);
  });
});
