import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure, fakeVe, type FakeVe } from '@vzkit/fake-host';
import { CLONE_NEWUSER, DEFAULT_DENY, NESTING_RULES, seccompPlugin } from '../src/index.js';

let t: FakeVe;
beforeEach(async () => {
  t = await fakeVe([seccompPlugin]);
});
afterEach(async () => {
  await t.cleanup();
});

const names = DEFAULT_DENY.map((d) => d.name);
const CLONE_NEWNS = 0x00020000;
const SIGCHLD = 17;

/** What each call answers in process `pid`: the errno a filter gives, or OK. */
function answers(pid: number): Record<string, string> {
  const p = t.fake.processes.get(pid)!;
  const a = (call: string, args: number[] = []) => p.seccompAnswer(call, args) ?? 'OK';
  return {
    io_uring_setup: a('io_uring_setup'),
    'unshare(NEWUSER)': a('unshare', [CLONE_NEWUSER]),
    'unshare(NEWNS|NEWUSER)': a('unshare', [CLONE_NEWNS | CLONE_NEWUSER]),
    'unshare(NEWNS)': a('unshare', [CLONE_NEWNS]),
    'clone(NEWUSER)': a('clone', [CLONE_NEWUSER | SIGCHLD]),
    'clone(fork)': a('clone', [SIGCHLD]),
    clone3: a('clone3'),
    getpid: a('getpid'),
  };
}

/** The pid of a command run with `vzctl exec` (it loads the filter again after joining). */
async function execPid(ctid: number): Promise<number> {
  let pid = 0;
  t.fake.commands.register('self', (ctx) => {
    pid = ctx.pid;
    return {};
  });
  await t.runtime.exec(ctid, { argv: ['self'], stdio: 'pipe' });
  return pid;
}

describe('seccomp', () => {
  it('filters init and every command run in the VE with the default profile', async () => {
    await t.create(101);
    const pid = await t.runtime.start(101);
    expect(t.fake.process(pid)!.seccompDeny).toEqual(names);
    t.fake.commands.register('self', (ctx) => ({ stdout: JSON.stringify(t.fake.process(ctx.pid)!.seccompDeny) }));
    const r = await t.runtime.exec(101, { argv: ['self'], stdio: 'pipe' });
    expect(JSON.parse(r.stdout!)).toEqual(names);
    expect(names).toEqual(expect.arrayContaining(['kexec_load', 'init_module', 'bpf', 'keyctl', 'open_by_handle_at']));
  });

  it('--seccomp off leaves the VE unfiltered; a bad value is refused', async () => {
    await t.create(101, { SECCOMP: 'off' });
    const pid = await t.runtime.start(101);
    expect(t.fake.process(pid)!.seccompDeny).toBeUndefined();
    expect(answers(pid)).toMatchObject({ io_uring_setup: 'OK', 'unshare(NEWUSER)': 'OK', clone3: 'OK' });
    const e = await failure(t.create(102, { SECCOMP: 'strict' }));
    expect(e.code).toBe('BAD_VALUE');
    expect(e.message).toMatch(/^CT 102 .*invalid value for SECCOMP \(--seccomp\): 'strict' is not default or off$/);
  });

  it('refuses io_uring and nested user namespaces by default, in init and in exec', async () => {
    await t.create(101);
    const pid = await t.runtime.start(101);
    const want = {
      io_uring_setup: 'EPERM',
      'unshare(NEWUSER)': 'EPERM',
      'unshare(NEWNS|NEWUSER)': 'EPERM',
      'unshare(NEWNS)': 'OK',
      'clone(NEWUSER)': 'EPERM',
      'clone(fork)': 'OK',
      clone3: 'ENOSYS',
      getpid: 'OK',
    };
    expect(answers(pid)).toEqual(want);
    expect(answers(await execPid(101))).toEqual(want);
  });

  it('NESTING=yes allows user namespaces, at the next start, and still refuses io_uring', async () => {
    await t.create(101);
    await t.runtime.start(101);
    const r = await t.runtime.set(101, [{ flag: 'nesting', arg: 'yes' }], { save: true });
    expect(r.deferred).toEqual(['NESTING']);
    expect(answers(await execPid(101))['unshare(NEWUSER)']).toBe('EPERM');
    await t.runtime.stop(101, { fast: true });
    const pid = await t.runtime.start(101);
    for (const p of [pid, await execPid(101)]) {
      expect(answers(p)).toMatchObject({ io_uring_setup: 'EPERM', 'unshare(NEWUSER)': 'OK', 'clone(NEWUSER)': 'OK', clone3: 'OK' });
    }
    const e = await failure(t.create(102, { NESTING: 'maybe' }));
    expect(e.message).toMatch(/^CT 102 .*invalid value for NESTING \(--nesting\): 'maybe' is not yes or no$/);
  });
});

describe('the profile', () => {
  it('names each call once, with a reason', () => {
    const all = [...names, ...NESTING_RULES.map((r) => r.call)];
    expect(new Set(all).size).toBe(all.length);
    for (const d of [...DEFAULT_DENY, ...NESTING_RULES]) expect(d.why.length).toBeGreaterThan(5);
    expect(names).toEqual(expect.arrayContaining(['io_uring_setup', 'io_uring_enter', 'io_uring_register']));
  });
});
