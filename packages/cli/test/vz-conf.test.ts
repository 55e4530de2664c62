/**
 * The shipped vz.conf (packages/cli/contrib/vz.conf): every key in it is one the default
 * composition knows, and each value is that key's built-in default, so a host without
 * the file gets what the file says — unprivileged VEs (LOCAL_UID=auto).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ConfigFile, createRuntime, parseKeyValue, resolvePaths } from '@vzkit/core';
import { FakeHost } from '@vzkit/fake-host';
import { defaultPlugins } from '../src/index.js';

describe('contrib/vz.conf', () => {
  it('holds known keys at their built-in defaults: LOCAL_UID=auto, LOCAL_GID=auto', async () => {
    const file = ConfigFile.parse(await readFile(new URL('../contrib/vz.conf', import.meta.url), 'utf8'));
    const rt = createRuntime({ host: new FakeHost(), plugins: defaultPlugins(), paths: resolvePaths('/nonexistent') });
    const keys = new Map(rt.configKeys.map((k) => [k.name, k]));
    expect(file.entries()).toEqual([['LOCAL_UID', 'auto'], ['LOCAL_GID', 'auto']]);
    for (const [name, raw] of file.entries()) {
      const key = keys.get(name);
      expect(key, name).toBeDefined();
      expect(parseKeyValue(key!, raw, 'vz.conf')).toEqual(key!.default);
    }
  });
});
