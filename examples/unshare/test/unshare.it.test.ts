import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync, readFileSync, readdirSync, readlinkSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLinuxHost } from '@vzkit/linux';
import { unshare } from '../src/index.js';

const parent = `vzkit-test-${process.pid}-unshare`;

/** The test's cgroup parent in every v1 hierarchy (below our own cgroup there). */
function parentDirs(): string[] {
  return readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n').flatMap((line) => {
    const [, ctrls, path] = line.split(':');
    if (!ctrls || ctrls.startsWith('name=')) return [];
    const dir = join('/sys/fs/cgroup', ctrls.split(',')[0]!, path ?? '/', parent);
    return existsSync(dir) ? [dir] : [];
  });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vzkit-unshare-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  for (const d of parentDirs()) rmdirSync(d);
});

describe('vzunshare (a runtime of ns-pid + ns-uts only)', () => {
  it('runs the command as PID 1 of its own pid namespace with its own hostname, and leaves nothing', async () => {
    const out = join(dir, 'out');
    await unshare({
      argv: ['/bin/sh', '-c', 'echo "pid=$$"; hostname; readlink /proc/self/ns/uts'],
      hostname: 'boxed',
      host: await createLinuxHost(),
      console: out,
      cgroupParent: `@self/${parent}`,
    });
    const [pidLine, name, uts] = (await readFile(out, 'utf8')).trim().split('\n');
    expect(pidLine).toBe('pid=1');
    expect(name).toBe('boxed');
    expect(uts).toMatch(/^uts:\[\d+\]$/);
    expect(uts).not.toBe(readlinkSync('/proc/self/ns/uts'));
    // The VE's own cgroup is gone in every hierarchy; only the empty test parent is left for afterEach.
    for (const d of parentDirs()) expect(readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory())).toEqual([]);
  });
});
