/**
 * lxcfs played on a FakeHost: the binary and /dev/fuse are there, and starting the
 * daemon mounts a `fuse.lxcfs` filesystem at its last argument (its mount point) whose
 * files say which view they are (`lxcfs proc/cpuinfo`), so a test sees whether a VE's
 * /proc file is lxcfs's or the host's. Stopping it is the fake's SIGTERM: it dies.
 */
import type { FakeHost } from './fake-host.js';

/** The views a fake lxcfs offers unless told otherwise. */
export const FAKE_LXCFS_FILES = ['proc/cpuinfo', 'proc/meminfo', 'proc/stat', 'proc/loadavg', 'proc/uptime'] as const;

/** Makes lxcfs startable on `fake`, offering `files` (paths below its mount point). */
export function installFakeLxcfs(fake: FakeHost, files: readonly string[] = FAKE_LXCFS_FILES): void {
  fake.fs.seed('/usr/bin/lxcfs', '', { mode: 0o755 });
  fake.fs.seed('/dev/fuse', '');
  fake.onDaemon('lxcfs', (_pid, argv) => {
    const mnt = argv[argv.length - 1]!;
    void fake.mounts.mount({ source: 'lxcfs', target: mnt, fstype: 'fuse.lxcfs' }).then(async () => {
      for (const f of files) {
        await fake.fs.mkdir(`${mnt}/${f.slice(0, f.lastIndexOf('/'))}`, { recursive: true });
        await fake.fs.writeFile(`${mnt}/${f}`, `lxcfs ${f}\n`);
      }
    });
  });
}
