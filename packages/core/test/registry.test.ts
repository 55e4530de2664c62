import { describe, expect, it } from 'vitest';
import { PluginRegistry } from '../src/registry.js';
import { orderPlugins } from '../src/plugin-order.js';
import { defineKey, defineToken, definePlugin } from '../src/plugin.js';
import { text } from '../src/values.js';
import { VzError } from '../src/errors.js';

const p = (name: string, requires: string[] = [], extra = {}) => definePlugin({ name, requires, hooks: {}, ...extra });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as VzError).code + ': ' + (e as Error).message;
  }
  return undefined;
}

describe('plugin registration', () => {
  it('orders by requires, after and before, and otherwise by name, whatever the given order', () => {
    const order = (list: ReturnType<typeof p>[]) => orderPlugins(list).map((x) => x.name);
    expect(order([p('c', ['a']), p('b'), p('a')])).toEqual(['a', 'b', 'c']);
    expect(order([p('a'), p('b'), p('c', ['a'])])).toEqual(['a', 'b', 'c']);
    const soft = [p('z', [], { after: ['y'] }), p('y', [], { before: ['x'] }), p('x')];
    expect(order(soft)).toEqual(['y', 'x', 'z']);
    expect(order([...soft].reverse())).toEqual(['y', 'x', 'z']);
  });

  it('names a missing plugin and a cycle', () => {
    expect(codeOf(() => orderPlugins([p('a', ['zz'])]))).toMatch(/PLUGIN: plugin a requires zz/);
    expect(codeOf(() => orderPlugins([p('a', ['b']), p('b', ['a'])]))).toMatch(/cycle: a -> b -> a/);
    expect(codeOf(() => orderPlugins([p('a'), p('a')]))).toMatch(/registered twice/);
  });

  it('takes a reapply switch for its own keys only, on a flag no key uses', () => {
    const k = defineKey({ name: 'LIM', flag: 'lim', type: text(), live: true, description: '' });
    const sw = (flag: string, keys: string[]) => ({ configKeys: [k], reapply: [{ flag, description: '', keys }] });
    expect(new PluginRegistry([p('a', [], sw('reset_lim', ['LIM']))], [], []).reapply.get('reset_lim')?.keys).toEqual(['LIM']);
    expect(codeOf(() => new PluginRegistry([p('a', [], sw('lim', ['LIM']))], [], []))).toMatch(/--lim of a is already used by LIM/);
    expect(codeOf(() => new PluginRegistry([p('a', [], { configKeys: [k] }), p('b', [], { reapply: [{ flag: 'r', description: '', keys: ['LIM'] }] })], [], []))).toMatch(/--r names LIM, which is not its own key/);
    const later = defineKey({ name: 'Z', flag: 'reset_lim', type: text(), live: true, description: '' });
    expect(codeOf(() => new PluginRegistry([p('a', [], sw('reset_lim', ['LIM'])), p('b', [], { configKeys: [later] })], [], []))).toMatch(/--reset_lim of Z \(b\) is already used by a --reset_lim switch/);
  });

  it('refuses a key, a flag or a service declared twice', () => {
    const k1 = defineKey({ name: 'X', flag: 'x', type: text(), live: true, description: '' });
    const k2 = defineKey({ name: 'Y', flag: 'x', type: text(), live: true, description: '' });
    expect(codeOf(() => new PluginRegistry([p('a', [], { configKeys: [k1] }), p('b', [], { configKeys: [k1] })], [], []))).toMatch(/declared by both a and b/);
    expect(codeOf(() => new PluginRegistry([p('a', [], { configKeys: [k1, k2] })], [], []))).toMatch(/--x/);
    const tok = defineToken<number>('answer');
    const prov = { provides: [{ token: tok, create: () => 42 }] };
    expect(codeOf(() => new PluginRegistry([p('a', [], prov), p('b', [], prov)], [], []))).toMatch(/already provided by a/);
    const reg = new PluginRegistry([p('a', [], prov)], [], []);
    expect(reg.service(tok)).toBe(42);
    expect(codeOf(() => reg.service(defineToken('nope')))).toMatch(/no plugin provides/);
  });
});
