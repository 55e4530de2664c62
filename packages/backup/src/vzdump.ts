/**
 * `vzdump CTID [--dumpdir DIR] [--mode stop|suspend]`: a consistent archive of a VE's
 * config and private area, as Proxmox's vzdump made of OpenVZ containers. The VE is held
 * still while its files are read (Runtime.hold, with its lock held throughout):
 *
 * - `suspend` (the default, as Proxmox falls back to it where it cannot snapshot): a
 *   running VE's processes are frozen (cgroup freezer) while the archive is written, and
 *   thawed after. The archive holds the files as they were at the freeze: everything the
 *   VE's programs had written through the kernel (its page cache included), nothing of
 *   what they held in memory alone. A database restores as after a power cut, without the
 *   loss of unflushed writes; connections stay open, but see no answer while it lasts.
 * - `stop`: a running VE is stopped (its own shutdown, as `vzctl stop`), archived, and
 *   started again: its services shut down and start as on a reboot, and every file is as
 *   they left it.
 *
 * A VE that does not run is archived as it is, whatever the mode (its disk image mounted
 * for the read, if it has one). The archive is written beside its final name
 * (`NAME.partial-PID`, recorded in the VE's state as the hold's) and renamed once whole
 * and on disk; a vzdump killed meanwhile leaves the partial file, which the next
 * operation on the VE — or the next vzdump into that directory — removes. Progress goes
 * to stderr; the archive's path is the last line on stdout.
 */
import { join, resolve } from 'node:path';
import { faultPoint, OSTEMPLATE, vzError, wrapError, type CommandApi, type CommandDecl, type HeldVe, type HoldMode, type Host } from '@vzkit/core';
import { writeArchive } from './archive.js';
import { backupError } from './errors.js';
import type { Manifest } from './format.js';
import { duration, progressLine, size, type Say } from './say.js';

const USAGE = 'Usage: vzdump CTID [--dumpdir DIR] [--mode stop|suspend] [--quiet]';

export interface DumpArgs {
  ve: string;
  dumpdir: string | undefined;
  mode: HoldMode;
  quiet: boolean;
}

/** Parses vzdump's arguments; BAD_PARAM (20) with the usage on anything else. */
export function parseDumpArgs(argv: readonly string[]): DumpArgs {
  const bad = (why: string) => vzError('BAD_PARAM', why, { hint: USAGE });
  let ve: string | undefined;
  let dumpdir: string | undefined;
  let mode: HoldMode | undefined;
  let quiet = false;
  const setMode = (m: string) => {
    if (m !== 'stop' && m !== 'suspend') throw bad(`--mode ${m}: stop or suspend (snapshot needs a filesystem that snapshots, which vzkit does not use)`);
    if (mode !== undefined && mode !== m) throw bad('one mode only');
    mode = m;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined || v === '') throw bad(`${a.replace(/=.*/, '')} needs a value`);
      return v;
    };
    if (a === '--dumpdir' || a.startsWith('--dumpdir=')) {
      if (dumpdir !== undefined) throw bad('--dumpdir given twice');
      dumpdir = value();
    } else if (a === '--mode' || a.startsWith('--mode=')) setMode(value());
    // vzdump 1.x's own switches.
    else if (a === '--stop') setMode('stop');
    else if (a === '--suspend') setMode('suspend');
    else if (a === '--quiet' || a === '-q') quiet = true;
    else if (a.startsWith('-')) throw bad(`unknown option ${a}`);
    else if (ve === undefined) ve = a;
    else throw bad(`one CTID only (${ve}, ${a})`);
  }
  if (ve === undefined) throw bad('no CTID given');
  return { ve, dumpdir, mode: mode ?? 'suspend', quiet };
}

/** Proxmox's name: `vzdump-CTID-YYYY_MM_DD-HH_MM_SS.tar.zst`, local time. */
export function archiveName(ctid: number, at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${at.getFullYear()}_${p(at.getMonth() + 1)}_${p(at.getDate())}-${p(at.getHours())}_${p(at.getMinutes())}_${p(at.getSeconds())}`;
  return `vzdump-${ctid}-${stamp}.tar.zst`;
}

const PARTIAL = /^vzdump-.+\.tar\.zst\.partial-(\d+)$/;

/** Partial archives of vzdumps that died: nobody else removes them from a directory they chose. */
async function removeStale(host: Host, dir: string): Promise<void> {
  for (const name of await host.fs.readdir(dir)) {
    const pid = PARTIAL.exec(name)?.[1];
    // Ours by pid is a dead vzdump's that had this pid before.
    if (pid && (Number(pid) === process.pid || !(await host.processes.alive(Number(pid))))) await host.fs.remove(join(dir, name));
  }
}

/** The dump directory: the one given must exist; the default is made. */
async function dumpDir(api: CommandApi, given: string | undefined): Promise<string> {
  const { host, paths } = api.runtime;
  if (given !== undefined) {
    const dir = resolve(given);
    if ((await host.fs.stat(dir))?.type !== 'dir') throw vzError('BAD_VALUE', `--dumpdir ${dir} is not a directory`, { hint: 'make it first, or leave --dumpdir out' });
    return dir;
  }
  const dir = join(paths.lib, 'dump');
  // Archives hold every file of a VE (its /etc/shadow too): the directory is root's alone.
  await host.fs.mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** The archive's name; a second dump within the same second waits for the next one. */
async function freshName(host: Host, dir: string, ctid: number): Promise<string> {
  for (let tries = 0; tries < 3; tries++) {
    const now = new Date();
    const file = join(dir, archiveName(ctid, now));
    if (!(await host.fs.exists(file))) return file;
    await new Promise((r) => setTimeout(r, 1000 - now.getMilliseconds()));
  }
  throw backupError('BACKUP_EXISTS', `${join(dir, archiveName(ctid, new Date()))} exists`, { hint: 'the clock may have gone back: move the archive away, or use another --dumpdir' });
}

/** What the template's stamp says about the tree the VE's files lie over (information only). */
async function templateStamp(host: Host, dir: string, name: string | undefined): Promise<Manifest['template']> {
  if (!name || !/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(name)) return undefined;
  try {
    const v = JSON.parse(await host.fs.readFile(join(dir, name, '.vzkit-template'))) as Record<string, unknown>;
    return {
      ...(typeof v.created === 'string' ? { created: v.created } : {}),
      ...(typeof v.source === 'string' ? { source: v.source } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Writes the archive of the held VE into `dir`; resolves with its path and manifest. */
async function dumpHeld(api: CommandApi, held: HeldVe, dir: string, mode: HoldMode, say: Say): Promise<{ file: string; manifest: Manifest }> {
  const { host } = api.runtime;
  const { ve } = held;
  const final = await freshName(host, dir, ve.ctid);
  const partial = `${final}.partial-${process.pid}`;
  await held.leave(partial);
  const ostemplate = ve.config.get(OSTEMPLATE);
  const template = await templateStamp(host, ve.paths.template, ostemplate);
  const t0 = Date.now();
  say(`${ve.label}: archiving its private area into ${final}`);
  const manifest = await writeArchive(join(ve.paths.private, 'fs'), {
    host,
    config: held.configFile,
    file: partial,
    meta: {
      ctid: ve.ctid,
      created: new Date().toISOString(),
      mode,
      state: held.was,
      held: held.how,
      ...(ostemplate ? { ostemplate } : {}),
      ...(template ? { template } : {}),
      ids: { uid: ve.idmap?.uid ?? 0, gid: ve.idmap?.gid ?? 0 },
    },
    progress: (p) => say(`${ve.label}: ${progressLine(p, t0)}`),
  });
  faultPoint('vzdump', 'archived');
  // On disk before it gets its name, and the name on disk before vzdump says it is done.
  await host.processes.run(['sync', partial]);
  await host.fs.rename(partial, final);
  await held.forget(partial);
  await host.processes.run(['sync', dir]);
  return { file: final, manifest };
}

export const vzdumpCommand: CommandDecl = {
  tool: 'vzdump',
  name: 'vzdump',
  summary: 'write a consistent archive of a container (config and private area, zstd, sha256 sums)',
  usage: `${USAGE}
  --dumpdir DIR   where the archive goes (default /var/lib/vzkit/dump)
  --mode suspend  a running container's processes are frozen while its files are read (default)
  --mode stop     a running container is stopped, archived and started again
  --quiet         no progress on stderr
The archive's path is the last line printed.`,
  async run(api, argv) {
    if (argv.includes('-h') || argv.includes('--help')) {
      for (const line of this.usage.split('\n')) api.out(line);
      return 0;
    }
    const args = parseDumpArgs(argv);
    const say: Say = args.quiet ? () => {} : (line) => api.err(line);
    const rt = api.runtime;
    const ctid = await rt.resolveId(args.ve);
    const dir = await dumpDir(api, args.dumpdir);
    await removeStale(rt.host, dir);
    const t0 = Date.now();
    let written: string | undefined;
    let frozen: number | undefined;
    let result: { file: string; manifest: Manifest };
    try {
      result = await rt.hold(ctid, { mode: args.mode, op: 'vzdump' }, async (held) => {
        const since = Date.now();
        if (held.how === 'frozen') say(`CT ${ctid}: running: its processes are frozen while it is archived (--mode suspend)`);
        else if (held.how === 'stopped') say(`CT ${ctid}: stopped for the archive; it starts again afterwards (--mode stop)`);
        const r = await dumpHeld(api, held, dir, args.mode, say);
        written = r.file;
        if (held.how === 'frozen') frozen = Date.now() - since;
        if (held.how === 'stopped') say(`CT ${ctid}: starting it again`);
        return r;
      });
    } catch (e) {
      // Written, then the VE did not start again: the archive is good, and that is said.
      if (written) throw wrapError(e, `the archive ${written} is complete, but`);
      throw e;
    }
    if (frozen !== undefined) say(`CT ${ctid}: its processes were frozen for ${duration(frozen)}`);
    const st = await rt.host.fs.stat(result.file);
    const data = result.manifest.files.reduce((n, f) => n + f.bytes, 0);
    say(`CT ${ctid}: ${result.manifest.files.length} files, ${size(data)} in ${size(st?.size ?? 0)} (${duration(Date.now() - t0)})`);
    api.out(result.file);
    return 0;
  },
};
