/**
 * The motd plugin on the real kernel, composed as docs/plugins.md shows: the default
 * plugins plus motd, driven through vzctl and vzlist, whose `--motd` flag and `motd`
 * column come from the plugin's declarations. For each kind of VE (unprivileged, the
 * default; and one of the host root): a busybox VE made with MOTD shows it in
 * /etc/motd, `set --motd` changes it live, a bad value is refused with the plugin's own
 * exit, and a symlink the VE put at /etc/motd does not take vzctl's write to a host file.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, resolvePaths } from '@vzkit/core';
import { defaultPlugins, runVzctl, runVzlist, type CliIo, type RuntimeFactory } from '@vzkit/cli';
import { createLinuxHost, type LinuxHost } from '@vzkit/linux';
import { motdPlugin } from '../src/index.js';

interface Run { code: number; stdout: string; stderr: string }

/** First CTID of this file's range; every VE is stopped and destroyed in afterAll. */
const BASE = 200_000 + Math.floor(Math.random() * 700_000);
const parent = `@self/vzkit-test-${process.pid}-motd`;
let root = '';
let host: LinuxHost;
const made: number[] = [];

/** vzctl and vzlist over a runtime of the default plugins plus motd, in this file's VZKIT_ROOT. */
const factory: RuntimeFactory = async (req) =>
  createRuntime({ host, plugins: [...defaultPlugins(), motdPlugin], paths: resolvePaths(req.root ?? root), log: req.log, cgroupParent: parent });

async function drive(fn: (io: CliIo) => Promise<number>): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from(['']),
    isTTY: false,
  };
  const code = await fn(io);
  return { code, stdout, stderr };
}
const vzctl = (...argv: string[]) => drive((io) => runVzctl(argv, io, factory));
const vzlist = (...argv: string[]) => drive((io) => runVzlist(argv, io, factory));
const inside = (ctid: number, script: string) => vzctl('exec', String(ctid), script);

/** Lines of stderr but the warning every start of a VE of the host root prints (ns-user). */
const warnings = (stderr: string) => stderr.split('\n').filter((l) => l && !/\[ns-user\]: the VE's root is the host's root/.test(l));

beforeAll(async () => {
  execFileSync('make', ['-s', '-C', fileURLToPath(new URL('../../../packages/linux/native', import.meta.url))], { stdio: 'inherit' });
  host = await createLinuxHost();
  root = await mkdtemp(join(tmpdir(), 'vzkit-motd-it-'));
  // Like /var/lib: an unprivileged VE's root must be able to pass through to its VE_ROOT.
  await chmod(root, 0o711);
});

afterAll(async () => {
  for (const ctid of made) {
    await vzctl('stop', String(ctid), '--fast').catch(() => undefined);
    await vzctl('destroy', String(ctid)).catch(() => undefined);
  }
  await host?.cgroups.destroy(parent).catch(() => undefined);
  if (root) await rm(root, { recursive: true, force: true });
});

describe.each([
  { kind: 'an unprivileged VE (the default)', flags: [] as string[], offset: 0 },
  { kind: 'a VE of the host root (--local_uid 0)', flags: ['--local_uid', '0'], offset: 1 },
])('motd in $kind', ({ flags, offset }) => {
  const ctid = BASE + offset;

  it('shows MOTD in /etc/motd, changes it live, refuses a bad value, and never writes through a symlink', async () => {
    made.push(ctid);
    const id = String(ctid);
    let r = await vzctl('create', id, '--ostemplate', 'busybox', '--motd', 'Welcome to CT ' + id + '\\nBe nice.', ...flags);
    expect(r.code, r.stderr).toBe(0);
    r = await vzctl('start', id);
    expect(r.code, r.stderr).toBe(0);
    expect(warnings(r.stderr)).toEqual([]);

    r = await inside(ctid, 'cat /etc/motd');
    expect(r.stdout).toBe(`Welcome to CT ${id}\nBe nice.\n`);
    // Made by the host's root, it is the VE root's file in both kinds of VE.
    expect((await inside(ctid, 'stat -c %u:%g:%a /etc/motd')).stdout).toBe('0:0:644\n');
    r = await vzlist('-H', '-o', 'ctid,motd', id);
    expect(r.stdout.trim()).toMatch(new RegExp(`^${id} +Welcome to CT ${id}\\\\nBe nice\\.$`));

    // Live, without --save: the running VE gets it, the config keeps the old text.
    r = await vzctl('set', id, '--motd', 'Changed live');
    expect(r.code, r.stderr).toBe(0);
    expect((await inside(ctid, 'cat /etc/motd')).stdout).toBe('Changed live\n');
    const conf = await readFile(join(root, 'etc/vzkit/conf', `${id}.conf`), 'utf8');
    expect(conf).toContain(`MOTD="Welcome to CT ${id}\\\\nBe nice."`);

    // A terminal escape: one line, the plugin's own exit, nothing changed.
    r = await vzctl('set', id, '--motd', '\u001b]0;owned\u0007', '--save');
    expect(r.code).toBe(200);
    expect(r.stderr).toMatch(new RegExp(`^vzctl: CT ${id}: invalid MOTD \\(--motd\\): it holds the control character U\\+001B at position 1, [^\\n]*\\n$`));
    expect((await inside(ctid, 'cat /etc/motd')).stdout).toBe('Changed live\n');
    expect(await readFile(join(root, 'etc/vzkit/conf', `${id}.conf`), 'utf8')).toBe(conf);

    // The VE's root points /etc/motd at a host file: vzctl writes neither through it nor over it.
    const secret = join(root, `host-secret-${id}`);
    await writeFile(secret, 'root:$6$secret:19000::::::\n', { mode: 0o600 });
    const before = await stat(secret);
    r = await inside(ctid, `rm -f /etc/motd && ln -s ${secret} /etc/motd`);
    expect(r.code, r.stderr).toBe(0);
    r = await vzctl('set', id, '--motd', 'Through the link', '--save');
    expect(r.code, r.stderr).toBe(0);
    expect(warnings(r.stderr)).toEqual([
      `WARNING: CT ${id} [example-motd]: /etc/motd is a symbolic link, which vzkit does not follow; MOTD was not written into it`,
    ]);
    expect(await readFile(secret, 'utf8')).toBe('root:$6$secret:19000::::::\n');
    expect(await stat(secret)).toMatchObject({ ino: before.ino, mtimeMs: before.mtimeMs, size: before.size });
    expect((await inside(ctid, 'readlink /etc/motd')).stdout).toBe(`${secret}\n`);

    // Once the VE puts a file back, the next start writes the saved text into it.
    expect((await inside(ctid, 'rm /etc/motd && echo mine > /etc/motd')).code).toBe(0);
    expect((await vzctl('restart', id)).code).toBe(0);
    expect((await inside(ctid, 'cat /etc/motd')).stdout).toBe('Through the link\n');

    r = await vzctl('stop', id);
    expect(r.code, r.stderr).toBe(0);
    r = await vzctl('destroy', id);
    expect(r.code, r.stderr).toBe(0);
  });
});
