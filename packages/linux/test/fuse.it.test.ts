/**
 * LinuxFuseService on the real kernel (root, /dev/fuse): a ServedFs mounted from this
 * process and read by other processes, which the server must never block on (the
 * commands run asynchronously: a synchronous spawn would wait for a reply this same
 * event loop has to write).
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FuseCaller, FuseSession, ServedContent, ServedFs } from '@vzkit/core';
import { LinuxFuseService } from '../src/fuse.js';
import { MNT_DETACH, umount2 } from '../src/syscalls.js';

interface Run { code: number; stdout: string; stderr: string }
function sh(script: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', script], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 128) : 0, stdout, stderr });
    });
  });
}

const service = new LinuxFuseService();
let dir: string;
let mnt: string;
let session: FuseSession | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vzkit-fuse-'));
  await chmod(dir, 0o711);
  mnt = join(dir, 'mnt');
  await sh(`mkdir -m 755 ${mnt}`);
});

afterEach(async () => {
  await session?.close();
  session = undefined;
  try {
    umount2(mnt, MNT_DETACH);
  } catch {
    // Not mounted: the test closed it.
  }
  await rm(dir, { recursive: true, force: true });
});

const files = (open: (path: string, caller: FuseCaller) => Promise<ServedContent>, openLimit?: number): ServedFs => ({
  entries: [
    { path: 'who', type: 'file', mode: 0o444 },
    { path: 'root-only', type: 'file', mode: 0o444 },
    { path: 'big', type: 'file', mode: 0o444 },
    { path: 'slow', type: 'file', mode: 0o444 },
    { path: 'vz', type: 'dir', mode: 0o555 },
    { path: 'vz/veinfo', type: 'file', mode: 0o444 },
  ],
  ...(openLimit !== undefined ? { openLimit } : {}),
  open,
});

const answer = async (path: string, caller: FuseCaller): Promise<ServedContent> => {
  if (path === 'root-only' && caller.uid !== 0) throw Object.assign(new Error('not for you'), { errno: 'EACCES' });
  if (path === 'big') return { data: 'x'.repeat(300_000) };
  return { data: `${path} pid=${caller.pid} uid=${caller.uid}\n`, owner: String(caller.uid) };
};

describe('LinuxFuseService', () => {
  it('answers each open for the process that opens it, as the kernel names it', async () => {
    session = await service.serve(mnt, files(answer), { name: 'vztest' });
    const r = await sh(`echo $$; exec cat ${mnt}/who`);
    const [pid, line] = r.stdout.trim().split('\n');
    expect(line).toBe(`who pid=${pid} uid=0`);
    expect((await sh(`setpriv --reuid 65534 --regid 65534 --clear-groups cat ${mnt}/vz/veinfo`)).stdout).toMatch(/^vz\/veinfo pid=\d+ uid=65534\n$/);
    const big = await sh(`wc -c < ${mnt}/big`);
    expect(big.stdout.trim()).toBe('300000');
  });

  it('gives each lookup an inode of its own, of the exact size once opened, so sendfile reads it and no reader gets another\'s pages', async () => {
    session = await service.serve(mnt, files(answer), { name: 'vztest' });
    // A lookup makes no content: size 0 until an open makes one (as procfs's files show 0).
    expect((await sh(`stat -c %s ${mnt}/who`)).stdout.trim()).toBe('0');
    const size = await sh(`echo $$; exec 3<${mnt}/who; exec stat -L -c %s /proc/self/fd/3`);
    const [pid, bytes] = size.stdout.trim().split('\n');
    expect(Number(bytes)).toBe(`who pid=${pid} uid=0\n`.length);
    // sendfile(2), as busybox cat copies a file.
    const sent = await sh(`exec python3 -c 'import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); n=os.sendfile(1, fd, None, 1<<20); sys.stderr.write(str(n))' ${mnt}/who`);
    expect(sent.stdout).toMatch(/^who pid=\d+ uid=0\n$/);
    expect(Number(sent.stderr)).toBe(sent.stdout.length);
    // Readers of two owners at once, many times: each gets its own.
    const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2
      ? sh(`setpriv --reuid 65534 --regid 65534 --clear-groups cat ${mnt}/who`)
      : sh(`cat ${mnt}/who`))));
    runs.forEach((r, i) => expect(r.stdout).toMatch(i % 2 ? /^who pid=\d+ uid=65534\n$/ : /^who pid=\d+ uid=0\n$/));
  });

  it('makes a file afresh at each open, for its opener, also through a bind that pins its node; sendfile and read(2) get it whole as it grows and shrinks', async () => {
    let pad = 0;
    session = await service.serve(mnt, files(async (path, caller) => {
      if (path !== 'who') return answer(path, caller);
      return { data: `pid=${caller.pid} ${'y'.repeat(pad)}\n` };
    }), { name: 'vztest' });
    const pinned = join(dir, 'pinned');
    await sh(`touch ${pinned}`);
    expect((await sh(`mount --bind ${mnt}/who ${pinned}`)).code).toBe(0);
    try {
      // The sizes the kernel must follow on the one pinned node: up, down, up past a page.
      for (const size of [30, 2, 40, 0, 5000, 10]) {
        pad = size;
        // busybox cat copies with sendfile(2), coreutils cat with read(2).
        for (const cat of ['busybox cat', 'cat']) {
          const r = await sh(`echo $$; exec ${cat} ${pinned}`);
          const [pid, text] = [r.stdout.slice(0, r.stdout.indexOf('\n')), r.stdout.slice(r.stdout.indexOf('\n') + 1)];
          expect(text).toBe(`pid=${pid} ${'y'.repeat(size)}\n`);
        }
      }
    } finally {
      await sh(`umount -l ${pinned}`);
    }
  });

  it('is read-only, nosuid, nodev and noexec, with the modes of its entries, and passes refusals on', async () => {
    session = await service.serve(mnt, files(answer), { name: 'vztest' });
    const line = (await readFile('/proc/self/mounts', 'utf8')).split('\n').find((l) => l.split(' ')[1] === mnt)!;
    expect(line).toMatch(/^vztest \S+ fuse\.vztest ro,nosuid,nodev,noexec,[^ ]*allow_other/);
    expect((await sh(`stat -c '%A %U' ${mnt} ${mnt}/who ${mnt}/vz`)).stdout).toBe('dr-xr-xr-x root\n-r--r--r-- root\ndr-xr-xr-x root\n');
    expect((await sh(`ls ${mnt} ${mnt}/vz`)).stdout).toBe(`${mnt}:\nbig\nroot-only\nslow\nvz\nwho\n\n${mnt}/vz:\nveinfo\n`);
    expect((await sh(`echo x > ${mnt}/who`)).stderr).toMatch(/Read-only file system/);
    expect((await sh(`touch ${mnt}/new`)).stderr).toMatch(/Read-only file system/);
    expect((await sh(`cat ${mnt}/nope`)).stderr).toMatch(/No such file or directory/);
    expect((await sh(`setpriv --reuid 65534 --regid 65534 --clear-groups cat ${mnt}/root-only`)).stderr).toMatch(/Permission denied/);
    expect((await sh(`cat ${mnt}/root-only`)).code).toBe(0);
  });

  it('does not hold other opens up behind a slow one; an opener killed meanwhile ends with the answer, and its file is released', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    session = await service.serve(mnt, files(async (path, caller) => {
      if (path === 'slow') await gate;
      return answer(path, caller);
    }, 1), { name: 'vztest' });
    const slow = sh(`echo $$ > ${dir}/slow.pid; exec cat ${mnt}/slow`);
    // The slow open waits; another file answers meanwhile.
    expect((await sh(`cat ${mnt}/who`)).stdout).toMatch(/^who pid=/);
    await sh(`while [ ! -s ${dir}/slow.pid ]; do sleep 0.01; done; kill -9 $(cat ${dir}/slow.pid)`);
    // A request the server has read is waited out even by SIGKILL (the kernel's rule):
    // the killed reader ends when the answer comes.
    release();
    expect((await slow).code).not.toBe(0);
    // Its file was released with it: uid 0 may open its one file again (openLimit 1).
    for (let i = 0; i < 50 && (await sh(`cat ${mnt}/who`)).code !== 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await sh(`cat ${mnt}/who`)).code).toBe(0);
  });

  it('refuses an owner more open files than its limit, and counts them again once closed', async () => {
    session = await service.serve(mnt, files(answer, 2), { name: 'vztest' });
    const r = await sh(`exec 3<${mnt}/who 4<${mnt}/vz/veinfo; cat ${mnt}/who`);
    expect(r.stderr).toMatch(/Too many open files/);
    expect((await sh(`cat ${mnt}/who`)).code).toBe(0);
  });

  it('is aborted by the kernel when it leaves a request unanswered past its timeout: readers get an error, not a hang', async () => {
    // Linux 6.14+ (FUSE_REQUEST_TIMEOUT); the kernel looks for late requests every 15 s.
    session = await service.serve(mnt, files(() => new Promise<never>(() => undefined)), { name: 'vztest', timeoutSec: 1 });
    const t0 = Date.now();
    const r = await sh(`cat ${mnt}/who`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Software caused connection abort|Transport endpoint is not connected|Timer expired/);
    expect(Date.now() - t0).toBeLessThan(40_000);
    expect((await sh(`cat ${mnt}/vz/veinfo`)).stderr).toMatch(/Transport endpoint is not connected|Software caused connection abort/);
    await session.done;
  }, 60_000);

  it("gives each scope its own copy of the tree, opened with the scope's name, and binds from eight scopes at once all hold", async () => {
    const names = ['1', '2', '3', '4', '5', '6', '7', '8'];
    session = await service.serve(mnt, {
      ...files(answer),
      entries: [...files(answer).entries, { path: 'ses', type: 'dir', mode: 0o555 }],
      scopes: { dir: 'ses', exists: async (name) => names.includes(name) },
      open: async (path, caller, scope) => ({ data: `${path} scope=${scope ?? '-'}\n` }),
    }, { name: 'vztest' });
    expect((await sh(`cat ${mnt}/ses/1/who ${mnt}/ses/2/vz/veinfo ${mnt}/who`)).stdout).toBe('who scope=1\nvz/veinfo scope=2\nwho scope=-\n');
    expect((await sh(`ls ${mnt}/ses/1`)).stdout.split('\n').filter(Boolean).sort()).toEqual(['big', 'root-only', 'slow', 'vz', 'who']);
    expect((await sh(`ls ${mnt}/ses`)).stdout).toBe('');
    expect((await sh(`cat ${mnt}/ses/9/who`)).stderr).toMatch(/No such file/);
    // What a bulk start does: each VE's launcher binds its own scope's files, eight at once
    // (one shared name looked up anew by every walker made some binds fail with ENOENT).
    const binds = await Promise.all(names.map((n) => sh(
      `set -e; mkdir -p ${dir}/t${n}; : > ${dir}/t${n}/f; for i in $(seq 30); do unshare -m sh -c "mount --bind ${mnt}/ses/${n}/who ${dir}/t${n}/f && cat ${dir}/t${n}/f" >/dev/null; done`)));
    expect(binds.map((b) => b.stderr).filter(Boolean)).toEqual([]);
  });

  it('ends the session when unmounted', async () => {
    const s = await service.serve(mnt, files(answer), { name: 'vztest' });
    await s.close();
    await s.done;
    expect((await readFile('/proc/self/mounts', 'utf8')).split('\n').some((l) => l.split(' ')[1] === mnt)).toBe(false);
  });
});
