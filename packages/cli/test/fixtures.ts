/**
 * Set-ups that several integration files share: a Debian VE's network namespace and
 * template, and private areas on a btrfs of their own.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import type { RealCli } from './real-cli.js';

const run = promisify(execFile);

/**
 * The tools of `cli` run in a network namespace of the file's own (`vzkit-TAG<pid>`,
 * loopback up, 198.19.255.1 on it as the VEs' nameserver route), with the
 * debian-12-x86_64 cache ready (built once per machine before the tests,
 * test-support/templates-setup.ts, then taken from the machine cache).
 */
export function debianInNetns(cli: RealCli, tag: string) {
  const ns = `vzkit-${tag}${process.pid}`;
  /** A third octet of 198.18.x.y no other file is likely to use at the same time. */
  const octet = (cli.base % 250) + 1;
  /** A command in the namespace, as the VEs' host sees it. */
  const inHost = (...argv: string[]) => run('nsenter', [`--net=/run/netns/${ns}`, '--', ...argv], { timeout: 20_000 });
  return {
    ns,
    octet,
    inHost,
    /** For beforeAll, with a timeout of 21 minutes (a first template build). */
    async setup(): Promise<void> {
      await cli.setup();
      execFileSync('ip', ['netns', 'add', ns]);
      cli.netns = ns;
      await inHost('ip', 'link', 'set', 'lo', 'up');
      await inHost('ip', 'addr', 'add', '198.19.255.1/32', 'dev', 'lo');
      const t = await cli.tool('vztmpl', ['create', 'debian-12-x86_64', '-q'], {}, 20 * 60_000);
      expect(t.code, t.stderr).toBe(0);
    },
    /** For afterAll: the VEs `ids`, the root, then the namespace. */
    async teardown(ids: readonly number[]): Promise<void> {
      for (const id of ids) await cli.cleanupVe(id);
      await cli.teardown();
      execFileSync('ip', ['netns', 'del', ns]);
    },
  };
}

/**
 * The private areas of `cli`'s root on a btrfs of their own (512 MiB on a loop device),
 * so that a VE's private area becomes a subvolume with a qgroup. Call after cli.setup().
 */
export async function privateOnBtrfs(cli: RealCli): Promise<{ privDir: string; unmount: () => void }> {
  const privDir = join(cli.root, 'var/lib/vzkit/private');
  const img = join(cli.root, 'btrfs.img');
  await writeFile(img, '');
  execFileSync('truncate', ['-s', '512M', img]);
  execFileSync('mkfs.btrfs', ['-q', img]);
  await mkdir(privDir, { recursive: true });
  execFileSync('mount', ['-o', 'loop', img, privDir]);
  return { privDir, unmount: () => execFileSync('umount', [privDir]) };
}
