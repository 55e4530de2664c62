/**
 * `Runtime.withPlugin`: a plugin's own command runs with the VE locked and reconciled,
 * with the plugin's hook context and the VE's status; the lock is the one every
 * operation takes, so a second operation meanwhile is refused (LOCKED).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { definePlugin, type VeStatus } from '@vzkit/core';
import { fakeVe, type FakeVe } from '@vzkit/fake-host';

let t: FakeVe;
afterEach(async () => {
  await t.cleanup();
});

const mine = definePlugin<{ n: number }>({ name: 'test-own', hooks: {} });

describe('withPlugin', () => {
  it('gives the plugin its context and the VE\'s status, under the VE\'s lock', async () => {
    t = await fakeVe([mine]);
    await t.create(101);
    const seen: VeStatus[] = [];
    const look = () => t.runtime.withPlugin(101, 'test-own', 'look', async (ctx, status) => {
      seen.push(status);
      expect(ctx.ve.ctid).toBe(101);
      // Another operation meanwhile waits for nothing: it is refused.
      await expect(t.runtime.start(101)).rejects.toMatchObject({ code: 'LOCKED', exit: 9 });
      return ctx.ve.label;
    });
    expect(await look()).toBe('CT 101');
    await t.runtime.start(101);
    await look();
    // State recorded by a running VE's operation survives: the VE has a record to write to.
    await t.runtime.withPlugin(101, 'test-own', 'note', async (ctx) => ctx.state.set({ n: 1 }));
    expect(await t.runtime.withPlugin(101, 'test-own', 'read', async (ctx) => ctx.state.get())).toEqual({ n: 1 });
    await t.runtime.stop(101, { fast: true });
    await t.runtime.mount(101);
    await look();
    await t.runtime.umount(101);
    expect(seen).toEqual(['stopped', 'running', 'mounted']);
  });

  it('refuses a plugin the composition lacks, and a VE that does not exist', async () => {
    t = await fakeVe([mine]);
    await expect(t.runtime.withPlugin(101, 'test-other', 'x', async () => 0)).rejects.toMatchObject({ code: 'PLUGIN' });
    await expect(t.runtime.withPlugin(101, 'test-own', 'x', async () => 0)).rejects.toMatchObject({ code: 'VE_NOT_FOUND', exit: 14 });
  });
});
