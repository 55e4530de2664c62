/**
 * The files vzprocfs serves, made when a process opens one, for the VE that process is
 * in: its beancounters as /proc/user_beancounters lays them out (the ubc plugin's own
 * rows, through the runtime, as `vzubc --raw` gets them), its /proc/vz/veinfo line, its
 * memory and swap as /proc/meminfo and /proc/swaps.
 *
 * Who reads is the kernel's word: the pid in the FUSE request, looked up in the host's
 * /proc at that moment (a pid reused meanwhile belongs to a request the kernel no longer
 * waits for). A process in no served VE gets nothing, except the host's root (uid 0 in
 * the host's PID namespace), who sees every served VE as on OpenVZ's host.
 *
 * One server answers every VE of the root, so no VE may hold it up for the others:
 * opens of one file by one VE share the read under way (a flood costs one read at a
 * time per file and VE), reads run two at a time in the order VEs asked, each is given
 * up after 10 s (EIO), and a VE holds at most 1024 open handles and 16384 looked-up files.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type FuseCaller, type Runtime, type ServedContent, type ServedFs } from '@vzkit/core';
import { UBC_PARAMS, renderRaw } from '@vzkit/ubc';
import { registered, users, type Instance, type UserEntry } from './instance.js';
import { SCOPES_DIR, SERVED, meminfoView, renderMeminfo, renderSwaps, veOfCgroup, veinfoLine } from './plan.js';

/** How long one read may take before the opener gets EIO (the kernel aborts the whole connection at 30 s). */
const DEADLINE_MS = 10_000;
/** Reads made at once, whatever the number of VEs asking. */
const CONCURRENCY = 2;
/** Open files of one VE at once. */
const OPEN_LIMIT = 1024;
/** How often callers in no known VE may make the server read its registry again. */
const RELOAD_MS = 50;

const UBC_NAMES = new Set(UBC_PARAMS.map((p) => p.name));

function refused(errno: string, message: string): Error {
  return Object.assign(new Error(message), { errno });
}

/** Reads of one key share the one under way; the rest wait their turn, in the order asked. */
class FairQueue {
  private readonly running = new Map<string, Promise<string>>();
  private readonly waiting: Array<() => void> = [];
  private active = 0;

  constructor(private readonly max: number) {}

  run(key: string, fn: () => Promise<string>): Promise<string> {
    const under = this.running.get(key);
    if (under) return under;
    const p = new Promise<void>((go) => {
      this.waiting.push(go);
      this.pump();
    }).then(fn).finally(() => {
      this.running.delete(key);
      this.active--;
      this.pump();
    });
    this.running.set(key, p);
    return p;
  }

  private pump(): void {
    while (this.active < this.max && this.waiting.length > 0) {
      this.active++;
      this.waiting.shift()!();
    }
  }
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(refused('EIO', `no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** The ServedFs of a root's vzprocfs: its files, answered through `rt` for the VEs listed in `inst`. */
export function procfsFiles(rt: Runtime, inst: Instance, opts: { deadlineMs?: number } = {}): ServedFs {
  const host = rt.host;
  const queue = new FairQueue(CONCURRENCY);
  let known = new Map<number, UserEntry>();
  // When the last completed read of the registry began, and when the last one began at all.
  let loadedFrom = -1;
  let lastStart = -Infinity;
  let loading: Promise<void> | undefined;

  const lines = () => new Map([...known].map(([ctid, e]) => [ctid, e.lines]));
  /**
   * Resolves once the registry has been read by a pass begun at or after `since`
   * (performance.now()): a VE registers before its first process opens a file, so the
   * pass then knows it. Passes are shared by everyone waiting and begin at most every
   * RELOAD_MS, so a caller in no VE (a host user opening the mount in a loop) costs a
   * bounded number of passes, and a VE's first open waits for one at most.
   */
  async function loadSince(since: number): Promise<void> {
    while (loadedFrom < since) {
      loading ??= (async () => {
        const wait = lastStart + RELOAD_MS - performance.now();
        if (wait > 0) await sleep(wait);
        const began = (lastStart = performance.now());
        known = await users(host, inst);
        loadedFrom = began;
      })().finally(() => (loading = undefined));
      await loading;
    }
  }

  /** Whether process `pid` is in the server's own PID namespace (the host's): no VE's process is. */
  async function inHostPidns(pid: number): Promise<boolean> {
    const [theirs, ours] = await Promise.all([
      host.fs.readlink(`/proc/${pid}/ns/pid`).catch(() => undefined),
      host.fs.readlink('/proc/self/ns/pid').catch(() => undefined),
    ]);
    return theirs !== undefined && theirs === ours;
  }

  /** The served VE `caller` is in; undefined for a process of the host's. */
  async function veOf(caller: FuseCaller): Promise<number | undefined> {
    if (caller.pid <= 0) throw refused('EACCES', 'caller not visible');
    const asked = performance.now();
    const cgroup = await host.fs.readFile(`/proc/${caller.pid}/cgroup`).catch(() => undefined);
    // Gone already: nobody waits for the answer.
    if (cgroup === undefined) throw refused('ESRCH', `process ${caller.pid} is gone`);
    let ctid = veOfCgroup(cgroup, lines());
    if (ctid === undefined) {
      await loadSince(asked);
      ctid = veOfCgroup(cgroup, lines());
    }
    // A process in no VE the registry knows is the host's only when it is in the host's
    // PID namespace (every VE has its own): the root of a VE of the host root is uid 0
    // too, and a VE whose entry is not read yet must not get the host's view of all VEs.
    if (ctid === undefined && !(await inHostPidns(caller.pid))) throw refused('EACCES', `process ${caller.pid} is in no VE this server serves`);
    return ctid;
  }

  async function beancounters(ctids: readonly number[]): Promise<string> {
    const rows = await rt.list({ ctids: [...ctids], stats: UBC_NAMES });
    return renderRaw(rows.filter((r) => r.status === 'running').map((r) => ({
      ctid: r.ctid, running: true, rows: [...r.stats.values()].filter((s) => UBC_NAMES.has(s.resource) && s.status !== undefined),
    })));
  }

  async function veinfo(ctids: readonly number[]): Promise<string> {
    const ip = rt.listFields.find((f) => f.name === 'ip');
    const out: string[] = [];
    for (const row of await rt.list({ ctids: [...ctids] })) {
      const entry = known.get(row.ctid);
      if (row.status !== 'running' || !entry) continue;
      const nproc = (await host.cgroups.stats(entry.cgroup).catch(() => undefined))?.pids?.current ?? 0;
      const ips = ip?.get(row);
      out.push(veinfoLine(row.ctid, nproc, Array.isArray(ips) ? ips.map(String) : []));
    }
    return out.join('');
  }

  async function memory(ctid: number, file: 'meminfo' | 'swaps'): Promise<string> {
    const hostMeminfo = await host.fs.readFile('/proc/meminfo');
    const entry = known.get(ctid);
    const mem = entry && (await host.cgroups.stats(entry.cgroup)).memory;
    if (!mem) return file === 'meminfo' ? hostMeminfo : host.fs.readFile('/proc/swaps').catch(() => '');
    if (file === 'meminfo') return renderMeminfo(hostMeminfo, mem, host.cgroups.version);
    return renderSwaps(await host.fs.readFile('/proc/swaps').catch(() => ''), meminfoView(hostMeminfo, mem, host.cgroups.version));
  }

  async function content(ctid: number, path: string): Promise<string> {
    switch (path) {
      case 'vz/user_beancounters': return beancounters([ctid]);
      case 'vz/veinfo': return veinfo([ctid]);
      case 'meminfo': return memory(ctid, 'meminfo');
      case 'swaps': return memory(ctid, 'swaps');
      default: throw refused('ENOENT', path);
    }
  }

  /** The host's root reading the server's own mount: every served VE, or the host's memory. */
  async function hostContent(path: string): Promise<string> {
    await loadSince(performance.now());
    const all = [...known.keys()].sort((a, b) => a - b);
    switch (path) {
      case 'vz/user_beancounters': return beancounters(all);
      case 'vz/veinfo': return veinfo(all);
      case 'meminfo': return host.fs.readFile('/proc/meminfo');
      case 'swaps': return host.fs.readFile('/proc/swaps');
      default: throw refused('ENOENT', path);
    }
  }

  return {
    entries: SERVED,
    openLimit: OPEN_LIMIT,
    scopes: { dir: SCOPES_DIR, exists: async (name) => /^[1-9]\d{0,9}$/.test(name) && registered(host, inst, Number(name)) },
    async open(path: string, caller: FuseCaller, scope?: string): Promise<ServedContent> {
      const ctid = await veOf(caller);
      const deadline = opts.deadlineMs ?? DEADLINE_MS;
      // A VE's process reads its own VE's copy only (it has no other bound in); the host's
      // root reads any: a VE's copy as that VE sees it, the top one as the host's view.
      if (scope !== undefined && ctid !== undefined && String(ctid) !== scope) throw refused('EACCES', `process ${caller.pid} of CT ${ctid} opened CT ${scope}'s ${path}`);
      if (ctid === undefined) {
        if (caller.uid !== 0) throw refused('EACCES', `uid ${caller.uid} is in no VE this server serves`);
        if (scope !== undefined) {
          const of = Number(scope);
          await loadSince(performance.now());
          return { data: await withDeadline(content(of, path), deadline), owner: 'host' };
        }
        return { data: await withDeadline(hostContent(path), deadline), owner: 'host' };
      }
      return { data: await withDeadline(queue.run(`${ctid}/${path}`, () => content(ctid, path)), deadline), owner: `CT ${ctid}` };
    },
  };
}
