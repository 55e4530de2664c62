/**
 * Unprivileged VEs on Debian's own kernel (6.1, the QEMU guest of scripts/vm; skipped
 * anywhere else), where vzctl has every capability, as on a real host:
 * - the template on ext4 is shown through an idmapped mount; rlimits above the
 *   launcher's own (as ubc sets for LOCKEDPAGES) are raised on init by the launcher, which
 *   a root inside a user namespace could not do, and `exec` gets the same;
 * - a template on tmpfs, which 6.1 cannot idmap (6.3 can), is refused with the reason.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, definePlugin, resolvePaths, type Runtime } from '@vzkit/core';
import { linuxHost, unifiedHost } from '@vzkit/linux/testing';
import { nsFsPlugin } from '@vzkit/ns-fs';
import { nsPidPlugin } from '@vzkit/ns-pid';
import { templatePlugin } from '@vzkit/template';
import { nsUserPlugin } from '../src/index.js';

const inGuest = unifiedHost();
/** What ubc does for LOCKEDPAGES (kept out of this file: the guest's transforms are slow). */
const MEMLOCK = 819_200_000;
const lockedMemory = definePlugin({
  name: 'test-memlock',
  hooks: { async prepare(_ctx, plan) { plan.add('final', { op: 'rlimit', resource: 'memlock', soft: MEMLOCK, hard: MEMLOCK }); } },
});
let dir: string;
let rt: Runtime;
const mounted: string[] = [];
const ctid = 100_000 + Math.floor(Math.random() * 1_000_000);

beforeEach(async () => {
  if (!inGuest) return;
  dir = await mkdtemp(join(tmpdir(), 'vzkit-userns-vm-'));
  await chmod(dir, 0o711);
  rt = createRuntime({
    host: await linuxHost(),
    plugins: [templatePlugin, nsUserPlugin, nsFsPlugin, nsPidPlugin, lockedMemory],
    paths: resolvePaths(dir),
    cgroupParent: `@self/vzkit-userns-${process.pid}`,
  });
});

afterEach(async () => {
  if (!inGuest) return;
  for (const id of await rt.ctids()) {
    if ((await rt.status(id)).running) await rt.stop(id, { fast: true });
    await rt.destroy(id);
  }
  for (const m of mounted.splice(0).reverse()) execFileSync('umount', [m]);
  expect(await readFile('/proc/self/mountinfo', 'utf8')).not.toContain(dir);
  await rm(dir, { recursive: true, force: true });
});

const sh = async (line: string) => (await rt.exec(ctid, { argv: ['/bin/sh', '-c', line], stdio: 'pipe', timeoutMs: 30_000 })).stdout;

describe.skipIf(!inGuest)('unprivileged VEs on the guest kernel', () => {
  it('ext4: the template idmapped, root inside, rlimits above the launcher\'s raised for init and exec', async () => {
    const img = join(dir, 'lib.img');
    execFileSync('truncate', ['-s', '256M', img]);
    execFileSync('mkfs.ext4', ['-q', '-F', img]);
    const lib = join(dir, 'var/lib/vzkit');
    await mkdir(lib, { recursive: true });
    execFileSync('mount', ['-o', 'loop', img, lib]);
    mounted.push(lib);
    const launcherMemlock = Number(execFileSync('sh', ['-c', 'ulimit -Hl']).toString().trim());
    await rt.create(ctid, { ostemplate: 'busybox', values: new Map([['LOCAL_UID', '100000']]) });
    const pid = await rt.start(ctid);
    expect(await readFile(`/proc/${pid}/status`, 'utf8')).toMatch(/^Uid:\s+100000\s/m);
    expect(await sh('id -u; stat -c %u /bin/busybox; cat /proc/self/uid_map')).toMatch(/^0\n0\n\s*0\s+100000\s+65536\n$/);
    // 800,000 KiB: well above what the launcher itself may lock (8 MiB on Debian).
    expect(launcherMemlock).toBeLessThan(800_000);
    expect(await sh('ulimit -Hl')).toBe('800000\n');
    expect(await readFile(`/proc/${pid}/limits`, 'utf8')).toMatch(/^Max locked memory\s+819200000\s+819200000\s/m);
  });

  it('tmpfs, which this kernel cannot idmap: UNSUPPORTED with the reason, nothing left mounted', async () => {
    await rt.create(ctid, { ostemplate: 'busybox', values: new Map([['LOCAL_UID', '100000']]) });
    await expect(rt.start(ctid)).rejects.toMatchObject({
      code: 'UNSUPPORTED', message: expect.stringMatching(new RegExp(`^CT ${ctid}: LOCAL_UID: the template .* cannot be shown through an idmapped mount: .*mount_setattr: EINVAL`)),
    });
    expect((await rt.status(ctid)).running).toBe(false);
  });
});
