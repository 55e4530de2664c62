/**
 * The tools' environment becomes settings in one place, the composition: the core and
 * the plugins read no VZKIT_* variable themselves.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeHost } from '@vzkit/fake-host';
import { createDefaultRuntime } from '../src/composition.js';

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
      await list.run({ runtime: rt, out: (l) => out.push(l), err: () => {} } as never, ['-a']);
      expect(out.join('\n')).toMatch(/^centos-7-x86_64 .*\/srv\/cache\/centos-7-x86_64\.tar\.gz/m);
      // Nothing read from this process's own environment.
      const plain = await createDefaultRuntime({ host: fake }, {});
      expect(plain.paths.prefix).toBe('');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
