import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { defineKey, definePlugin, integer } from '../src/index.js';
import { fakeVe, type FakeVe } from '@vzkit/fake-host';

const LEVEL = defineKey<number>({ name: 'LEVEL', type: integer({ min: 0 }), description: 'a live test value', live: true, flag: 'level' });
const applied: number[] = [];
const levelPlugin = definePlugin({
  name: 'test-level',
  configKeys: [LEVEL],
  hooks: {
    async update(ctx) {
      applied.push(ctx.ve.config.get(LEVEL) ?? -1);
    },
  },
});

let t: FakeVe;
afterEach(async () => {
  applied.length = 0;
  await t.cleanup();
});

describe('values set without --save', () => {
  it('stay in force for the running VE, under later changes, until it stops', async () => {
    t = await fakeVe([levelPlugin]);
    await t.create(101, { LEVEL: '1' });
    await t.runtime.start(101);
    await t.runtime.set(101, [{ flag: 'level', arg: '5' }]);
    expect((await t.runtime.config(101)).get(LEVEL)).toBe(5);
    expect(await readFile(`${t.runtime.paths.confDir}/101.conf`, 'utf8')).toContain('LEVEL="1"');
    // Saving makes it the config's value; the live record of it goes.
    await t.runtime.set(101, [{ flag: 'level', arg: '7' }], { save: true });
    expect(await readFile(`${t.runtime.paths.confDir}/101.conf`, 'utf8')).toContain('LEVEL="7"');
    const state = JSON.parse(await readFile(`${t.runtime.paths.run}/101/state.json`, 'utf8'));
    expect(state.live).toBeUndefined();
    await t.runtime.set(101, [{ flag: 'level', arg: '9' }]);
    await t.runtime.stop(101, { fast: true });
    await t.runtime.start(101);
    expect((await t.runtime.config(101)).get(LEVEL)).toBe(7);
    expect(applied).toEqual([5, 7, 9]);
  });
});
