import { afterEach, describe, expect, it } from 'vitest';
import { definePlugin, featureSetting, FEATURES, type FeatureDecl } from '../src/index.js';
import { PluginRegistry } from '../src/registry.js';
import { failure, fakeVe, userNamespaceStandIn, type FakeVe } from '@vzkit/fake-host';

let t: FakeVe;
afterEach(async () => {
  await t?.cleanup();
});

/** A toy plugin that declares two features and records what a start saw of them. */
const seen: Array<boolean | undefined> = [];
const widgets: FeatureDecl = { name: 'widgets', description: 'widgets inside' };
const gadgets: FeatureDecl = {
  name: 'gadgets',
  description: 'gadgets inside',
  check: (ctx, on) => (on && ctx.ve.idmap ? 'a user namespace has no gadgets' : !on ? 'gadgets cannot be taken away' : undefined),
};
const toy = definePlugin({
  name: 'toy',
  features: [widgets, gadgets],
  hooks: {
    async prepare(ctx) {
      seen.push(featureSetting(ctx.ve.config, 'widgets'));
    },
  },
});

describe('FEATURES', () => {
  it('hands each declared feature to its plugin; --features edits only the features it names', async () => {
    t = await fakeVe([toy]);
    await t.create(101, { FEATURES: 'gadgets:on' });
    await t.runtime.set(101, [{ flag: 'features', arg: 'widgets:off' }], { save: true });
    expect((await t.runtime.config(101)).raw('FEATURES')).toBe('gadgets:on widgets:off');
    seen.length = 0;
    await t.runtime.start(101);
    expect(seen).toEqual([false]);
    // OpenVZ: restart-only.
    const r = await t.runtime.set(101, [{ flag: 'features', arg: 'widgets:on' }], { save: true });
    expect(r.deferred).toEqual([FEATURES.name]);
  });

  it('refuses a feature no plugin declares, listing those there are (exit 21)', async () => {
    t = await fakeVe([toy]);
    await t.create(101);
    expect(await failure(t.runtime.set(101, [{ flag: 'features', arg: 'nfs:on' }], { save: true })))
      .toMatchObject({ code: 'BAD_VALUE', exit: 21, message: 'CT 101: FEATURES nfs: no such feature in this vzkit (it offers gadgets, widgets)' });
    expect((await failure(t.runtime.set(101, [{ flag: 'features', arg: 'nfs=on' }], { save: true }))).message)
      .toBe("CT 101: invalid value for --features: 'nfs=on' is not name:on or name:off");
  });

  it("refuses what the declaring plugin says cannot be had, with its reason (exit 5), at create and at start", async () => {
    t = await fakeVe([userNamespaceStandIn, toy]);
    expect(await failure(t.runtime.create(101, { ostemplate: 'test', values: new Map([['FEATURES', 'gadgets:off']]) })))
      .toMatchObject({ code: 'UNSUPPORTED', exit: 5, message: 'CT 101: FEATURES gadgets:off: gadgets cannot be taken away' });
    await t.create(102, { LOCAL_UID: '100000' });
    await t.runtime.set(102, [{ key: 'FEATURES', value: 'widgets:on' }], { save: true });
    expect((await failure(t.runtime.set(102, [{ flag: 'features', arg: 'gadgets:on' }], { save: true }))).message)
      .toBe('CT 102: FEATURES gadgets:on: a user namespace has no gadgets');
  });

  it('a feature is declared once', () => {
    const other = definePlugin({ name: 'other', features: [widgets], hooks: {} });
    expect(() => new PluginRegistry([toy, other], [], [])).toThrow('plugin other: feature widgets is already declared by toy');
  });
});
