import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure, fakeVe, type FakeVe } from '@vzkit/core/testing';
import { DEFAULT_DENY, seccompPlugin } from '../src/index.js';

let t: FakeVe;
beforeEach(async () => {
  t = await fakeVe([seccompPlugin]);
});
afterEach(async () => {
  await t.cleanup();
});

const names = DEFAULT_DENY.map((d) => d.name);

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
    const e = await failure(t.create(102, { SECCOMP: 'strict' }));
    expect(e.code).toBe('BAD_VALUE');
    expect(e.message).toMatch(/^CT 102 .*invalid value for SECCOMP \(--seccomp\): 'strict' is not default or off$/);
  });
});
