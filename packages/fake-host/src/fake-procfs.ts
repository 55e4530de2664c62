/**
 * procfs of the fake kernel, generated on every read like the real one: the pids of the
 * pid namespace it was mounted from, /proc/PID/{mounts,mountinfo,ns,status,stat,...} of
 * each, and /proc/sys where a key reads and writes the reader's own uts, ipc or net
 * namespace (host-wide keys are shared). The fake does not know which sysctls exist, so
 * writing a new file under an existing /proc/sys directory defines it.
 */
import { fault } from './fake-errors.js';
import type { FakeKernel } from './fake-kernel.js';
import type { Mount } from './fake-mount-table.js';
import { sysctlOwner, type PidNs } from './fake-namespaces.js';
import type { FakeProcess } from './fake-process.js';
import { decoder, encoder, Superblock, type Accessor, type FileType, type NodeInit, type NodeMeta, type Vnode } from './fake-vnode.js';
import { NAMESPACES } from '@vzkit/core';

export class ProcSuperblock extends Superblock {
  constructor(dev: number, source: string, readonly pidNs: PidNs, readonly kernel: FakeKernel) {
    super(dev, 'proc', source);
    this.root = new ProcNode(this, [], { type: 'dir', list: () => [] });
  }
}

type Entry =
  | { type: 'dir'; list(who: FakeProcess): string[] }
  | { type: 'file'; read(who: FakeProcess): string; write?(who: FakeProcess, value: string): void }
  | { type: 'symlink'; target: string };

/** Reads a sysctl as `who` sees it; undefined when the key does not exist. */
export function sysctlRead(k: FakeKernel, who: FakeProcess, key: string): string | undefined {
  switch (sysctlOwner(key)) {
    case 'uts':
      return key === 'kernel/hostname' ? who.ns.uts.hostname : who.ns.uts.domainname;
    case 'ipc':
      return who.ns.ipc.sysctls.get(key);
    case 'net':
      return who.ns.net.sysctls.get(key);
    default:
      return k.globalSysctls.get(key);
  }
}

/** Writes a sysctl in `who`'s namespace; EINVAL for a non-number where a number is kept. */
export function sysctlWrite(k: FakeKernel, who: FakeProcess, key: string, raw: string): void {
  const value = raw.replace(/\n$/, '');
  const old = sysctlRead(k, who, key);
  if (old !== undefined && /^-?\d+$/.test(old) && !/^-?\d+$/.test(value.trim())) throw fault('EINVAL');
  switch (sysctlOwner(key)) {
    case 'uts':
      if (encoder.encode(value).length > 64) throw fault('EINVAL');
      if (key === 'kernel/hostname') who.ns.uts.hostname = value;
      else who.ns.uts.domainname = value;
      return;
    case 'ipc':
      who.ns.ipc.sysctls.set(key, value);
      return;
    case 'net':
      who.ns.net.writeSysctl(key, value);
      return;
    default:
      k.globalSysctls.set(key, value);
  }
}

function sysctlKeys(k: FakeKernel, who: FakeProcess): string[] {
  return ['kernel/hostname', 'kernel/domainname', ...who.ns.ipc.sysctls.keys(), ...who.ns.net.sysctls.keys(), ...k.globalSysctls.keys()];
}

const SYSV_HEADERS = {
  shm: '       key      shmid perms                  size',
  msg: '       key      msqid perms      cbytes       qnum',
  sem: '       key      semid perms      nsems',
};

function mountsText(ms: Mount[]): string {
  return ms.map((m) => {
    const e = m.entry();
    return `${e.source} ${e.target} ${e.fstype} ${e.options} 0 0\n`;
  }).join('');
}

function mountinfoText(ms: Mount[]): string {
  return ms.map((m) => {
    const e = m.entry();
    const dev = `${m.sb.dev >> 8}:${m.sb.dev & 0xff}`;
    const fsOpts = m.sb.options ? `rw,${m.sb.options}` : 'rw';
    return `${e.id} ${e.parent} ${dev} ${e.root} ${e.target} ${m.mountOptions()} - ${e.fstype} ${e.source} ${fsOpts}\n`;
  }).join('');
}

const kb = (n: number) => `${String(n).padStart(8)} kB`;

/** Capability set as /proc/PID/status prints it: 16 hex digits. */
function capMask(caps: ReadonlySet<number>): string {
  let mask = 0n;
  for (const c of caps) mask |= 1n << BigInt(c);
  return mask.toString(16).padStart(16, '0');
}

/** /proc/PID/limits rows (the kernel's names and units); limits never set read unlimited. */
const LIMIT_ROWS: Array<[string, string, string]> = [
  ['NOFILE', 'Max open files', 'files'], ['MEMLOCK', 'Max locked memory', 'bytes'], ['SIGPENDING', 'Max pending signals', 'signals'],
  ['NPROC', 'Max processes', 'processes'], ['STACK', 'Max stack size', 'bytes'], ['CORE', 'Max core file size', 'bytes'],
];

function limitsText(p: FakeProcess): string {
  const v = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? 'unlimited' : String(n));
  const row = (a: string, b: string, c: string, d: string) => `${a.padEnd(26)}${b.padEnd(21)}${c.padEnd(21)}${d.padEnd(10)}\n`;
  return row('Limit', 'Soft Limit', 'Hard Limit', 'Units') + LIMIT_ROWS.map(([res, name, unit]) => {
    const l = p.rlimits.get(res);
    return row(name, v(l?.soft), v(l?.hard), unit);
  }).join('');
}

function pidDir(k: FakeKernel, sb: ProcSuperblock, p: FakeProcess, rest: string[]): Entry | undefined {
  const nr = (q: FakeProcess | undefined) => (q ? (sb.pidNs.nrs.get(q.pid) ?? 0) : 0);
  const file = (text: () => string): Entry => ({ type: 'file', read: text });
  const [name, sub] = rest;
  if (name === undefined) return { type: 'dir', list: () => ['cgroup', 'cmdline', 'environ', 'fd', 'limits', 'mountinfo', 'mounts', 'ns', 'stat', 'status'] };
  if (name === 'fd') {
    if (sub === undefined) return { type: 'dir', list: () => p.usage.fds.map((_, i) => String(i)) };
    const target = /^\d+$/.test(sub) ? p.usage.fds[Number(sub)] : undefined;
    return target !== undefined && rest.length === 2 ? { type: 'symlink', target } : undefined;
  }
  if (name === 'ns') {
    if (sub === undefined) return { type: 'dir', list: () => [...NAMESPACES].sort() };
    return (NAMESPACES as readonly string[]).includes(sub) && rest.length === 2 ? { type: 'symlink', target: p.ns[sub as keyof typeof p.ns].id } : undefined;
  }
  if (rest.length > 1) return undefined;
  const comm = (p.argv[0] ?? '').split('/').pop()!.slice(0, 15);
  switch (name) {
    case 'cmdline': return file(() => p.argv.map((a) => `${a}\0`).join(''));
    case 'environ': return file(() => p.env.map((a) => `${a}\0`).join(''));
    case 'mounts': return file(() => mountsText(p.ns.mnt.mounts));
    case 'mountinfo': return file(() => mountinfoText(p.ns.mnt.mounts));
    case 'cgroup': return file(() => k.cgroups.procFile(p.pid));
    case 'limits': return file(() => limitsText(p));
    case 'status': return file(() => {
      const nspid: number[] = [];
      for (let ns: PidNs | undefined = p.ns.pid; ns && ns !== sb.pidNs.parent; ns = ns.parent) nspid.unshift(ns.nrs.get(p.pid) ?? 0);
      return `Name:\t${comm}\nState:\tS (sleeping)\nTgid:\t${nr(p)}\nPid:\t${nr(p)}\nPPid:\t${nr(k.processes.get(p.ppid))}\nNSpid:\t${nspid.join('\t')}\nVmLck:\t${kb(p.usage.vmLckKb)}\nVmData:\t${kb(p.usage.vmDataKb)}\nVmStk:\t${kb(p.usage.vmStkKb)}\nCapEff:\t${capMask(p.caps)}\n`;
    });
    case 'stat': return file(() => {
      const mid = [nr(k.processes.get(p.ppid)), nr(p), nr(p), 0, -1, 4194560, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 1, 0];
      return `${nr(p)} (${comm}) S ${mid.join(' ')} ${p.startTime} 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n`;
    });
    default: return undefined;
  }
}

function sysEntry(k: FakeKernel, who: FakeProcess, parts: string[]): Entry | undefined {
  const key = parts.join('/');
  if (key !== '' && sysctlRead(k, who, key) !== undefined) {
    return { type: 'file', read: (w) => `${sysctlRead(k, w, key)}\n`, write: (w, v) => sysctlWrite(k, w, key, v) };
  }
  const prefix = key === '' ? '' : `${key}/`;
  const below = sysctlKeys(k, who).filter((s) => s.startsWith(prefix));
  if (below.length === 0) return undefined;
  return { type: 'dir', list: (w) => [...new Set(sysctlKeys(k, w).filter((s) => s.startsWith(prefix)).map((s) => s.slice(prefix.length).split('/')[0]!))].sort() };
}

function entryAt(sb: ProcSuperblock, parts: string[], who: FakeProcess): Entry | undefined {
  const k = sb.kernel;
  const [first, ...rest] = parts;
  const visible = () => k.processes.liveIn(sb.pidNs);
  switch (first) {
    case undefined:
      return { type: 'dir', list: () => ['cpuinfo', 'loadavg', 'meminfo', 'mounts', 'self', 'stat', 'swaps', 'sys', 'sysvipc', 'uptime', ...visible().map((p) => String(sb.pidNs.nrs.get(p.pid))).sort((a, b) => +a - +b)] };
    case 'self': {
      const nr = sb.pidNs.nrs.get(who.pid);
      return rest.length === 0 && nr !== undefined ? { type: 'symlink', target: String(nr) } : undefined;
    }
    case 'mounts':
      return rest.length === 0 ? { type: 'symlink', target: 'self/mounts' } : undefined;
    case 'uptime':
      return rest.length === 0 ? { type: 'file', read: () => `${k.uptime().toFixed(2)} ${(k.uptime() * k.opts.cpus).toFixed(2)}\n` } : undefined;
    case 'cpuinfo':
      return rest.length === 0 ? { type: 'file', read: () => Array.from({ length: k.opts.cpus }, (_, i) => `processor\t: ${i}\nbogomips\t: 4000.00\n\n`).join('') } : undefined;
    case 'stat':
      return rest.length === 0 ? { type: 'file', read: () => `cpu  0 0 0 0 0 0 0 0 0 0\n${Array.from({ length: k.opts.cpus }, (_, i) => `cpu${i} 0 0 0 0 0 0 0 0 0 0\n`).join('')}` } : undefined;
    case 'loadavg':
      return rest.length === 0 ? { type: 'file', read: () => '0.00 0.00 0.00 1/1 1\n' } : undefined;
    case 'meminfo': {
      const kb = Math.floor(k.opts.memTotal / 1024);
      return rest.length === 0 ? { type: 'file', read: () => `MemTotal:${String(kb).padStart(16)} kB\nMemFree:${String(kb).padStart(17)} kB\nMemAvailable:${String(kb).padStart(12)} kB\nSwapTotal:              0 kB\nSwapFree:               0 kB\n` } : undefined;
    }
    case 'swaps':
      // The fake machine has no swap: the kernel's header alone.
      return rest.length === 0 ? { type: 'file', read: () => 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n' } : undefined;
    case 'sysvipc': {
      if (rest.length === 0) return { type: 'dir', list: () => ['msg', 'sem', 'shm'] };
      const kind = rest[0] as keyof typeof SYSV_HEADERS;
      if (rest.length > 1 || !(kind in SYSV_HEADERS)) return undefined;
      return { type: 'file', read: (w) => `${SYSV_HEADERS[kind]}\n${w.ns.ipc.objects.filter((o) => o.kind === kind).map((o) => `${String(o.key).padStart(10)} ${String(o.id).padStart(10)}   600 ${String(o.size).padStart(21)}\n`).join('')}` };
    }
    case 'sys':
      return sysEntry(k, who, rest);
    default: {
      if (!/^\d+$/.test(first)) return undefined;
      const p = visible().find((q) => sb.pidNs.nrs.get(q.pid) === Number(first));
      return p && pidDir(k, sb, p, rest);
    }
  }
}

export class ProcNode implements Vnode {
  constructor(readonly sb: ProcSuperblock, readonly parts: string[], private readonly entry: Entry) {}

  get type(): FileType {
    return this.entry.type;
  }

  private who(a: Accessor): FakeProcess {
    const p = this.sb.kernel.processes.get(a.pid);
    if (!p) throw fault('ESRCH');
    return p;
  }

  meta(): NodeMeta {
    const mode = this.entry.type === 'dir' ? 0o555 : this.entry.type === 'symlink' ? 0o777 : 'write' in this.entry && this.entry.write ? 0o644 : 0o444;
    return { mode, size: 0, uid: 0, gid: 0 };
  }

  lookup(name: string, a: Accessor): Vnode | undefined {
    if (this.entry.type !== 'dir') return undefined;
    const parts = [...this.parts, name];
    const e = entryAt(this.sb, parts, this.who(a));
    return e && new ProcNode(this.sb, parts, e);
  }

  list(a: Accessor): string[] {
    if (this.entry.type !== 'dir') throw fault('ENOTDIR');
    const e = this.parts.length === 0 ? entryAt(this.sb, [], this.who(a))! : this.entry;
    return (e as Extract<Entry, { type: 'dir' }>).list(this.who(a));
  }

  read(a: Accessor): Uint8Array {
    if (this.entry.type === 'dir') throw fault('EISDIR');
    if (this.entry.type !== 'file') throw fault('EINVAL');
    return encoder.encode(this.entry.read(this.who(a)));
  }

  write(data: Uint8Array, _append: boolean, a: Accessor): void {
    if (this.entry.type === 'dir') throw fault('EISDIR');
    if (this.entry.type !== 'file' || !this.entry.write) throw fault('EACCES');
    this.entry.write(this.who(a), decoder.decode(data));
  }

  create(name: string, init: NodeInit, a: Accessor): Vnode {
    if (this.lookup(name, a)) throw fault('EEXIST');
    if (this.parts[0] !== 'sys' || init.type !== 'file') throw fault('EACCES');
    const key = [...this.parts.slice(1), name].join('/');
    sysctlWrite(this.sb.kernel, this.who(a), key, init.data ? decoder.decode(init.data) : '');
    return this.lookup(name, a)!;
  }

  unlink(): void {
    throw fault('EACCES');
  }

  readlink(): string {
    if (this.entry.type !== 'symlink') throw fault('EINVAL');
    return this.entry.target;
  }

  chmod(): void {
    throw fault('EPERM');
  }

  chown(): void {
    throw fault('EPERM');
  }

  move(): void {
    throw fault('EACCES');
  }
}
