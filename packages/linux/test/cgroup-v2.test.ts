/**
 * CgroupV2Manager against a fake unified tree in a temp dir, like cgroup-v1.test.ts.
 * A few kernel rules are played by wrapping node:fs/promises for this file only, so the
 * manager runs unchanged: mkdir of a group fills in the files the kernel would (its
 * cgroup.controllers is the parent's subtree_control, plus the enabled controllers'
 * files); `+c`/`-c` writes to cgroup.subtree_control edit the list and refuse with EBUSY
 * in a non-root group that holds processes; rmdir ignores control files but refuses a
 * group with processes (EBUSY) or children (ENOTEMPTY).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isVzError, type VzError } from '@vzkit/core';
import { CgroupV2Manager, detectCgroupManager } from '../src/cgroup/index.js';
import { kernelBytes } from '../src/cgroup/v2/memory.js';
import { parseUnifiedPath, resolveUnifiedGroup, unifiedMountRoot } from '../src/cgroup/v2/self.js';

const fake = vi.hoisted(() => ({ root: '' }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const { basename, dirname, join: j } = await import('node:path');
  const errno = (code: string, path: string) => Object.assign(new Error(`${code}: ${path}`), { code });
  const list = (text: string) => text.split(/\s+/).filter((c) => c !== '');
  const readOr = (path: string, dflt: string) => fs.readFile(path, 'utf8').catch(() => dflt);
  const inTree = (path: string) => fake.root !== '' && (path === fake.root || path.startsWith(`${fake.root}/`));
  const FILES: Record<string, Record<string, string>> = {
    pids: { 'pids.max': 'max\n', 'pids.current': '0\n', 'pids.events': 'max 0\n' },
    memory: { 'memory.max': 'max\n', 'memory.low': '0\n', 'memory.swap.max': 'max\n', 'memory.current': '0\n', 'memory.events': 'max 0\noom_kill 0\n', 'memory.stat': 'anon 0\n' },
    cpu: { 'cpu.max': 'max 100000\n', 'cpu.weight': '100\n' },
    cpuset: { 'cpuset.cpus': '\n', 'cpuset.mems': '\n' },
  };

  async function writeFile(path: string, data: string | Uint8Array, opts?: unknown): Promise<void> {
    const text = String(data);
    if (!inTree(path) || basename(path) !== 'cgroup.subtree_control' || !/^[+-]/.test(text)) return fs.writeFile(path, data, opts as never);
    const dir = dirname(path);
    const enabled = new Set(list(await readOr(path, '')));
    for (const tok of list(text)) {
      const c = tok.slice(1);
      if (!list(await readOr(j(dir, 'cgroup.controllers'), '')).includes(c)) throw errno('ENOENT', path);
      if (tok.startsWith('+') && dir !== fake.root && list(await readOr(j(dir, 'cgroup.procs'), '')).length > 0) throw errno('EBUSY', path);
      if (tok.startsWith('+')) enabled.add(c); else enabled.delete(c);
    }
    await fs.writeFile(path, [...enabled].join(' ') + '\n');
  }

  async function mkdir(path: string, opts?: unknown): Promise<string | undefined> {
    const made = await fs.mkdir(path, opts as never);
    if (!inTree(path) || (typeof opts === 'object' && opts !== null && 'recursive' in opts)) return made;
    const controllers = list(await readOr(j(dirname(path), 'cgroup.subtree_control'), ''));
    const files: Record<string, string> = {
      'cgroup.controllers': controllers.join(' ') + '\n', 'cgroup.subtree_control': '\n', 'cgroup.procs': '',
      'cgroup.events': 'populated 0\nfrozen 0\n', 'cgroup.freeze': '0\n', 'cgroup.kill': '', 'cpu.stat': 'usage_usec 0\n',
    };
    for (const c of controllers) Object.assign(files, FILES[c]);
    for (const [name, text] of Object.entries(files)) await fs.writeFile(j(path, name), text);
    return made;
  }

  async function rmdir(path: string): Promise<void> {
    if (!inTree(path)) return fs.rmdir(path);
    const entries = await fs.readdir(path, { withFileTypes: true });
    if (entries.some((e) => e.isDirectory())) throw errno('ENOTEMPTY', path);
    if (list(await readOr(j(path, 'cgroup.procs'), '')).length > 0) throw errno('EBUSY', path);
    await fs.rm(path, { recursive: true });
  }

  return { ...fs, default: { ...fs, writeFile, mkdir, rmdir }, writeFile, mkdir, rmdir };
});

const OWN = '/ci/job';
const GROUP = '@self/vzkit-test/101';
/** pids memory cpu cpuset io, sorted. */
const ALL = ['cpu', 'cpuset', 'io', 'memory', 'pids'];

let tmp: string;
let root: string;
let m: CgroupV2Manager;

/** Group directory in the fake, as the manager should resolve it. */
const dir = (group = 'vzkit-test/101') => join(root, OWN, group);

async function put(path: string, text: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}

const read = (path: string) => readFile(path, 'utf8');
/** A controller list, sorted (the kernel prints its own order, the fake the order of writes). */
const words = async (path: string) => (await read(path)).trim().split(/\s+/).filter((w) => w !== '').sort();
const isDir = (path: string) => stat(path).then((s) => s.isDirectory(), () => false);

async function caught(p: Promise<unknown>): Promise<VzError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (!isVzError(e)) throw new Error(`expected a VzError, got ${String(e)}`);
  return e;
}

/** A cgroup directory made by hand (levels that exist before vzkit runs). */
async function cgroupDir(path: string, controllers: string, subtree = ''): Promise<void> {
  await put(join(path, 'cgroup.controllers'), `${controllers}\n`);
  await put(join(path, 'cgroup.subtree_control'), `${subtree}\n`);
  await put(join(path, 'cgroup.procs'), '');
}

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vzkit-cgv2-'));
  root = join(tmp, 'cgroup');
  fake.root = root;
  await put(join(tmp, 'mountinfo'), `30 23 0:26 / ${root} rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n`);
  await put(join(tmp, 'self-cgroup'), `0::${OWN}\n`);
  await cgroupDir(root, 'cpuset cpu io memory hugetlb pids rdma misc', 'cpuset cpu io memory pids');
  await put(join(root, 'cgroup.procs'), '1\n');
  await cgroupDir(join(root, 'ci'), 'cpuset cpu io memory pids', 'cpuset cpu io memory pids');
  await cgroupDir(join(root, OWN), 'cpuset cpu io memory pids');
  await put(join(root, OWN, 'cgroup.procs'), ''); // our own cgroup, empty unless a test says otherwise
  m = new CgroupV2Manager({ root, mountinfo: join(tmp, 'mountinfo'), procSelfCgroup: join(tmp, 'self-cgroup'), killTimeoutMs: 300, freezeTimeoutMs: 200, busyRetryMs: 100 });
});

afterEach(async () => {
  fake.root = '';
  await rm(tmp, { recursive: true, force: true });
});

describe('layout', () => {
  it('lists the controllers vzkit drives that the root offers', async () => {
    expect(m.version).toBe(2);
    expect(await m.controllers()).toEqual(['pids', 'memory', 'cpu', 'cpuset', 'io']);
  });

  it('maps unified and every controller to the one directory, @self under our cgroup', async () => {
    const paths = await m.paths(GROUP);
    expect(Object.keys(paths).sort()).toEqual(['cpu', 'cpuset', 'hugetlb', 'io', 'memory', 'misc', 'pids', 'rdma', 'unified']);
    for (const d of Object.values(paths)) expect(d).toBe(join(root, 'ci/job/vzkit-test/101'));
    expect((await m.paths('vzkit/101'))['unified']).toBe(join(root, 'vzkit/101'));
  });

  it('parses the 0:: line and the mount top', () => {
    expect(parseUnifiedPath('12:pids:/x\n0::/user.slice/session-2.scope\n')).toBe('/user.slice/session-2.scope');
    expect(parseUnifiedPath('4:memory:/x\n')).toBeUndefined();
    const table = '30 23 0:26 /docker/abc /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n31 23 0:27 / /mnt rw - cgroup2 cgroup2 rw\n';
    expect(unifiedMountRoot(table, '/sys/fs/cgroup')).toBe('/docker/abc');
    expect(unifiedMountRoot(table, '/srv')).toBeUndefined();
  });

  it('resolves @self below the mount top inside a container, and refuses a cgroup outside it', () => {
    expect(resolveUnifiedGroup('@self/x/1', '/sys/fs/cgroup', '/docker/abc/sub', '/docker/abc')).toEqual({
      base: '/sys/fs/cgroup/sub', dir: '/sys/fs/cgroup/sub/x/1', segments: ['x', '1'],
    });
    expect(resolveUnifiedGroup('@self/x', '/sys/fs/cgroup', '/', '/').dir).toBe('/sys/fs/cgroup/x');
    expect(resolveUnifiedGroup('vzkit/1', '/sys/fs/cgroup', undefined).dir).toBe('/sys/fs/cgroup/vzkit/1');
    expect(() => resolveUnifiedGroup('@self/x', '/sys/fs/cgroup', '/other', '/docker/abc')).toThrow(/outside the mounted \/docker\/abc/);
    expect(() => resolveUnifiedGroup('@self/x', '/sys/fs/cgroup', '/../..')).toThrow(/outside/);
    expect(() => resolveUnifiedGroup('@self/x', '/sys/fs/cgroup', undefined)).toThrow(/no 0:: line/);
    expect(() => resolveUnifiedGroup('@self', '/sys/fs/cgroup', '/')).toThrow(/invalid cgroup/);
  });

  it('picks the v2 backend for a lone cgroup2 mount', async () => {
    const d = await detectCgroupManager({ root: tmp, mountinfo: join(tmp, 'mountinfo'), procSelfCgroup: join(tmp, 'self-cgroup') });
    expect(d).toBeInstanceOf(CgroupV2Manager);
    expect((d as CgroupV2Manager).root).toBe(root);
  });
});

describe('create', () => {
  it('creates every level and hands the controllers down to the group, not into it', async () => {
    expect(await m.exists(GROUP)).toBe(false);
    await m.create(GROUP);
    expect(await m.exists(GROUP)).toBe(true);
    expect(await words(join(root, OWN, 'cgroup.subtree_control'))).toEqual(ALL);
    expect(await words(join(dir('vzkit-test'), 'cgroup.subtree_control'))).toEqual(ALL);
    expect(await words(join(dir(), 'cgroup.controllers'))).toEqual(ALL);
    expect(await words(join(dir(), 'cgroup.subtree_control'))).toEqual([]);
    expect(await read(join(dir(), 'memory.max'))).toBe('max\n');
  });

  it('enables only what the parent offers, and nothing above the base', async () => {
    await put(join(root, OWN, 'cgroup.controllers'), 'memory pids hugetlb\n');
    await put(join(root, 'ci', 'cgroup.subtree_control'), 'hugetlb memory pids\n');
    await m.create(GROUP);
    expect(await words(join(root, OWN, 'cgroup.subtree_control'))).toEqual(['memory', 'pids']);
    expect(await words(join(root, 'ci', 'cgroup.subtree_control'))).toEqual(['hugetlb', 'memory', 'pids']);
    expect(await words(join(dir(), 'cgroup.controllers'))).toEqual(['memory', 'pids']);
  });

  it('is idempotent and writes no controller again, so a base with processes is fine later', async () => {
    await m.create(GROUP);
    await put(join(root, OWN, 'cgroup.procs'), '4242\n');
    await m.create(GROUP);
    await m.create('@self/vzkit-test/102');
    expect(await isDir(dir('vzkit-test/102'))).toBe(true);
  });

  it('explains the no-internal-processes rule when the parent holds processes, and creates nothing', async () => {
    await put(join(root, OWN, 'cgroup.procs'), '4242\n4243\n');
    const e = await caught(m.create(GROUP));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.errno).toBe('EBUSY');
    expect(e.path).toBe(join(root, OWN, 'cgroup.subtree_control'));
    expect(e.message).toBe(
      `cgroup ${GROUP}: cannot enable pids memory cpu cpuset io in ${join(root, OWN)}/cgroup.subtree_control: the parent cgroup ${join(root, OWN)} holds processes ` +
        '(pids 4242, 4243), and cgroup v2 gives controllers only to the children of a group without processes ("no internal processes" rule)',
    );
    expect(e.hint).toMatch(/VZKIT_CGROUP_PARENT/);
    expect(await isDir(dir('vzkit-test'))).toBe(false);
    // Refused before any write: the kernel would take pids, cpu and cpuset (threaded
    // controllers) and then refuse memory, leaving our cgroup half changed.
    expect(await words(join(root, OWN, 'cgroup.subtree_control'))).toEqual([]);
  });

  it('the root cgroup may hold processes: plain groups are made below it', async () => {
    await put(join(root, 'cgroup.subtree_control'), '\n');
    await m.create('vzkit/101');
    expect(await words(join(root, 'cgroup.subtree_control'))).toEqual(ALL);
    expect(await words(join(root, 'vzkit', 'cgroup.subtree_control'))).toEqual(ALL);
    expect(await isDir(join(root, 'vzkit/101'))).toBe(true);
  });

  it('fails when the base is missing, and refuses a ref that is our own cgroup', async () => {
    await rm(join(root, OWN), { recursive: true });
    expect((await caught(m.create(GROUP))).path).toBe(join(root, OWN));
    expect((await caught(m.create('@self'))).code).toBe('BAD_VALUE');
    expect((await caught(m.kill('@self/'))).code).toBe('BAD_VALUE');
  });

  it('attaches by writing cgroup.procs; names file, value and errno when a write fails', async () => {
    await m.create(GROUP);
    await m.attach(GROUP, 4242);
    expect(await read(join(dir(), 'cgroup.procs'))).toBe('4242');
    expect((await caught(m.attach(GROUP, 0))).code).toBe('BAD_VALUE');
    const e = await caught(m.set('@self/missing', { pids: { max: 100 } }));
    expect(e.message).toBe(`write 100 to ${join(root, OWN, 'missing')}/pids.max: ENOENT`);
    expect(e.errno).toBe('ENOENT');
  });
});

describe('set', () => {
  beforeEach(async () => {
    await m.create(GROUP);
  });
  const file = (name: string) => read(join(dir(), name));

  it('io: io.max per device (max for none); io.weight and io.bfq.weight as `default N` where they exist', async () => {
    await m.set(GROUP, { io: { limits: [{ major: 7, minor: 3, readBps: 2097152, writeBps: 2097152, readIops: null, writeIops: 10 }] } });
    expect(await file('io.max')).toBe('7:3 rbps=2097152 wbps=2097152 riops=max wiops=10');
    expect((await caught(m.set(GROUP, { io: { weight: 64 } }))).code).toBe('UNSUPPORTED');
    await put(join(dir(), 'io.weight'), 'default 100\n');
    await m.set(GROUP, { io: { weight: 64 } });
    expect(await file('io.weight')).toBe('default 64');
  });

  it('pids.max: a number, or max for null', async () => {
    await m.set(GROUP, { pids: { max: 5 } });
    expect(await file('pids.max')).toBe('5');
    await m.set(GROUP, { pids: { max: null } });
    expect(await file('pids.max')).toBe('max');
  });

  it('memory: max, swap room as it is, low; null is max (low: no protection, 0); kmem and tcp need no file', async () => {
    await m.set(GROUP, { memory: { max: 64 << 20, swap: 32 << 20, low: 16 << 20, kmem: 1 << 20, kmemTcp: 1 << 20 } });
    expect([await file('memory.max'), await file('memory.swap.max'), await file('memory.low')]).toEqual([`${64 << 20}`, `${32 << 20}`, `${16 << 20}`]);
    expect(await stat(join(dir(), 'memory.kmem.limit_in_bytes')).catch(() => undefined)).toBeUndefined();
    await m.set(GROUP, { memory: { max: 128 << 20 } });
    expect([await file('memory.max'), await file('memory.swap.max')]).toEqual([`${128 << 20}`, `${32 << 20}`]);
    await m.set(GROUP, { memory: { max: null, swap: null, low: null } });
    expect([await file('memory.max'), await file('memory.swap.max'), await file('memory.low')]).toEqual(['max', 'max', '0']);
  });

  it('memory: a swap limit without memory.swap.max is UNSUPPORTED; no swap limit is fine', async () => {
    await rm(join(dir(), 'memory.swap.max'));
    const e = await caught(m.set(GROUP, { memory: { max: 1 << 20, swap: 0 } }));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.path).toBe(join(dir(), 'memory.swap.max'));
    await m.set(GROUP, { memory: { max: 2 << 20, swap: null } });
    expect(await file('memory.max')).toBe(String(2 << 20));
  });

  it('memory: rejects negative and fractional bytes before writing anything', async () => {
    expect((await caught(m.set(GROUP, { memory: { max: 1 << 20, low: -5 } }))).code).toBe('BAD_VALUE');
    expect((await caught(m.set(GROUP, { memory: { swap: 1.5 } }))).code).toBe('BAD_VALUE');
    expect(await file('memory.max')).toBe('max\n');
  });

  it('cpu: weight as it is, cpu.max as `quota period`, keeping what is not given', async () => {
    await m.set(GROUP, { cpu: { weight: 50, quota: 50000, period: 200000 } });
    expect([await file('cpu.weight'), await file('cpu.max')]).toEqual(['50', '50000 200000']);
    await m.set(GROUP, { cpu: { quota: 20000 } });
    expect(await file('cpu.max')).toBe('20000 200000');
    await m.set(GROUP, { cpu: { period: 100000 } });
    expect(await file('cpu.max')).toBe('20000 100000');
    await m.set(GROUP, { cpu: { quota: null } });
    expect(await file('cpu.max')).toBe('max 100000');
    expect(await file('cpu.weight')).toBe('50');
    expect((await caught(m.set(GROUP, { cpu: { weight: 0 } }))).message).toBe('cpu weight 0 out of range 1..10000');
  });

  it('cpuset cpus and mems', async () => {
    await m.set(GROUP, { cpuset: { cpus: '1', mems: '0' } });
    expect([await file('cpuset.cpus'), await file('cpuset.mems')]).toEqual(['1', '0']);
  });

  it('names a controller the parent did not hand down', async () => {
    await put(join(dir(), 'cgroup.controllers'), 'pids\n');
    const e = await caught(m.set(GROUP, { cpu: { weight: 10 } }));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toBe(`cgroup ${GROUP}: the cpu controller is not enabled for ${dir()} (its cgroup.controllers: pids)`);
  });
});

describe('stats', () => {
  beforeEach(async () => {
    await m.create(GROUP);
  });

  it('parses pids, memory and cpu files with peaks, events and swap', async () => {
    const d = dir();
    await put(join(d, 'pids.current'), '3\n');
    await put(join(d, 'pids.max'), '5\n');
    await put(join(d, 'pids.events'), 'max 7\n');
    await put(join(d, 'pids.peak'), '5\n');
    await put(join(d, 'memory.current'), '1048576\n');
    await put(join(d, 'memory.peak'), '33554432\n');
    await put(join(d, 'memory.max'), '33554432\n');
    await put(join(d, 'memory.events'), 'low 0\nhigh 0\nmax 69\noom 1\noom_kill 1\noom_group_kill 0\n');
    await put(join(d, 'memory.stat'), 'anon 1048576\nfile 0\nkernel 204800\nkernel_stack 16384\nsock 4096\nslab 100000\n');
    await put(join(d, 'memory.swap.current'), '8192\n');
    await put(join(d, 'memory.swap.max'), '0\n');
    await put(join(d, 'memory.swap.peak'), '16384\n');
    await put(join(d, 'memory.swap.events'), 'high 0\nmax 3\nfail 2\n');
    await put(join(d, 'cpu.stat'), 'usage_usec 1234\nuser_usec 1000\nsystem_usec 234\nnr_periods 10\nnr_throttled 2\nthrottled_usec 500\n');
    expect(await m.stats(GROUP)).toEqual({
      pids: { current: 3, max: 5, failcnt: 7, peak: 5 },
      memory: {
        usage: 1048576, maxUsage: 33554432, max: 33554432, failcnt: 69, oomKills: 1,
        stat: { anon: 1048576, file: 0, kernel: 204800, kernel_stack: 16384, sock: 4096, slab: 100000 },
        swapUsage: 8192, swap: { usage: 8192, maxUsage: 16384, failcnt: 3, max: 0 },
        kmemUsage: 204800, kmem: { usage: 204800 },
        tcp: { usage: 4096 },
      },
      cpu: { usageNs: 1234000, throttledNs: 500000 },
    });
  });

  it('leaves out what an older kernel lacks: no peaks, no swap, kmem from its parts', async () => {
    const d = dir();
    await put(join(d, 'memory.current'), '4096\n');
    await put(join(d, 'memory.stat'), 'anon 4096\nslab_reclaimable 100\nslab_unreclaimable 200\nkernel_stack 16\npagetables 8\npercpu 4\n');
    for (const f of ['memory.swap.max', 'memory.swap.events']) await rm(join(d, f), { force: true });
    const s = await m.stats(GROUP);
    expect(s.pids).toEqual({ current: 0, max: null, failcnt: 0 });
    expect(s.memory).toEqual({
      usage: 4096, maxUsage: 4096, max: null, failcnt: 0, oomKills: 0,
      stat: { anon: 4096, slab_reclaimable: 100, slab_unreclaimable: 200, kernel_stack: 16, pagetables: 8, percpu: 4 },
      kmemUsage: 328, kmem: { usage: 328 },
    });
    expect(s.cpu).toEqual({ usageNs: 0 });
    expect(kernelBytes({ anon: 1 })).toBeUndefined();
    expect(kernelBytes({ slab: 10, percpu: 1 })).toBe(11);
  });

  it('reports only the controllers the group has', async () => {
    await put(join(root, OWN, 'cgroup.controllers'), '\n');
    await put(join(root, OWN, 'cgroup.subtree_control'), '\n');
    await m.create('@self/bare');
    expect(await m.stats('@self/bare')).toEqual({ cpu: { usageNs: 0 } });
  });

  it('fails naming the directory of a missing group', async () => {
    const e = await caught(m.stats('@self/missing'));
    expect([e.errno, e.path]).toEqual(['ENOENT', join(root, OWN, 'missing')]);
  });
});

describe('pids, freeze, kill, destroy', () => {
  it('lists the processes of the group and its children', async () => {
    await m.create(`${GROUP}/inner`);
    await put(join(dir(), 'cgroup.procs'), '30\n10\n');
    await put(join(dir(), 'inner', 'cgroup.procs'), '20\n10\n');
    expect(await m.pids(GROUP)).toEqual([10, 20, 30]);
    expect(await m.pids('@self/missing')).toEqual([]);
  });

  it('freeze writes 1 and returns once cgroup.events reads frozen 1; thaw writes 0', async () => {
    await m.create(GROUP);
    await put(join(dir(), 'cgroup.events'), 'populated 1\nfrozen 1\n');
    await m.freeze(GROUP);
    expect(await read(join(dir(), 'cgroup.freeze'))).toBe('1');
    await m.thaw(GROUP);
    expect(await read(join(dir(), 'cgroup.freeze'))).toBe('0');
  });

  it('freeze backs out when the group never reads frozen', async () => {
    await m.create(GROUP);
    const e = await caught(m.freeze(GROUP));
    expect(e.message).toBe(`freeze ${dir()}: cgroup.events still not frozen after 200 ms`);
    expect(await read(join(dir(), 'cgroup.freeze'))).toBe('0');
  });

  it('kill of an empty or missing group returns at once', async () => {
    await m.kill('@self/missing');
    await m.create(GROUP);
    await m.kill(GROUP);
    expect(await read(join(dir(), 'cgroup.kill'))).toBe('');
  });

  it('kill writes cgroup.kill and reports the processes that never leave', async () => {
    await m.create(GROUP);
    await put(join(dir(), 'cgroup.procs'), '999999\n');
    const e = await caught(m.kill(GROUP));
    expect(e.code).toBe('STOP_FAILED');
    expect(e.message).toBe(`kill cgroup ${GROUP}: still running after 300 ms: 999999`);
    expect(await read(join(dir(), 'cgroup.kill'))).toBe('1');
  });

  it('kill without cgroup.kill freezes, SIGKILLs and thaws', async () => {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    const exited = new Promise<string | null>((res) => child.once('exit', (_code, signal) => res(signal)));
    try {
      await m.create(GROUP);
      await rm(join(dir(), 'cgroup.kill'));
      await put(join(dir(), 'cgroup.events'), 'populated 1\nfrozen 1\n');
      // The fake cgroup.procs never empties, as a process stuck in D state would.
      await put(join(dir(), 'cgroup.procs'), `${child.pid}\n`);
      const e = await caught(m.kill(GROUP));
      expect(e.message).toBe(`kill cgroup ${GROUP}: still running after 300 ms: ${child.pid}`);
      expect(await exited).toBe('SIGKILL');
      expect(await read(join(dir(), 'cgroup.freeze'))).toBe('0');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('kill refuses a group holding the calling process', async () => {
    await m.create(GROUP);
    await put(join(dir(), 'cgroup.procs'), `${process.pid}\n`);
    const e = await caught(m.kill(GROUP));
    expect([e.code, e.message]).toEqual(['STOP_FAILED', `kill cgroup ${GROUP}: the calling process ${process.pid} is in the group`]);
    expect(await read(join(dir(), 'cgroup.kill'))).toBe('');
  });

  it('destroy removes children first; a missing group is fine', async () => {
    await m.create(`${GROUP}/a/b`);
    await m.create(`${GROUP}/c`);
    await m.destroy(GROUP);
    expect(await isDir(dir())).toBe(false);
    expect(await isDir(dir('vzkit-test'))).toBe(true);
    await m.destroy(GROUP);
    await m.destroy('@self/vzkit-test');
    expect(await isDir(dir('vzkit-test'))).toBe(false);
    expect(await m.exists(GROUP)).toBe(false);
  });

  it('destroy retries EBUSY, then names the directory it cannot remove', async () => {
    await m.create(`${GROUP}/a`);
    await put(join(dir(), 'a', 'cgroup.procs'), '4242\n');
    const e = await caught(m.destroy(GROUP));
    expect([e.errno, e.path]).toEqual(['EBUSY', join(dir(), 'a')]);
  });
});
