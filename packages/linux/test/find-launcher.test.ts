import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findLauncher, launcherCandidates } from '../src/launcher/find.js';

describe('findLauncher', () => {
  let dir: string;
  const saved = process.env.VZKIT_LAUNCHER;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vzkit-find-'));
    delete process.env.VZKIT_LAUNCHER;
  });
  afterEach(async () => {
    if (saved === undefined) delete process.env.VZKIT_LAUNCHER;
    else process.env.VZKIT_LAUNCHER = saved;
    await rm(dir, { recursive: true, force: true });
  });

  async function fakeBinary(path: string) {
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, '#!/bin/sh\n');
    await chmod(path, 0o755);
    return path;
  }

  it('finds the binary from src/launcher, dist/launcher and a bundled CLI', async () => {
    const bin = await fakeBinary(join(dir, 'packages/linux/native/build/vzlaunch'));
    for (const module of ['packages/linux/src/launcher/find.ts', 'packages/linux/dist/launcher/find.js', 'packages/linux/dist/index.js', 'packages/cli/dist/vzctl.js']) {
      expect(findLauncher(undefined, pathToFileURL(join(dir, module)).href)).toBe(bin);
    }
  });

  it('prefers the option, then VZKIT_LAUNCHER', async () => {
    const a = await fakeBinary(join(dir, 'a'));
    const b = await fakeBinary(join(dir, 'b'));
    process.env.VZKIT_LAUNCHER = b;
    expect(findLauncher(a)).toBe(a);
    expect(findLauncher()).toBe(b);
  });

  it('says how to build it when nothing is there', () => {
    const url = pathToFileURL(join(dir, 'packages/linux/src/launcher/find.ts')).href;
    expect(() => findLauncher(undefined, url)).toThrow('vzkit launcher not built: run pnpm build');
    expect(launcherCandidates(url)).toContain(join(dir, 'packages/linux/native/build/vzlaunch'));
  });
});
