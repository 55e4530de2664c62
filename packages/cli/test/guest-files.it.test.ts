/**
 * Files vzctl writes inside a VE as the host's root, attacked by root inside (issue 17,
 * finding 1), from a VE of each kind. A swapper in the VE exchanges /etc/hostname,
 * /etc/hosts and /etc/resolv.conf (renameat2 RENAME_EXCHANGE, a tight loop) with a
 * symlink to a host file, a FIFO, a symlink to /dev/zero, a directory and (where the VE
 * may make one) a device node, while the host runs `vzctl set --hostname --nameserver
 * --ipadd|--ipdel` 200 times: each run completes, saying in one line per file when it
 * left one alone; the host file is neither read nor written; vzctl never hangs. What
 * stops it: the guest-file API (openat2 beneath the VE root with no symlinks and no
 * mount crossed, type checked on an O_PATH descriptor, new file + rename within the
 * directory's descriptor). The ssh host keys made at start meet the same decoys, placed
 * while the VE is stopped (nothing inside runs then).
 */
import { execFile, execFileSync } from 'node:child_process';
import { chown, copyFile, lstat, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealCli, type Run } from './real-cli.js';

const cli = new RealCli('guestfs');
const vzctl = cli.vzctl.bind(cli);
const swapperSource = fileURLToPath(new URL('./fixtures/rename-swapper.c', import.meta.url));
const NS = `vzkit-g${process.pid}`;
const octet = (cli.base % 250) + 1;
/** Host range of the user-namespaced VE: no account's, unlikely another test's. */
const LOCAL = 2_000_000 + ((cli.base + 11) % 1000) * 65536;
const TRIES = 200;
/** Per vzctl call: a run that blocks on a FIFO is killed and fails the test, not the suite. */
const CALL_TIMEOUT_MS = 20_000;
/** A start's warning lines, but the one every start of a VE of the host root prints (ns-user). */
const startWarnings = (stderr: string) => stderr.split('\n').filter((l) => l && !/\[ns-user\]: the VE's root is the host's root/.test(l));
const SECRET = `host-secret-${cli.base}\n`;
const FILES = ['etc/hostname', 'etc/hosts', 'etc/resolv.conf'];

const VARIANTS = [
  { kind: 'a VE of the host root', userns: false, A: cli.base, owner: 0, flags: ['--local_uid', '0'], decoys: 'fifo,link:/dev/zero,dir,chr:1:5' },
  { kind: 'a user-namespaced VE (--local_uid)', userns: true, A: cli.base + 1, owner: LOCAL, flags: ['--local_uid', String(LOCAL)], decoys: 'fifo,link:/dev/zero,dir' },
];

/** The host file the VE points its decoys at, and what it was before. */
let secret = '';
let secretBefore: { text: string; mtimeMs: number; ino: number };
let secretDir = '';

const run = promisify(execFile);
const inHost = (...argv: string[]) => run('nsenter', [`--net=/run/netns/${NS}`, '--', ...argv], { timeout: 20_000 });
const privateFs = (ctid: number) => join(cli.root, 'var/lib/vzkit/private', String(ctid), 'fs');

async function secretUntouched(): Promise<void> {
  const st = await stat(secret);
  expect({ text: await readFile(secret, 'utf8'), mtimeMs: st.mtimeMs, ino: st.ino }).toEqual(secretBefore);
  expect(await readdir(secretDir)).toEqual(['sshd_config']);
}

/** Every regular file the VE has in /etc (its own layer): none holds host content. Links and FIFOs are not opened. */
async function noHostContentInside(ctid: number): Promise<void> {
  const etc = join(privateFs(ctid), 'etc');
  for (const name of await readdir(etc)) {
    const st = await lstat(join(etc, name));
    if (st.isFile()) expect(await readFile(join(etc, name), 'utf8'), name).not.toContain(SECRET.trim());
  }
}

/** stderr of a run: nothing but, per guest file, at most one line naming the CT and the file. */
function expectOneLinePerRefusedFile(r: Run, ctid: number): string[] {
  expect(r.signal, `vzctl was killed (hung?): ${r.stderr}`).toBeNull();
  expect(r.code, r.stderr).toBe(0);
  const lines = r.stderr.split('\n').filter(Boolean);
  const files = lines.map((l) => {
    const m = new RegExp(`^WARNING: CT ${ctid} \\[(?:ns-uts|distro|ns-net)\\]: (/etc/(?:hostname|hosts|resolv\\.conf)) (?:is a (?:symbolic link|FIFO|character device|directory)|has a symbolic link on its path)\\b.*; .+ not written into it$`).exec(l);
    expect(m, `unexpected line: ${l}`).not.toBeNull();
    return m![1]!;
  });
  expect(new Set(files).size).toBe(files.length);
  return files;
}

beforeAll(async () => {
  await cli.setup();
  execFileSync('ip', ['netns', 'add', NS]);
  cli.netns = NS;
  await inHost('ip', 'link', 'set', 'lo', 'up');
  await inHost('sysctl', '-qw', 'net.ipv4.ip_forward=1');
  execFileSync('cc', ['-static', '-O2', '-o', join(cli.root, 'rename-swapper'), swapperSource]);
  secretDir = join(cli.root, 'host-dir');
  await mkdir(secretDir);
  secret = join(cli.root, 'host-secret');
  await writeFile(secret, SECRET, { mode: 0o600 });
  await writeFile(join(secretDir, 'sshd_config'), '# the host\'s\n');
  const st = await stat(secret);
  secretBefore = { text: SECRET, mtimeMs: st.mtimeMs, ino: st.ino };
  for (const v of VARIANTS) {
    const c = await vzctl(['create', String(v.A), '--ostemplate', 'busybox', '--hostname', 'h0', ...v.flags]);
    expect(c.code, c.stderr).toBe(0);
    expect((await vzctl(['set', String(v.A), '--nameserver', `198.18.${octet}.53`, '--save'])).code).toBe(0);
    const bin = join(privateFs(v.A), 'usr/local/bin');
    await mkdir(bin, { recursive: true });
    await copyFile(join(cli.root, 'rename-swapper'), join(bin, 'rename-swapper'));
  }
}, 120_000);
afterAll(async () => {
  for (const v of VARIANTS) await cli.cleanupVe(v.A);
  await cli.teardown();
  if (cli.netns) execFileSync('ip', ['netns', 'del', NS]);
}, 120_000);

describe.each(VARIANTS)('guest files of $kind, attacked from inside', ({ userns, A, owner }) => {
  it('ssh host keys at start: made as the VE\'s own files; with /etc/ssh linked to a host directory, or decoys at the other files, none is written and the start completes', async () => {
    const etc = join(privateFs(A), 'etc');
    const own = async (p: string) => { if (userns) await chown(p, LOCAL, LOCAL); };
    // A guest with sshd: keys are made, belonging to the VE's root. (What the test makes
    // in the VE's layer belongs to the VE's root too, as if the VE had made it.)
    await mkdir(join(etc, 'ssh'), { recursive: true });
    await own(etc);
    await own(join(etc, 'ssh'));
    await writeFile(join(etc, 'ssh/sshd_config'), 'Port 22\n');
    const r = await vzctl(['start', String(A)]);
    expect(r.code, r.stderr).toBe(0);
    expect(startWarnings(r.stderr)).toEqual([]);
    const key = await stat(join(etc, 'ssh/ssh_host_ed25519_key'));
    expect([key.uid, key.mode & 0o777]).toEqual([owner, 0o600]);
    expect((await stat(join(etc, 'ssh/ssh_host_ed25519_key.pub'))).mode & 0o777).toBe(0o644);
    expect((await vzctl(['stop', String(A), '--fast'])).code).toBe(0);

    // Stopped, the VE's files are what it left: /etc/ssh a link to a host directory that
    // has an sshd_config and no keys; the other files decoys of each kind.
    await rm(join(etc, 'ssh'), { recursive: true });
    await symlink(secretDir, join(etc, 'ssh'));
    await rm(join(etc, 'hosts'), { force: true });
    await symlink(secret, join(etc, 'hosts'));
    await rm(join(etc, 'resolv.conf'), { force: true });
    execFileSync('mkfifo', [join(etc, 'resolv.conf')]);
    await rm(join(etc, 'hostname'), { force: true });
    await symlink('/dev/zero', join(etc, 'hostname'));
    const s = await cli.tool('vzctl', ['start', String(A)], {}, CALL_TIMEOUT_MS);
    expect(s.signal).toBeNull();
    expect(s.code, s.stderr).toBe(0);
    expect(startWarnings(s.stderr).sort()).toEqual([
      `WARNING: CT ${A} [distro]: /etc/hosts is a symbolic link, which vzkit does not follow; the hostname was not written into it`,
      `WARNING: CT ${A} [distro]: /etc/ssh/sshd_config has a symbolic link on its path, which vzkit does not follow; no ssh host keys were made; sshd inside will not start`,
      `WARNING: CT ${A} [ns-net]: /etc/resolv.conf is a FIFO, not a regular file; NAMESERVER and SEARCHDOMAIN were not written into it`,
      `WARNING: CT ${A} [ns-uts]: /etc/hostname is a symbolic link, which vzkit does not follow; HOSTNAME was not written into it`,
    ]);
    await secretUntouched();
    expect((await vzctl(['stop', String(A), '--fast'])).code).toBe(0);
    // Back to a plain VE for the race.
    for (const f of ['ssh', 'hosts', 'resolv.conf', 'hostname']) await rm(join(etc, f), { force: true });
    for (const f of ['hosts', 'resolv.conf', 'hostname']) {
      await writeFile(join(etc, f), `# the VE's ${f}\n`);
      await own(join(etc, f));
    }
  }, 60_000);
});

// Both kinds at once: each vzctl run waits on the kernel and on the launcher much of its
// time, and the swappers (nice 19) take what is idle.
describe.concurrent('vzctl set against a swapper in the VE', () => {
  for (const { kind, userns, A, decoys } of VARIANTS) {
    it(`${kind}: ${TRIES} x set --hostname --nameserver --ipadd|--ipdel while /etc/hostname, /etc/hosts and /etc/resolv.conf are exchanged with a symlink to a host file and other decoys: each run completes, leaving a file alone in one line; the host file is untouched`, async ({ expect }) => {
      await vzctl(['stop', String(A), '--fast']);
      const start = await vzctl(['start', String(A)]);
      expect(start.code, start.stderr).toBe(0);
      const targets = FILES.map((f) => `/${f}`);
      const sw = await vzctl(['exec2', String(A), '/usr/local/bin/rename-swapper', '600', `link:${secret},${decoys}`, ...targets]);
      // Every decoy was made: the race is on for each kind.
      expect([sw.code, sw.stderr]).toEqual([0, '']);
      const swapper = Number(sw.stdout.trim());
      expect(swapper).toBeGreaterThan(1);
      const refused = new Map<string, number>();
      try {
        const ip = `198.18.${octet}.${userns ? 2 : 1}`;
        for (let i = 1; i <= TRIES; i++) {
          const r = await cli.tool('vzctl', ['set', String(A), '--hostname', `h${i}`, '--nameserver', `198.18.${octet}.${(i % 200) + 10}`, i % 2 ? '--ipadd' : '--ipdel', ip, '--save'], {}, CALL_TIMEOUT_MS);
          for (const f of expectOneLinePerRefusedFile(r, A)) refused.set(f, (refused.get(f) ?? 0) + 1);
        }
      } finally {
        await vzctl(['exec2', String(A), 'kill', '-9', String(swapper)]);
      }
      console.log(`${kind}: files left alone per ${TRIES} runs:`, Object.fromEntries(refused));
      await secretUntouched();
      await noHostContentInside(A);
      // The race was live on every file: some runs met a decoy, some the real file.
      for (const f of targets) {
        expect(refused.get(f) ?? 0, f).toBeGreaterThan(0);
        expect(refused.get(f) ?? 0, f).toBeLessThan(TRIES);
      }
      expect((await vzctl(['stop', String(A), '--fast'])).code).toBe(0);
    }, 240_000);
  }
});
