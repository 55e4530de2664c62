/**
 * Reliability on the real kernel, through the bundled vzctl (DECISIONS: 5 rounds in CI,
 * 100 with `pnpm test:full`): vzctl killed with SIGKILL right after every step of
 * create, start, set, stop and destroy — the steps named by the default composition's
 * own hooks — and then the next vzctl: the VE is in a consistent state and destroy
 * leaves nothing. And 50 concurrent vzctl operations over 10 VEs: each ends in success
 * or one clear line, and no config or state is damaged.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PluginHooks } from '@vzkit/core';
import { defaultPlugins } from '../src/composition.js';
import { RealCli, type Run } from './real-cli.js';

const FULL = process.env.VZKIT_TEST_SIZE === 'full';
const ROUNDS = FULL ? 100 : 5;
const cli = new RealCli('rel');
const vzctl = cli.vzctl.bind(cli);
const NS = `vzkit-r${process.pid}`;
/** Host ranges of the user-namespaced VEs (one per slot): no account's, unlikely another test's. */
const LOCAL = 2_000_000 + ((cli.base + 11) % 1000) * 65536 * 4;

beforeAll(async () => {
  await cli.setup();
  // The network steps route addresses: in a namespace of this file's own.
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  cli.netns = NS;
}, 120_000);
afterAll(async () => {
  await cli.teardown();
  execFileSync('ip', ['netns', 'del', NS]);
}, 300_000);

const withHook = (hook: keyof PluginHooks) => defaultPlugins().filter((p) => typeof p.hooks[hook] === 'function').map((p) => p.name);

/** Every fault point of every operation, as the core names them. */
const STEPS = {
  create: ['intent', ...withHook('assign').map((p) => `assign:${p}`), ...withHook('create').map((p) => `plugin:${p}`), 'config'],
  start: ['intent', 'cgroup', ...withHook('mount').map((p) => `mount:${p}`), ...withHook('prepare').map((p) => `prepare:${p}`),
    'clone', ...withHook('attach').map((p) => `attach:${p}`), 'exec'],
  stop: ['intent', 'halt'],
  destroy: ['intent'],
};

/** A live change for each plugin with an update hook (its own key), to kill `set` right after it. */
const SET_ARGS: Record<string, string[]> = {
  '@vzkit/ns-uts': ['--hostname', 'after-crash'],
  '@vzkit/ns-net': ['--ipadd', '198.18.250.1'],
  '@vzkit/distro': ['--hostname', 'after-crash'],
  '@vzkit/ubc': ['--numproc', '500'],
  '@vzkit/fairsched': ['--cpuunits', '2000'],
  '@vzkit/devices': ['--devices', 'c:1:9:rw'],
};
const SET_STEPS = withHook('update').filter((p) => SET_ARGS[p]);
/** A conversion between the kinds (`set --local_uid ... --save` on a stopped VE): every step of it. */
const CONVERT_STEPS = ['intent', ...withHook('assign').map((p) => `assign:${p}`), ...withHook('convert').map((p) => `convert:${p}`), 'config'];

/** Runs jobs `width` at a time. */
async function pool<T>(items: T[], width: number, job: (item: T, slot: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async (_, slot) => {
    while (next < items.length) await job(items[next++]!, slot);
  }));
}

function expectKilled(r: Run, what: string): void {
  expect(r.signal, `${what}: ${r.stderr}`).toBe('SIGKILL');
}

/** The next vzctl makes the VE consistent: status answers, and stop + destroy leave nothing. */
async function recoverAndDestroy(id: number, what: string): Promise<void> {
  const status = await vzctl(['status', String(id)]);
  expect(status.code, `${what}: status ${status.stderr}`).toBe(0);
  expect(status.stdout, what).toMatch(/^CTID \d+ (exist|deleted) (mounted|unmounted) (running|down)\n$/);
  const pid = await cli.initPid(id).catch(() => undefined);
  const stop = await vzctl(['stop', String(id), '--fast']);
  expect([0, 14, 31], `${what}: stop ${stop.stderr}`).toContain(stop.code);
  const d = await vzctl(['destroy', String(id)]);
  expect([0, 14], `${what}: destroy ${d.stderr}`).toContain(d.code);
  await cli.expectClean(id, pid);
  const links = execFileSync('ip', ['-n', NS, '-o', 'link']).toString();
  expect(links, what).not.toContain(`venet${id}`);
}

describe(`SIGKILL at every step (${ROUNDS} rounds)`, () => {
  it('create, start, set, stop and destroy are recovered by the next vzctl, leaving nothing', async () => {
    // Even rounds with VEs of the host root (--local_uid 0), odd ones with unprivileged
    // VEs (--local_uid N): their start has one step more, between the template's idmapped
    // bind and the overlay on it. A conversion turns each into the other kind.
    const cases: Array<{ op: string; step: string; round: number; fault?: string }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const [op, steps] of Object.entries(STEPS)) for (const step of steps) cases.push({ op, step, round });
      for (const p of SET_STEPS) cases.push({ op: 'set', step: `update:${p}`, round });
      for (const step of CONVERT_STEPS) cases.push({ op: 'convert', step, round, fault: `set:${step}` });
      if (round % 2) cases.push({ op: 'start', step: 'idmapped bind', round, fault: 'mount:ns-fs:idmapped' });
    }
    await pool(cases, 4, async ({ op, step, round, fault: faultAt }, slot) => {
      const id = cli.base + slot;
      const userns = round % 2 === 1 ? ['--local_uid', String(LOCAL + slot * 65536)] : ['--local_uid', '0'];
      const what = `round ${round}${round % 2 ? ' (user namespace)' : ''}: ${op} killed after ${step}`;
      const fault = { VZKIT_FAULT: faultAt ?? `${op}:${step}` };
      if (op === 'create') {
        expectKilled(await vzctl(['create', String(id), '--ostemplate', 'busybox', ...userns], fault), what);
        return recoverAndDestroy(id, what);
      }
      expect((await vzctl(['create', String(id), '--ostemplate', 'busybox', '--ipadd', `198.18.251.${slot + 1}`, ...userns])).code, what).toBe(0);
      if (op === 'start') {
        expectKilled(await vzctl(['start', String(id)], fault), what);
        return recoverAndDestroy(id, what);
      }
      if (op === 'convert') {
        // A file of its own with a setuid bit, which each chown of the conversion takes away.
        expect((await vzctl(['start', String(id)])).code, what).toBe(0);
        expect((await vzctl(['exec', String(id), 'cp /bin/busybox /root/sbb && chown 0:0 /root/sbb && chmod 4755 /root/sbb'])).code, what).toBe(0);
        expect((await vzctl(['stop', String(id), '--fast'])).code, what).toBe(0);
        expectKilled(await vzctl(['set', String(id), '--local_uid', round % 2 ? '0' : 'auto', '--save'], fault), what);
        // Undone or complete: whichever LOCAL_UID the config has now, the files match it and it starts as before.
        const again = await vzctl(['start', String(id)]);
        expect(again.code, `${what}: ${again.stderr}`).toBe(0);
        expect((await vzctl(['exec', String(id), 'stat -c "%u %a" /root/sbb'])).stdout, what).toBe('0 4755\n');
        return recoverAndDestroy(id, what);
      }
      if (op !== 'destroy') expect((await vzctl(['start', String(id)])).code, what).toBe(0);
      if (op === 'set') {
        const plugin = step.slice('update:'.length);
        expectKilled(await vzctl(['set', String(id), ...SET_ARGS[plugin]!.map((a) => a.replace('198.18.250.1', `198.18.250.${slot + 1}`)), '--save'], fault), what);
        // The config is whole (written by rename), the VE still runs and takes the next set.
        const list = await cli.tool('vzlist', ['-j', String(id)]);
        expect(list.code, `${what}: ${list.stderr}`).toBe(0);
        expect((await vzctl(['status', String(id)])).stdout, what).toContain('running');
        const again = await vzctl(['set', String(id), '--hostname', `ok-${slot}`, '--save']);
        expect(again.code, `${what}: ${again.stderr}`).toBe(0);
        return recoverAndDestroy(id, what);
      }
      expectKilled(await vzctl([op, String(id)], fault), what);
      return recoverAndDestroy(id, what);
    });
  }, FULL ? 4 * 3600_000 : 900_000);
});

describe('concurrency', () => {
  it('50 concurrent vzctl operations over 10 VEs end in success or a clear error, and nothing is damaged', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => cli.base + 20 + i);
    // Created all at once: each gets an id range of its own (LOCAL_UID=auto), none shared.
    for (const r of await Promise.all(ids.map((id) => vzctl(['create', String(id), '--ostemplate', 'busybox'])))) expect(r.code, r.stderr).toBe(0);
    const bases = await Promise.all(ids.map(async (id) => Number(/^LOCAL_UID="(\d+)"$/m.exec(await readFile(join(cli.root, 'etc/vzkit/conf', `${id}.conf`), 'utf8'))?.[1])));
    expect(bases.every((a, i) => a > 0 && bases.every((b, j) => i === j || Math.abs(a - b) >= 65536)), bases.join(' ')).toBe(true);
    const ops = [
      (id: number) => ['start', String(id)], (id: number) => ['stop', String(id), '--fast'], (id: number) => ['restart', String(id)],
      (id: number) => ['set', String(id), '--hostname', `h${id}`, '--save'], (id: number) => ['set', String(id), '--numproc', '300', '--save'],
      (id: number) => ['exec', String(id), 'true'], (id: number) => ['status', String(id)], (id: number) => ['mount', String(id)],
    ];
    const jobs = Array.from({ length: 50 }, (_, i) => ({ argv: ops[i % ops.length]!(ids[(i * 7) % ids.length]!), wait: i % 2 === 0 }));
    const results = await Promise.all(jobs.map((j) => vzctl(j.argv, j.wait ? { VZKIT_LOCK_WAIT_MS: '20000' } : {})));
    results.forEach((r, i) => {
      const what = `${jobs[i]!.argv.join(' ')} -> ${r.code} ${r.stderr}`;
      expect(r.signal, what).toBeNull();
      if (r.code === 0) return;
      // Refusals a busy or differently-placed VE earns: locked, running, not running, mounted...
      expect([9, 31, 32, 40, 41, 8], what).toContain(r.code);
      const lines = r.stderr.trimEnd().split('\n').filter((l) => !l.startsWith('WARNING: '));
      expect(lines.length, what).toBeLessThanOrEqual(2);
      expect(lines[0], what).toMatch(/^vzctl: CT \d+/);
    });
    // Nothing damaged: every config and state reads, and every VE stops and goes cleanly.
    const list = await cli.tool('vzlist', ['-a', '-j']);
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as unknown[]).length).toBeGreaterThanOrEqual(10);
    for (const id of ids) {
      expect((await readFile(join(cli.root, 'etc/vzkit/conf', `${id}.conf`), 'utf8'))).toMatch(/^OSTEMPLATE="busybox"$/m);
      await recoverAndDestroy(id, `CT ${id} after the storm`);
    }
  }, 300_000);
});
