/**
 * The wire format between Node and the native launcher (native/spec.c, native/failure.c).
 *
 * Node -> launcher, on the launcher's fd 3: NUL-terminated tokens. First `VZL1`, then
 * records, each a keyword and exactly as many argument tokens as the keyword's arity,
 * then `end`. Lists (argv, env, id maps, ops) are repeated records. In `start` mode Node
 * later sends `go` (or closes the pipe to abort).
 *
 * launcher -> Node, on fd 4: one line per reply:
 *   `PID <pid>`                       start: init is cloned and waits for go
 *   `OK`                              start: init exec'd; idmap: the binds are mounted;
 *                                      inject: every op ran
 *   `STARTED <pid>`                   exec: the command runs
 *   `EXIT <code> <signal>`            exec: the command ended (code is 128+N on signal N)
 *   `ERR <index> <step> <errno> <detail>`  any failure; index is the op's position in
 *                                      the spec's ops, -1 for a step that is not an op
 */
import { vzError, type ChildOp, type IdMapping, type IdmappedBind, type InjectSpec, type LaunchSpec, type Namespace, type SeccompCondition, type SeccompRule } from '@vzkit/core';

export const SPEC_MAGIC = 'VZL1';

/** Arity of every keyword, mirrored from native/spec.c. */
export const ARITY = {
  ns: 1,
  console: 1,
  uidmap: 3,
  gidmap: 3,
  bind: 3,
  pid: 1,
  cgroup: 1,
  tty: 1,
  arg: 1,
  env: 1,
  cwd: 1,
  mount: 5,
  umount: 2,
  mkdir: 2,
  mknod: 5,
  symlink: 2,
  write: 2,
  pivotRoot: 1,
  chdir: 1,
  sethostname: 1,
  setdomainname: 1,
  rlimit: 3,
  capDrop: 1,
  seccomp: 1,
  devnode: 6,
  landlock: 0,
  read: 1,
  linkUp: 1,
} as const;

export type Keyword = keyof typeof ARITY;
export type SpecRecord = [Keyword, ...string[]];

/** What the launcher needs to join a running VE (ExecSpec with the cgroup and caps resolved). */
export interface JoinSpec {
  pid: number;
  namespaces: Namespace[];
  /** Files the launcher writes "0" (itself) to before entering the VE: v1 `tasks`, v2 cgroup.procs. */
  cgroupProcs: string[];
  /** Capabilities init lacks, removed from the command's bounding set. */
  capDrop: number[];
  /** vzkit's own `mount`/`write` ops, made by the launcher inside the VE before the restrictions. */
  setup?: ChildOp[];
  /** The VE's join ops (its seccomp filter, its Landlock domain), taken on by the launcher before it forks the command. */
  ops: ChildOp[];
  argv: string[];
  env: string[];
  cwd?: string;
  tty: boolean;
}

export type Reply =
  | { kind: 'pid'; pid: number }
  | { kind: 'ok' }
  | { kind: 'started'; pid: number }
  | { kind: 'exit'; code: number; signal: number }
  | { kind: 'err'; index: number; step: string; errno: number; detail: string };

function count(n: number, what: string): string {
  if (!Number.isSafeInteger(n) || n < 0) throw vzError('BAD_VALUE', `launcher spec: ${what} must be a non-negative integer, got ${n}`);
  return String(n);
}

/** rlimit values: anything infinite or negative is RLIM_INFINITY. */
function limit(n: number): string {
  return Number.isFinite(n) && n >= 0 ? count(Math.floor(n), 'rlimit') : 'unlimited';
}

/** `nofile`, `RLIMIT_NOFILE` and `NOFILE` all name RLIMIT_NOFILE. */
export function rlimitName(resource: string): string {
  return resource.toUpperCase().replace(/^RLIMIT_/, '');
}

export function opRecord(op: ChildOp): SpecRecord {
  switch (op.op) {
    case 'mount':
      return ['mount', op.source, op.target, op.fstype, op.flags.join(','), op.data ?? ''];
    case 'umount':
      return ['umount', op.target, op.detach ? '1' : '0'];
    case 'mkdir':
      return ['mkdir', op.path, count(op.mode, 'mkdir mode')];
    case 'mknod':
      return ['mknod', op.path, op.kind, count(op.major, 'major'), count(op.minor, 'minor'), count(op.mode, 'mknod mode')];
    case 'symlink':
      return ['symlink', op.target, op.path];
    case 'write':
      return ['write', op.path, op.data];
    case 'read':
      return ['read', op.path];
    case 'linkUp':
      return ['linkUp', op.name];
    case 'pivotRoot':
      return ['pivotRoot', op.root];
    case 'chdir':
      return ['chdir', op.path];
    case 'sethostname':
      return ['sethostname', op.name];
    case 'setdomainname':
      return ['setdomainname', op.name];
    case 'rlimit':
      return ['rlimit', rlimitName(op.resource), limit(op.soft), limit(op.hard)];
    case 'capDrop':
      return ['capDrop', op.caps.map((c) => count(c, 'capability')).join(',')];
    case 'seccomp':
      return ['seccomp', [...op.deny.map(syscallName), ...(op.rules ?? []).map(ruleToken)].join(',')];
    case 'devnode':
      return ['devnode', op.path, op.kind, count(op.major, 'major'), count(op.minor, 'minor'), count(op.mode, 'devnode mode'), op.source ?? ''];
    case 'landlock':
      return ['landlock'];
  }
}

/**
 * `clone3:ENOSYS`, `unshare:EPERM:0&268435456` (refused when argument 0 has all those
 * bits), `socket:EPERM:0=16:2=12` (when arguments 0 and 2 are those values): native/ops.c.
 */
function ruleToken(rule: SeccompRule): string {
  if (rule.errno !== 'EPERM' && rule.errno !== 'ENOSYS') throw vzError('BAD_VALUE', `launcher spec: seccomp answer ${String(rule.errno)} is not EPERM or ENOSYS`);
  const when = rule.when ?? [];
  if (when.length > 6) throw vzError('BAD_VALUE', `launcher spec: a seccomp rule for ${rule.call} has more than 6 conditions`);
  return [`${syscallName(rule.call)}:${rule.errno}`, ...when.map((c) => condition(rule.call, c))].join(':');
}

function condition(call: string, c: SeccompCondition): string {
  if (!Number.isInteger(c.arg) || c.arg < 0 || c.arg > 5) throw vzError('BAD_VALUE', `launcher spec: seccomp argument ${c.arg} of ${call} is not 0-5`);
  if ('bits' in c) {
    if (!Number.isSafeInteger(c.bits) || c.bits <= 0) throw vzError('BAD_VALUE', `launcher spec: seccomp bits ${c.bits} of ${call} must be a positive integer`);
    return `${c.arg}&${c.bits}`;
  }
  if (!Number.isInteger(c.equals) || c.equals < 0 || c.equals > 0xffffffff) throw vzError('BAD_VALUE', `launcher spec: seccomp value ${c.equals} of ${call} is not a 32-bit number`);
  return `${c.arg}=${c.equals}`;
}

function syscallName(name: string): string {
  if (!/^[a-z0-9_]{1,64}$/.test(name)) throw vzError('BAD_VALUE', `launcher spec: '${name}' is not a system call name`);
  return name;
}

function programRecords(argv: string[], env: string[], cwd: string | undefined): SpecRecord[] {
  if (argv.length === 0) throw vzError('BAD_VALUE', 'launcher spec: empty argv');
  return [
    ...argv.map((a): SpecRecord => ['arg', a]),
    ...env.map((e): SpecRecord => ['env', e]),
    ...(cwd !== undefined ? [['cwd', cwd] as SpecRecord] : []),
  ];
}

/** `cgroupTasks`: the files init writes "0" to, to move itself into its groups (cgroup v1 `tasks`). */
export function startRecords(spec: LaunchSpec, cgroupTasks: readonly string[] = []): SpecRecord[] {
  return [
    ...spec.namespaces.map((ns): SpecRecord => ['ns', ns]),
    ...cgroupTasks.map((p): SpecRecord => ['cgroup', p]),
    ...(spec.console ? [['console', spec.console] as SpecRecord] : []),
    ...mapRecords('uidmap', spec.uidMap ?? []),
    ...mapRecords('gidmap', spec.gidMap ?? []),
    ...spec.ops.map(opRecord),
    ...programRecords(spec.init.argv, spec.init.env, spec.init.cwd),
  ];
}

function mapRecords(kind: 'uidmap' | 'gidmap', map: readonly IdMapping[]): SpecRecord[] {
  const what = kind === 'uidmap' ? 'uid' : 'gid';
  return map.map((m): SpecRecord => [kind, count(m.inside, what), count(m.outside, what), count(m.count, `${what} count`)]);
}

/** Mode `idmap`: the maps, then one `bind SOURCE TARGET ro|rw` per mount. */
export function idmapRecords(spec: IdmappedBind): SpecRecord[] {
  if (!spec.uidMap.length || !spec.gidMap.length) throw vzError('BAD_VALUE', 'launcher spec: an idmapped mount needs a uid and a gid map');
  return [
    ...mapRecords('uidmap', spec.uidMap),
    ...mapRecords('gidmap', spec.gidMap),
    ['bind', spec.source, spec.target, spec.readOnly ? 'ro' : 'rw'],
  ];
}

/** Ops the launcher runs inside a running VE from the host (mode `inject`, native/inject.c). */
const INJECTED: ReadonlySet<ChildOp['op']> = new Set(['devnode', 'mount', 'umount', 'mkdir']);

/** Mode `inject`: the VE's init, the namespaces to join (user before mnt), the ops. */
export function injectRecords(spec: InjectSpec): SpecRecord[] {
  if (!spec.namespaces.includes('mnt')) throw vzError('BAD_VALUE', 'launcher spec: inject needs the VE\'s mount namespace');
  return [
    ['pid', count(spec.pid, 'pid')],
    ...spec.namespaces.filter((ns) => ns === 'user' || ns === 'mnt').map((ns): SpecRecord => ['ns', ns]),
    ...spec.ops.map((op) => {
      if (!INJECTED.has(op.op) || (op.op === 'mount' && !op.flags.includes('bind'))) {
        throw vzError('BAD_VALUE', `launcher spec: a ${op.op === 'mount' ? `${op.fstype || 'non-bind'} mount` : op.op} op cannot be injected into a running VE`);
      }
      return opRecord(op);
    }),
  ];
}

export function joinRecords(spec: JoinSpec): SpecRecord[] {
  return [
    // First among the ops: an ERR's op index then names the setup op as it is in the spec.
    ...(spec.setup ?? []).map((op) => {
      if (op.op !== 'mount' && op.op !== 'write') throw vzError('BAD_VALUE', `launcher spec: a ${op.op} op cannot be made inside a running VE`);
      return opRecord(op);
    }),
    ['pid', count(spec.pid, 'pid')],
    ...spec.namespaces.map((ns): SpecRecord => ['ns', ns]),
    ...spec.cgroupProcs.map((p): SpecRecord => ['cgroup', p]),
    ['tty', spec.tty ? '1' : '0'],
    ...(spec.capDrop.length ? [['capDrop', spec.capDrop.map((c) => count(c, 'capability')).join(',')] as SpecRecord] : []),
    ...spec.ops.map((op) => {
      if (op.op !== 'capDrop' && op.op !== 'seccomp' && op.op !== 'landlock') throw vzError('BAD_VALUE', `launcher spec: a ${op.op} op cannot run when joining a VE`);
      return opRecord(op);
    }),
    ...programRecords(spec.argv, spec.env, spec.cwd),
  ];
}

/** Frames records as tokens; refuses a wrong arity or a NUL inside a token. */
export function encodeRecords(records: SpecRecord[]): Buffer {
  const tokens = [SPEC_MAGIC];
  for (const [keyword, ...args] of records) {
    if (ARITY[keyword] !== args.length) throw vzError('BAD_VALUE', `launcher spec: ${keyword} takes ${ARITY[keyword]} arguments, got ${args.length}`);
    for (const a of args) {
      if (a.includes('\0')) throw vzError('BAD_VALUE', `launcher spec: ${keyword} argument contains a NUL byte`);
    }
    tokens.push(keyword, ...args);
  }
  tokens.push('end');
  return Buffer.from(tokens.map((t) => `${t}\0`).join(''), 'utf8');
}

export function encodeStartSpec(spec: LaunchSpec, cgroupTasks: readonly string[] = []): Buffer {
  return encodeRecords(startRecords(spec, cgroupTasks));
}

export function encodeJoinSpec(spec: JoinSpec): Buffer {
  return encodeRecords(joinRecords(spec));
}

/** The release token of `start`. */
export const GO = Buffer.from('go\0');

/** The inverse of encodeRecords, as the C side reads it (for tests and debugging). */
export function decodeRecords(buf: Buffer): SpecRecord[] {
  const tokens = buf.toString('utf8').split('\0');
  if (tokens.pop() !== '') throw vzError('BAD_VALUE', 'launcher spec: truncated token');
  if (tokens.shift() !== SPEC_MAGIC) throw vzError('BAD_VALUE', 'launcher spec: bad magic');
  const records: SpecRecord[] = [];
  for (let i = 0; i < tokens.length; ) {
    const word = tokens[i++]!;
    if (word === 'end') {
      if (i !== tokens.length) throw vzError('BAD_VALUE', 'launcher spec: data after end');
      return records;
    }
    if (!(word in ARITY)) throw vzError('BAD_VALUE', `launcher spec: unknown keyword ${word}`);
    const arity = ARITY[word as Keyword];
    if (i + arity > tokens.length) throw vzError('BAD_VALUE', `launcher spec: ${word} is truncated`);
    records.push([word as Keyword, ...tokens.slice(i, i + arity)]);
    i += arity;
  }
  throw vzError('BAD_VALUE', 'launcher spec: missing end');
}

const INT = '(-?\\d+)';
const PATTERNS: Array<[RegExp, (m: RegExpMatchArray) => Reply]> = [
  [new RegExp(`^PID ${INT}$`), (m) => ({ kind: 'pid', pid: Number(m[1]) })],
  [/^OK$/, () => ({ kind: 'ok' })],
  [new RegExp(`^STARTED ${INT}$`), (m) => ({ kind: 'started', pid: Number(m[1]) })],
  [new RegExp(`^EXIT ${INT} ${INT}$`), (m) => ({ kind: 'exit', code: Number(m[1]), signal: Number(m[2]) })],
  [
    new RegExp(`^ERR ${INT} (\\S+) ${INT} ?(.*)$`),
    (m) => ({ kind: 'err', index: Number(m[1]), step: m[2]!, errno: Number(m[3]), detail: m[4] ?? '' }),
  ],
];

/** Parses one reply line (without its newline). */
export function parseReply(line: string): Reply {
  for (const [re, build] of PATTERNS) {
    const m = line.match(re);
    if (m) return build(m);
  }
  throw vzError('SYSTEM', `launcher: unexpected reply ${JSON.stringify(line.slice(0, 200))}`);
}
