/**
 * GNU tar, zstd and sync as FakeHost plays them for the backup tools: tar writes a real
 * tar stream of the fake tree (tar-bytes.ts, not the code under test) and unpacks one
 * into it with owners and modes; zstd "compresses" by a magic prefix and refuses a file
 * without it, as the real one refuses what is not zstd. Each records what it saw.
 */
import { join } from 'node:path';
import type { FakeHost } from '@vzkit/fake-host';
import { readTar, tarBytes, type Entry } from './tar-bytes.js';

export const ZSTD_MAGIC = 'FZST';

export interface FakeTools {
  /** Hook called while tar --create runs (to look at the VE meanwhile). */
  onCreate?: () => void | Promise<void>;
  /** tar --extract fails (exit 2) after unpacking, as on a full disk. */
  failExtract?: boolean;
  /** tar --create fails (exit 2). */
  failCreate?: boolean;
  creates: number;
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv[i + 1];
}

/** Entries of the tree at `dir` as GNU tar names them under `prefix`. */
function walk(fake: FakeHost, dir: string, prefix: string): Entry[] {
  const out: Entry[] = [];
  const visit = (abs: string, name: string) => {
    const st = fake.fs.statSync(abs)!;
    const base = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    if (st.type === 'dir') {
      out.push({ ...base, name: `${name}/`, type: '5' });
      for (const n of fake.fs.readdirSync(abs).sort()) visit(join(abs, n), `${name}/${n}`);
    } else if (st.type === 'symlink') out.push({ ...base, type: '2', link: fake.fs.readlinkSync(abs) });
    else if (st.type === 'char') out.push({ ...base, type: '3' });
    else if (st.type === 'file') out.push({ ...base, data: fake.fs.readSync(abs) });
    // sockets and FIFOs: GNU tar skips sockets; the fixtures have no FIFO.
  };
  visit(dir, prefix);
  return out;
}

export function installFakeTools(fake: FakeHost): FakeTools {
  const tools: FakeTools = { creates: 0 };
  fake.onRun('sync', () => 0);
  fake.onRun('zstd', async (argv, ctx) => {
    if (argv.includes('-d')) {
      const data = fake.fs.readSync(argv.at(-1)!);
      if (Buffer.from(data.subarray(0, 4)).toString() !== ZSTD_MAGIC) return { code: 1, stderr: `zstd: ${argv.at(-1)}: unsupported format\n` };
      await ctx.output(data.subarray(4));
      return 0;
    }
    const input = await ctx.stdin();
    await ctx.output(Buffer.from(ZSTD_MAGIC));
    // In pieces, as a pipe hands them on.
    for (let i = 0; i < input.length; i += 4096) await ctx.output(input.subarray(i, i + 4096));
    return 0;
  });
  fake.onRun('tar', async (argv, ctx) => {
    const dir = arg(argv, '--directory')!;
    const transform = argv.find((a) => a.startsWith('--transform='))!;
    if (argv.includes('--create')) {
      tools.creates++;
      await tools.onCreate?.();
      if (tools.failCreate) return { code: 2, stderr: 'tar: ./root: Cannot open: Permission denied\n' };
      const prefix = /s,\^\\\.,([^,]+),/.exec(transform)![1]!;
      const bytes = Buffer.concat([tarBytes(walk(fake, dir, prefix)), new Uint8Array(2048)]);
      for (let i = 0; i < bytes.length; i += 3000) await ctx.output(bytes.subarray(i, i + 3000));
      return 0;
    }
    const member = argv.at(-1)!;
    const entries = readTar(await ctx.stdin());
    for (const e of entries) {
      const name = e.name.replace(/\/$/, '');
      if (name !== member && !name.startsWith(`${member}/`)) continue;
      const path = join(dir, name.slice(member.length));
      if (e.type === '5') fake.fs.mkdirSync(path, { recursive: true });
      else if (e.type === '2') fake.fs.symlinkSync(e.link, path);
      else if (e.type === '3') fake.fs.mknodSync(path, 'c', 0, 0, e.mode);
      else fake.fs.writeSync(path, e.data);
      if (e.type !== '2') fake.fs.chmodSync(path, e.mode);
      fake.fs.chownSync(path, e.uid, e.gid);
    }
    return tools.failExtract ? { code: 2, stderr: 'tar: ./root/big: Cannot write: No space left on device\n' } : 0;
  });
  return tools;
}
