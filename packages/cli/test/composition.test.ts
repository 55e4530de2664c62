/**
 * The tools' environment becomes settings in one place, the composition: the core and
 * the plugins read no VZKIT_* variable themselves.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeHost } from '@vzkit/fake-host';
import { definePlugin, orderPlugins } from '@vzkit/core';
import { createDefaultRuntime, defaultPlugins } from '../src/composition.js';

describe('the default composition', () => {
  it('takes VZKIT_ROOT, VZKIT_CGROUP_PARENT and the template cache from the environment it is given', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vzkit-composition-'));
    try {
      const fake = new FakeHost();
      fake.fs.seed('/srv/cache/centos-7-x86_64.tar.gz', 'tarball');
      const rt = await createDefaultRuntime({ host: fake }, { VZKIT_ROOT: root, VZKIT_CGROUP_PARENT: '@self/tools', VZKIT_TEMPLATE_CACHE: '/srv/cache' });
      expect(rt.paths.prefix).toBe(root);
      const out: string[] = [];
      const list = rt.commands.find((c) => c.tool === 'vztmpl' && c.name === 'list')!;
      await list.run({ runtime: rt, out: (l: string) => out.push(l), err: () => {} } as never, ['-a']);
      expect(out.join('\n')).toMatch(/^centos-7-x86_64 .*\/srv\/cache\/centos-7-x86_64\.tar\.gz/m);
      // Nothing read from this process's own environment.
      const plain = await createDefaultRuntime({ host: fake }, {});
      expect(plain.paths.prefix).toBe('');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('the order of the default plugins', () => {
  const names = (plugins: readonly { name: string }[]) => plugins.map((p) => p.name);
  const canonical = names(orderPlugins(defaultPlugins({})));

  it('comes from their declarations: every listing of them runs in one order', () => {
    const plugins = defaultPlugins({});
    let seed = 20261206;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const listings = [[...plugins].reverse(), ...Array.from({ length: 300 }, () => [...plugins].sort(() => random() - 0.5))];
    for (const listing of listings) expect(names(orderPlugins(listing))).toEqual(canonical);
  });

  it('keeps what the subsystems need: the template and the disk before the root, capabilities, Landlock and seccomp in that order', () => {
    const before = (a: string, b: string) => expect(canonical.indexOf(`@vzkit/${a}`), `${a} before ${b}`).toBeLessThan(canonical.indexOf(`@vzkit/${b}`));
    before('template', 'quota');
    before('quota', 'ns-fs');
    before('ns-user', 'ns-fs');
    before('ns-fs', 'lxcfs');
    before('ns-fs', 'devices');
    before('ns-uts', 'distro');
    before('ns-net', 'distro');
    before('caps', 'landlock');
    before('landlock', 'seccomp');
  });

  it('refuses declarations that contradict each other, naming the cycle, and a plugin required but missing', () => {
    const a = definePlugin({ name: 'a', after: ['b'], hooks: {} });
    const b = definePlugin({ name: 'b', after: ['c'], hooks: {} });
    const c = definePlugin({ name: 'c', before: ['a'], after: ['a'], hooks: {} });
    expect(() => orderPlugins([a, b, c])).toThrow(/plugins are ordered in a cycle: a -> c -> b -> a|cycle: .* -> .* -> .*/);
    expect(() => orderPlugins([definePlugin({ name: 'x', requires: ['y'], hooks: {} })])).toThrow('plugin x requires y, which is not registered');
    // `after` and `before` name plugins that may be absent.
    expect(names(orderPlugins([definePlugin({ name: 'x', after: ['nobody'], before: ['none'], hooks: {} })]))).toEqual(['x']);
  });
});
