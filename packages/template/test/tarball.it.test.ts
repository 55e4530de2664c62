/**
 * vztmpl on the real host with the real tar: a busybox template exported and imported
 * keeps owners, file capabilities and device nodes; a vztmpl killed midway (SIGKILL, so
 * no handler of its own runs) leaves only its partial directory and the template's lock,
 * takes its tar along, and the next run takes the stale lock over and removes the partial.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chown, copyFile, lstat, mkdir, open, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VztmplCli } from './vztmpl-cli.js';

const cli = new VztmplCli();
let out = '';

beforeAll(async () => {
  await cli.setup();
  out = join(cli.root, 'exports');
  await mkdir(out);
  expect((await cli.run(['create', 'busybox', '-q'])).code).toBe(0);
}, 120_000);

afterAll(async () => {
  await cli.teardown();
});

/** Every entry of a tree: type, mode, owner, device, link target or content hash. */
async function describeTree(root: string): Promise<string[]> {
  const lines: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(root, rel))).sort()) {
      const path = join(root, rel, name);
      const st = await lstat(path);
      const kind = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isCharacterDevice() ? 'c' : st.isFile() ? 'f' : '?';
      const what = kind === 'l' ? await readlink(path) : kind === 'f' ? createHash('sha256').update(await readFile(path)).digest('hex').slice(0, 16) : kind === 'c' ? `rdev ${st.rdev}` : '';
      lines.push(`${rel}/${name} ${kind} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${what}`);
      if (kind === 'd') await walk(join(rel, name));
    }
  };
  await walk('');
  return lines;
}

/** Pids of processes whose command line mentions `text`. */
async function processesWith(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').some((a) => a.includes(text))) pids.push(Number(entry));
  }
  return pids;
}

async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.split(/\s+/).filter(Boolean).map(Number);
}

async function isAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat !== undefined && !/^\d+ \(.*\) Z/.test(stat);
}

async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !(await check());) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('vztmpl export and import (real tar)', () => {
  it('round trip: the same tree under another name, numeric owners, file capabilities and devices kept', async () => {
    const tree = join(cli.templateDir, 'busybox');
    // What a full distribution has and busybox lacks: a file of another owner with a capability, a device node.
    await copyFile(join(tree, 'bin/busybox'), join(tree, 'bin/pinger'));
    await chown(join(tree, 'bin/pinger'), 1234, 5678);
    execFileSync('setcap', ['cap_net_raw+ep', join(tree, 'bin/pinger')]);
    execFileSync('mknod', ['-m', '666', join(tree, 'dev/null'), 'c', '1', '3']);

    const exported = await cli.run(['export', 'busybox', join(out, 'bb.tar.zst')]);
    expect(exported).toMatchObject({ code: 0, stderr: `vztmpl: busybox: packing into ${out}/bb.tar.zst\n` });
    expect(exported.stdout).toMatch(new RegExp(`^Exported OS template busybox to ${out}/bb\\.tar\\.zst \\(zstd, \\d`));
    expect(await readdir(out)).toEqual(['bb.tar.zst']);

    const imported = await cli.run(['import', join(out, 'bb.tar.zst'), 'bb2']);
    expect(imported).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Imported OS template bb2 from /) });
    const original = (await describeTree(tree)).filter((l) => !l.startsWith('/.vzkit-template '));
    const copy = (await describeTree(join(cli.templateDir, 'bb2'))).filter((l) => !l.startsWith('/.vzkit-template '));
    expect(copy).toEqual(original);
    expect(copy).toEqual(expect.arrayContaining([expect.stringMatching(/^bin\/pinger f 755 1234:5678 /), expect.stringMatching(/^dev\/null c 666 0:0 rdev 259$/)]));
    expect(execFileSync('getcap', [join(cli.templateDir, 'bb2/bin/pinger')], { encoding: 'utf8' })).toContain('cap_net_raw=ep');
    const stamp = JSON.parse(await readFile(join(cli.templateDir, 'bb2/.vzkit-template'), 'utf8')) as Record<string, unknown>;
    expect(stamp).toMatchObject({ name: 'bb2', source: 'busybox:/bin/busybox', importedFrom: join(out, 'bb.tar.zst') });

    const list = JSON.parse((await cli.run(['list', '-j'])).stdout) as Array<{ name: string }>;
    expect(list.map((t) => t.name)).toEqual(['bb2', 'busybox']);
    expect(await cli.run(['import', join(out, 'bb.tar.zst'), 'bb2'])).toMatchObject({ code: 93 });
    expect((await cli.run(['remove', 'bb2'])).code).toBe(0);
    expect(await cli.entries()).toEqual(['busybox']);
  });

  it('a tarball that is no template is refused, leaving nothing', async () => {
    const junk = join(out, 'junk.tar.gz');
    await mkdir(join(cli.root, 'junk/etc'), { recursive: true });
    await writeFile(join(cli.root, 'junk/etc/motd'), 'hello\n');
    execFileSync('tar', ['-czf', junk, '-C', join(cli.root, 'junk'), '.']);
    expect(await cli.run(['import', junk])).toMatchObject({
      code: 47, stderr: `vztmpl: junk: unpacking ${junk}\nvztmpl: cannot import OS template 'junk' in ${cli.templateDir}: ${junk} is not an OS template: it has no /sbin/init\n  hint: an OS template is the whole root filesystem of a system, /sbin/init and /bin/sh included\n`,
    });
    expect(await cli.entries()).toEqual(['busybox']);
  });

  it('an import killed midway leaves only its partial directory, its lock and no tar; the next import removes them', async () => {
    const good = join(out, 'bb.tar.gz');
    expect((await cli.run(['export', 'busybox', good, '-q'])).code).toBe(0);
    // Fed through a FIFO, tar stops halfway and waits while vztmpl is killed.
    const fifo = join(out, 'slow.tar.gz');
    execFileSync('mkfifo', [fifo]);
    const child = cli.start(['import', fifo, 'slow']);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const writer = await open(fifo, 'w');
    const bytes = await readFile(good);
    await writer.write(bytes.subarray(0, bytes.length >> 1));
    await until('tar to unpack', async () => (await processesWith(fifo)).length > 1 && (await cli.entries()).includes(`slow.partial-${child.pid}`));
    const tar = await childrenOf(child.pid!);
    expect(tar).toHaveLength(1);
    child.kill('SIGKILL');
    await exited;
    // The tar that writes into the partial directory had SIGKILL as its parent-death signal.
    await until('tar to die with vztmpl', async () => !(await isAlive(tar[0]!)), 5000);
    // Its helpers (the reader feeding gzip, gzip) end with their input.
    await writer.close();
    await until('the rest to end', async () => (await processesWith(fifo)).length === 0, 5000);
    expect(await cli.entries()).toEqual(['.slow.lock', 'busybox', `slow.partial-${child.pid}`]);

    expect(await cli.run(['import', good, 'slow'])).toMatchObject({ code: 0 });
    expect(await cli.entries()).toEqual(['busybox', 'slow']);
  });

  it('a build killed after filling its tree (VZKIT_FAULT) leaves an unstamped partial; the next build removes it', async () => {
    expect((await cli.run(['remove', 'busybox', '-q'])).code).toBe(0);
    const killed = await cli.run(['create', 'busybox'], { env: { VZKIT_FAULT: 'template:filled' } });
    expect(killed.signal).toBe('SIGKILL');
    const [lock, partial, ...rest] = (await cli.entries()).filter((e) => e !== 'slow');
    expect(rest).toEqual([]);
    expect(lock).toBe('.busybox.lock');
    expect(partial).toMatch(/^busybox\.partial-\d+$/);
    expect((JSON.parse((await cli.run(['list', '-j'])).stdout) as Array<{ name: string }>).map((t) => t.name)).toEqual(['slow']);
    expect((await cli.run(['create', 'busybox', '-q'])).code).toBe(0);
    expect(await cli.entries()).toEqual(['busybox', 'slow']);
  });
});
