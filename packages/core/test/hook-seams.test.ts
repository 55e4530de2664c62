/**
 * The seams between the core and a plugin's hooks: which failures the hook runner names
 * (by the typed `about` flag, never by reading the message), that teardown hooks go
 * through the same runner, and the typed changes an `update` gets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigChanges, defineKey, definePlugin, integer, text, vzError, type ConfigChange, type Plugin } from '../src/index.js';
import { failure, fakeVe, type FakeVe } from '@vzkit/fake-host';

let t: FakeVe;
afterEach(async () => {
  await t?.cleanup();
});

const SIZE = defineKey({ name: 'TOY_SIZE', flag: 'toy_size', live: true, type: integer({ min: 0 }), description: 'a number' });
const NAME = defineKey({ name: 'TOY_NAME', flag: 'toy_name', live: true, type: text(), description: 'a text' });

/** A plugin whose `prepare` and `cleanup` throw what `thrown` holds. */
function thrower(thrown: { prepare?: () => unknown; cleanup?: () => unknown }): Plugin {
  return definePlugin({
    name: 'toy',
    hooks: {
      async prepare() { if (thrown.prepare) throw thrown.prepare(); },
      async cleanup() { if (thrown.cleanup) throw thrown.cleanup(); },
    },
  });
}

describe('the hook runner names a failure once', () => {
  it('keeps an error that says it names the VE (about), as it is', async () => {
    t = await fakeVe([thrower({ prepare: () => vzError('TOY', 'CT 101: TOY_SIZE is wrong', { about: 'CT 101' }) })]);
    await t.create(101);
    expect((await failure(t.runtime.start(101))).message).toBe('CT 101: TOY_SIZE is wrong');
  });

  it('names the CT, plugin and hook of any other failure, whatever its text says', async () => {
    t = await fakeVe([thrower({ prepare: () => new Error('EBUSY somewhere') })]);
    await t.create(101);
    expect(await failure(t.runtime.start(101))).toMatchObject({ code: 'SYSTEM', message: 'CT 101: toy prepare: EBUSY somewhere', about: 'CT 101' });
    // The text alone proves nothing: without the flag it is context like any other.
    const other = await fakeVe([thrower({ prepare: () => vzError('TOY', 'CT 102: made up') })]);
    try {
      await other.create(102);
      expect((await failure(other.runtime.start(102))).message).toBe('CT 102: toy prepare: CT 102: made up');
    } finally {
      await other.cleanup();
    }
  });

  it('runs teardown hooks through it: a failed cleanup is named like a failed prepare, once', async () => {
    const thrown: { cleanup?: () => unknown } = {};
    t = await fakeVe([thrower(thrown)]);
    await t.create(101);
    await t.runtime.start(101);
    thrown.cleanup = () => new Error('veth busy');
    const e = await failure(t.runtime.stop(101, { fast: true }));
    expect(e.message).toBe('CT 101: toy cleanup: veth busy');
    thrown.cleanup = () => vzError('TOY', 'CT 101: the veth is still there', { about: 'CT 101' });
    expect((await failure(t.runtime.stop(101, { fast: true }))).message).toBe('CT 101: the veth is still there');
    delete thrown.cleanup;
    await t.runtime.stop(101, { fast: true }).catch(() => undefined);
  });
});

describe('ConfigChanges', () => {
  const changes = new ConfigChanges([
    { key: SIZE, before: 1, after: 2 } as ConfigChange,
    { key: NAME, before: undefined, after: 'x' } as ConfigChange,
  ]);

  it('gives each change typed by its key, by key or by name', () => {
    const size = changes.of(SIZE);
    expect(size?.after).toBe(2);
    // Typed: a number, not unknown.
    expect((size?.before ?? 0) + 1).toBe(2);
    expect(changes.of('TOY_NAME')?.after).toBe('x');
    expect(changes.of('OTHER')).toBeUndefined();
  });

  it('says whether any of some keys changed, and iterates in order', () => {
    expect(changes.has(SIZE)).toBe(true);
    expect(changes.has('OTHER', NAME)).toBe(true);
    expect(changes.has('OTHER')).toBe(false);
    expect([...changes].map((c) => c.key.name)).toEqual(['TOY_SIZE', 'TOY_NAME']);
  });

  it('is what update gets from set: only its own keys', async () => {
    const seen: string[][] = [];
    const toy = definePlugin({
      name: 'toy',
      configKeys: [SIZE, NAME],
      hooks: { async update(_ctx, c) { seen.push([...c].map((x) => `${x.key.name}=${String(x.after)}`)); } },
    });
    t = await fakeVe([toy]);
    await t.create(101);
    await t.runtime.start(101);
    await t.runtime.set(101, [{ flag: 'toy_size', arg: '7' }]);
    expect(seen).toEqual([['TOY_SIZE=7']]);
  });
});
