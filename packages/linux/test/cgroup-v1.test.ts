/**
 * CgroupV1Manager against a fake v1 tree in a temp dir (runc's NewCgroupTestUtil idea):
 * plain directories and files, read back after each call. The fake has no kernel behind
 * it, so files the kernel would create in a new group are created here by hand.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVzError, type VzError } from '@vzkit/core';
import { CgroupV1Manager, weightToShares } from '../src/cgroup/index.js';
import { limitAndSwapWrites, memswFailuresCounted } from '../src/cgroup/v1/memory.js';

const CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids'];
const OWN_MEMORY = '/process_api/abc';
const GROUP = '@self/vzkit-test/101';
const UNLIMITED = '9223372036854771712';

let tmp: string;
let root: string;
let m: CgroupV1Manager;

/** Group directory in the fake, as the manager should resolve it. */
function dir(controller: string, group = 'vzkit-test/101'): string {
  return join(root, controller, controller === 'memory' ? OWN_MEMORY : '', group);
}

async function put(path: string, text: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}

const read = (path: string) => readFile(path, 'utf8');
const isDir = (path: string) => stat(path).then((s) => s.isDirectory(), () => false);

async function caught(p: Promise<unknown>): Promise<VzError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (!isVzError(e)) throw new Error(`expected a VzError, got ${String(e)}`);
  return e;
}

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vzkit-cgv1-'));
  root = join(tmp, 'cgroup');
  const lines = CONTROLLERS.map((c, i) => `${32 + i} 31 0:${29 + i} / ${root}/${c} rw,relatime - cgroup cgroup rw,${c}`);
  lines.push(`40 31 0:37 / ${root}/systemd rw,relatime - cgroup cgroup rw,name=systemd`);
  lines.push(`41 31 0:38 / ${root}/unified rw,relatime - cgroup2 cgroup2 rw`);
  await put(join(tmp, 'mountinfo'), lines.join('\n') + '\n');
  await put(join(tmp, 'self-cgroup'), CONTROLLERS.map((c, i) => `${i + 1}:${c}:${c === 'memory' ? OWN_MEMORY : '/'}`).join('\n') + '\n9:name=systemd:/\n0::/\n');
  for (const c of [...CONTROLLERS, 'systemd']) await mkdir(join(root, c), { recursive: true });
  await mkdir(join(root, 'memory', OWN_MEMORY), { recursive: true });
  await put(join(root, 'cpuset', 'cpuset.cpus'), '0-1\n');
  await put(join(root, 'cpuset', 'cpuset.mems'), '0\n');
  m = new CgroupV1Manager({ root, mountinfo: join(tmp, 'mountinfo'), procSelfCgroup: join(tmp, 'self-cgroup'), killTimeoutMs: 300, freezeTimeoutMs: 200, busyRetryMs: 100 });
});

afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('layout', () => {
  it('lists the mounted controllers vzkit uses, not named hierarchies', async () => {
    expect(await m.controllers()).toEqual(['pids', 'memory', 'cpu', 'cpuacct', 'cpuset', 'freezer', 'devices', 'blkio']);
  });

  it('maps every controller to the group directory, @self under our memory cgroup', async () => {
    const paths = await m.paths(GROUP);
    expect(Object.keys(paths).sort()).toEqual([...CONTROLLERS].sort());
    for (const c of CONTROLLERS) expect(paths[c]).toBe(dir(c));
    expect(paths['memory']).toBe(join(root, 'memory/process_api/abc/vzkit-test/101'));
    expect((await m.paths('vzkit/101'))['memory']).toBe(join(root, 'memory/vzkit/101'));
  });
});

describe('create, attach, exists', () => {
  it('creates every level in every hierarchy and reports it exists', async () => {
    expect(await m.exists(GROUP)).toBe(false);
    await m.create(GROUP);
    for (const c of CONTROLLERS) expect(await isDir(dir(c)), c).toBe(true);
    expect(await isDir(join(root, 'systemd', 'vzkit-test'))).toBe(false);
    expect(await m.exists(GROUP)).toBe(true);
    await m.create(GROUP); // idempotent
  });

  it('copies cpuset cpus and mems from the parent into each new level', async () => {
    await m.create(GROUP);
    for (const level of ['vzkit-test', 'vzkit-test/101']) {
      expect(await read(join(root, 'cpuset', level, 'cpuset.cpus'))).toBe('0-1');
      expect(await read(join(root, 'cpuset', level, 'cpuset.mems'))).toBe('0');
    }
  });

  it('keeps a cpuset already set on an existing level', async () => {
    await put(join(root, 'cpuset', 'vzkit-test', 'cpuset.cpus'), '1\n');
    await m.create(GROUP);
    expect(await read(join(root, 'cpuset', 'vzkit-test', 'cpuset.cpus'))).toBe('1\n');
    expect(await read(join(dir('cpuset'), 'cpuset.cpus'))).toBe('1');
  });

  it('writes the pid to cgroup.procs of every hierarchy', async () => {
    await m.create(GROUP);
    await m.attach(GROUP, 4242);
    for (const c of CONTROLLERS) expect(await read(join(dir(c), 'cgroup.procs')), c).toBe('4242');
  });

  it('names file, value and errno when a write fails', async () => {
    const e = await caught(m.set(GROUP, { pids: { max: 100 } }));
    expect(e.message).toBe(`write 100 to ${dir('pids')}/pids.max: ENOENT`);
    expect(e.errno).toBe('ENOENT');
    expect(e.path).toBe(`${dir('pids')}/pids.max`);
  });

  it('refuses a ref that is our own cgroup', async () => {
    expect((await caught(m.create('@self'))).code).toBe('BAD_VALUE');
    expect((await caught(m.kill('@self/'))).code).toBe('BAD_VALUE');
  });
});

describe('set', () => {
  beforeEach(async () => {
    await m.create(GROUP);
    await put(join(dir('memory'), 'memory.limit_in_bytes'), UNLIMITED);
    await put(join(dir('memory'), 'memory.memsw.limit_in_bytes'), UNLIMITED);
  });

  it('blkio: the throttle files per device (0 is none); a weight file only where a scheduler has one', async () => {
    const io = { major: 254, minor: 0, readBps: 1048576, writeBps: null, readIops: null, writeIops: 50 };
    await m.set(GROUP, { io: { limits: [io] } });
    const throttle = (f: string) => read(join(dir('blkio'), `blkio.throttle.${f}_device`));
    expect([await throttle('read_bps'), await throttle('write_bps'), await throttle('read_iops'), await throttle('write_iops')])
      .toEqual(['254:0 1048576', '254:0 0', '254:0 0', '254:0 50']);
    const e = await caught(m.set(GROUP, { io: { weight: 128 } }));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toMatch(/neither blkio.weight \(CFQ\) nor blkio.bfq.weight \(BFQ\) exists/);
    await put(join(dir('blkio'), 'blkio.bfq.weight'), '100');
    await m.set(GROUP, { io: { weight: 128 } });
    expect(await read(join(dir('blkio'), 'blkio.bfq.weight'))).toBe('128');
  });

  it('pids.max: a number, or max for null', async () => {
    await m.set(GROUP, { pids: { max: 5 } });
    expect(await read(join(dir('pids'), 'pids.max'))).toBe('5');
    await m.set(GROUP, { pids: { max: null } });
    expect(await read(join(dir('pids'), 'pids.max'))).toBe('max');
  });

  it('cpu: weight to shares, period then quota, -1 for no quota', async () => {
    await m.set(GROUP, { cpu: { weight: 100, period: 100000, quota: 50000 } });
    expect(await read(join(dir('cpu'), 'cpu.shares'))).toBe('1024');
    expect(await read(join(dir('cpu'), 'cpu.cfs_period_us'))).toBe('100000');
    expect(await read(join(dir('cpu'), 'cpu.cfs_quota_us'))).toBe('50000');
    await m.set(GROUP, { cpu: { quota: null } });
    expect(await read(join(dir('cpu'), 'cpu.cfs_quota_us'))).toBe('-1');
    expect(await read(join(dir('cpu'), 'cpu.shares'))).toBe('1024');
  });

  it('weightToShares scales 100 to 1024 and rejects out-of-range weights', async () => {
    expect([1, 50, 100, 250, 10000].map(weightToShares)).toEqual([10, 512, 1024, 2560, 102400]);
    expect(() => weightToShares(0)).toThrow(/out of range/);
    expect((await caught(m.set(GROUP, { cpu: { weight: 20000 } }))).code).toBe('BAD_VALUE');
  });

  it('cpuset cpus and mems', async () => {
    await m.set(GROUP, { cpuset: { cpus: '1', mems: '0' } });
    expect(await read(join(dir('cpuset'), 'cpuset.cpus'))).toBe('1');
    expect(await read(join(dir('cpuset'), 'cpuset.mems'))).toBe('0');
  });

  it('memory: limit, memsw = max + swap, soft limit', async () => {
    await m.set(GROUP, { memory: { max: 64 << 20, swap: 32 << 20, low: 16 << 20 } });
    expect(await read(join(dir('memory'), 'memory.limit_in_bytes'))).toBe(String(64 << 20));
    expect(await read(join(dir('memory'), 'memory.memsw.limit_in_bytes'))).toBe(String(96 << 20));
    expect(await read(join(dir('memory'), 'memory.soft_limit_in_bytes'))).toBe(String(16 << 20));
  });

  it('memory: max alone keeps the swap room, swap alone keeps max', async () => {
    await m.set(GROUP, { memory: { max: 64 << 20, swap: 32 << 20 } });
    await m.set(GROUP, { memory: { max: 128 << 20 } });
    expect(await read(join(dir('memory'), 'memory.memsw.limit_in_bytes'))).toBe(String(160 << 20));
    await m.set(GROUP, { memory: { swap: 0 } });
    expect(await read(join(dir('memory'), 'memory.limit_in_bytes'))).toBe(String(128 << 20));
    expect(await read(join(dir('memory'), 'memory.memsw.limit_in_bytes'))).toBe(String(128 << 20));
  });

  it('memory: null is -1 (unlimited) for both', async () => {
    await m.set(GROUP, { memory: { max: 64 << 20, swap: 0 } });
    await put(join(dir('memory'), 'memory.limit_in_bytes'), String(64 << 20));
    await m.set(GROUP, { memory: { max: null, swap: null, low: null } });
    expect(await read(join(dir('memory'), 'memory.limit_in_bytes'))).toBe('-1');
    expect(await read(join(dir('memory'), 'memory.memsw.limit_in_bytes'))).toBe('-1');
    expect(await read(join(dir('memory'), 'memory.soft_limit_in_bytes'))).toBe('-1');
  });

  it('memory: kmem limits only where the files exist', async () => {
    await m.set(GROUP, { memory: { kmem: 1 << 20, kmemTcp: 1 << 20 } });
    expect(await stat(join(dir('memory'), 'memory.kmem.limit_in_bytes')).catch(() => undefined)).toBeUndefined();
    await put(join(dir('memory'), 'memory.kmem.limit_in_bytes'), UNLIMITED);
    await put(join(dir('memory'), 'memory.kmem.tcp.limit_in_bytes'), UNLIMITED);
    await m.set(GROUP, { memory: { kmem: 1 << 20, kmemTcp: 2 << 20 } });
    expect(await read(join(dir('memory'), 'memory.kmem.limit_in_bytes'))).toBe(String(1 << 20));
    expect(await read(join(dir('memory'), 'memory.kmem.tcp.limit_in_bytes'))).toBe(String(2 << 20));
  });

  it('memory: a swap limit without memsw files is UNSUPPORTED; max alone still works', async () => {
    await rm(join(dir('memory'), 'memory.memsw.limit_in_bytes'));
    expect((await caught(m.set(GROUP, { memory: { max: 1 << 20, swap: 0 } }))).code).toBe('UNSUPPORTED');
    await m.set(GROUP, { memory: { max: 1 << 20, swap: null } });
    expect(await read(join(dir('memory'), 'memory.limit_in_bytes'))).toBe(String(1 << 20));
  });

  it('memory: rejects negative and fractional bytes', async () => {
    expect((await caught(m.set(GROUP, { memory: { max: -5 } }))).code).toBe('BAD_VALUE');
    expect((await caught(m.set(GROUP, { memory: { low: 1.5 } }))).code).toBe('BAD_VALUE');
  });
});

describe('limitAndSwapWrites ordering (memsw must never drop below limit)', () => {
  const M = 1 << 20;
  const order = (w: { file: string; value: number }[]) => w.map((x) => `${x.file.replace('memory.', '')}=${x.value}`);

  it('raising from unlimited: limit stays below memsw either way', () => {
    expect(order(limitAndSwapWrites({ limit: Infinity, memsw: Infinity }, 64 * M, 32 * M)))
      .toEqual([`limit_in_bytes=${64 * M}`, `memsw.limit_in_bytes=${96 * M}`]);
  });

  it('raising: memsw first', () => {
    expect(order(limitAndSwapWrites({ limit: 64 * M, memsw: 96 * M }, 128 * M, 0)))
      .toEqual([`memsw.limit_in_bytes=${128 * M}`, `limit_in_bytes=${128 * M}`]);
    expect(order(limitAndSwapWrites({ limit: 64 * M, memsw: 64 * M }, Infinity, Infinity)))
      .toEqual(['memsw.limit_in_bytes=-1', 'limit_in_bytes=-1']);
  });

  it('lowering: limit first', () => {
    expect(order(limitAndSwapWrites({ limit: 128 * M, memsw: 160 * M }, 32 * M, 0)))
      .toEqual([`limit_in_bytes=${32 * M}`, `memsw.limit_in_bytes=${32 * M}`]);
  });

  it('every step keeps memsw >= limit', () => {
    const values = [16 * M, 64 * M, 128 * M, Infinity];
    for (const limit of values) for (const extra of [0, 32 * M, Infinity]) for (const max of values) for (const swap of [0, 8 * M, Infinity]) {
      const state = { limit, memsw: limit + extra };
      for (const w of limitAndSwapWrites(state, max, swap)) {
        const v = w.value === -1 ? Infinity : w.value;
        if (w.file.includes('memsw')) state.memsw = v; else state.limit = v;
        expect(state.memsw >= state.limit, JSON.stringify({ limit, extra, max, swap, w })).toBe(true);
      }
    }
  });
});

describe('stats', () => {
  beforeEach(async () => {
    await m.create(GROUP);
    await put(join(dir('pids'), 'pids.current'), '3\n');
    await put(join(dir('pids'), 'pids.max'), '5\n');
    await put(join(dir('pids'), 'pids.events'), 'max 7\n');
    const mem = dir('memory');
    await put(join(mem, 'memory.usage_in_bytes'), '1048576\n');
    await put(join(mem, 'memory.max_usage_in_bytes'), '2097152\n');
    await put(join(mem, 'memory.limit_in_bytes'), `${UNLIMITED}\n`);
    await put(join(mem, 'memory.failcnt'), '2\n');
    await put(join(mem, 'memory.stat'), 'cache 0\nrss 1048576\ntotal_rss 1048576\nhierarchical_memory_limit 9223372036854771712\n');
    await put(join(dir('cpuacct'), 'cpuacct.usage'), '123456789\n');
    await put(join(dir('cpu'), 'cpu.stat'), 'nr_periods 10\nnr_throttled 2\nthrottled_time 5000\n');
  });

  it('samples many groups in one pass: the figures of stats(), counters read at each pass, limits now and then, groups that do not exist left out', async () => {
    const first = await m.sample([GROUP, '@self/vzkit-test/102']);
    expect([...first.keys()]).toEqual([GROUP]);
    expect(first.get(GROUP)).toEqual(await m.stats(GROUP));
    await put(join(dir('pids'), 'pids.current'), '4\n');
    await put(join(dir('pids'), 'pids.max'), '9\n');
    await put(join(dir('memory'), 'memory.stat'), 'cache 4096\nrss 8192\n');
    const second = (await m.sample([GROUP])).get(GROUP)!;
    expect(second.pids).toEqual({ current: 4, max: 5, failcnt: 7 });
    expect(second.memory?.stat).toEqual({ cache: 4096, rss: 8192 });
    let later = second;
    for (let i = 0; i < 16; i++) later = (await m.sample([GROUP])).get(GROUP)!;
    expect(later.pids?.max).toBe(9);
  });

  it('parses pids, memory and cpu files; leaves out the counters this kernel lacks', async () => {
    expect(await m.stats(GROUP)).toEqual({
      pids: { current: 3, max: 5, failcnt: 7 },
      memory: {
        usage: 1048576, maxUsage: 2097152, max: null, failcnt: 2,
        stat: { cache: 0, rss: 1048576, total_rss: 1048576, hierarchical_memory_limit: 9223372036854771712 },
      },
      cpu: { usageNs: 123456789, throttledNs: 5000 },
    });
    await put(join(dir('pids'), 'pids.max'), 'max\n');
    await put(join(dir('memory'), 'memory.limit_in_bytes'), '67108864\n');
    const s = await m.stats(GROUP);
    expect(s.pids?.max).toBeNull();
    expect(s.memory?.max).toBe(67108864);
  });

  it('reads the pids peak, the memsw, kmem and tcp counters and the OOM kills where they exist', async () => {
    const mem = dir('memory');
    await put(join(dir('pids'), 'pids.peak'), '5\n');
    await put(join(mem, 'memory.limit_in_bytes'), `${64 << 20}\n`);
    await put(join(mem, 'memory.memsw.usage_in_bytes'), '1310720\n');
    await put(join(mem, 'memory.memsw.max_usage_in_bytes'), '3145728\n');
    await put(join(mem, 'memory.memsw.failcnt'), '4\n');
    await put(join(mem, 'memory.memsw.limit_in_bytes'), `${96 << 20}\n`);
    await put(join(mem, 'memory.kmem.usage_in_bytes'), '4096\n');
    await put(join(mem, 'memory.kmem.max_usage_in_bytes'), '8192\n');
    await put(join(mem, 'memory.kmem.failcnt'), '0\n');
    await put(join(mem, 'memory.kmem.limit_in_bytes'), `${UNLIMITED}\n`);
    await put(join(mem, 'memory.kmem.tcp.usage_in_bytes'), '0\n');
    await put(join(mem, 'memory.kmem.tcp.max_usage_in_bytes'), '1024\n');
    await put(join(mem, 'memory.kmem.tcp.failcnt'), '1\n');
    await put(join(mem, 'memory.kmem.tcp.limit_in_bytes'), `${1 << 20}\n`);
    await put(join(mem, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 3\n');
    const s = await m.stats(GROUP);
    expect(s.pids).toEqual({ current: 3, max: 5, failcnt: 7, peak: 5 });
    expect(s.memory).toMatchObject({
      usage: 1048576, max: 64 << 20,
      // Since 6.13 memsw.failcnt is never counted: left out (see memswFailuresCounted).
      swapUsage: 262144, swap: { usage: 262144, maxUsage: 3145728, ...(memswFailuresCounted(release()) ? { failcnt: 4 } : {}), max: 32 << 20 },
      kmemUsage: 4096, kmem: { usage: 4096, maxUsage: 8192, failcnt: 0, max: null },
      tcp: { usage: 0, maxUsage: 1024, failcnt: 1, max: 1 << 20 },
      oomKills: 3,
    });
    // memsw without a limit: no swap limit either.
    await put(join(mem, 'memory.memsw.limit_in_bytes'), `${UNLIMITED}\n`);
    expect((await m.stats(GROUP)).memory?.swap?.max).toBeNull();
  });

  it('takes memsw.failcnt only from kernels that count it (before 6.13)', () => {
    expect(['4.19.0', '5.10.0-30-amd64', '6.1.0-18-amd64', '6.12.48'].map(memswFailuresCounted)).toEqual([true, true, true, true]);
    expect(['6.13.0', '6.18.44-fc-v1300', '7.0.1'].map(memswFailuresCounted)).toEqual([false, false, false]);
  });

  it('keeps a counter whose usage file exists, without the files that do not', async () => {
    await put(join(dir('memory'), 'memory.memsw.usage_in_bytes'), '1048576\n');
    await put(join(dir('memory'), 'memory.kmem.usage_in_bytes'), '4096\n');
    await put(join(dir('memory'), 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\n');
    const s = await m.stats(GROUP);
    expect(s.memory).toMatchObject({ swapUsage: 0, swap: { usage: 0 }, kmemUsage: 4096, kmem: { usage: 4096 } });
    expect(s.memory).not.toHaveProperty('tcp');
    expect(s.memory).not.toHaveProperty('oomKills');
  });
});

describe('pids, freeze, kill, destroy', () => {
  it('lists the processes of the group and its children', async () => {
    await m.create(GROUP);
    await m.create(`${GROUP}/inner`);
    await put(join(dir('pids'), 'cgroup.procs'), '30\n10\n');
    await put(join(dir('pids'), 'inner', 'cgroup.procs'), '20\n10\n');
    await put(join(dir('memory'), 'cgroup.procs'), '99\n');
    expect(await m.pids(GROUP)).toEqual([10, 20, 30]);
    expect(await m.pids('@self/missing')).toEqual([]);
  });

  it('freeze writes FROZEN and returns once it reads FROZEN; thaw writes THAWED', async () => {
    await m.create(GROUP);
    await m.freeze(GROUP);
    expect(await read(join(dir('freezer'), 'freezer.state'))).toBe('FROZEN');
    await m.thaw(GROUP);
    expect(await read(join(dir('freezer'), 'freezer.state'))).toBe('THAWED');
  });

  it('kill of an empty or missing group returns at once', async () => {
    await m.kill('@self/missing');
    await m.create(GROUP);
    await m.kill(GROUP);
  });

  it('kill SIGKILLs the listed processes and reports the ones that never leave', async () => {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    const exited = new Promise<string | null>((res) => child.once('exit', (_code, signal) => res(signal)));
    try {
      await m.create(GROUP);
      // The fake cgroup.procs never empties, as a process stuck in D state would.
      await put(join(dir('pids'), 'cgroup.procs'), `${child.pid}\n`);
      const e = await caught(m.kill(GROUP));
      expect(e.code).toBe('STOP_FAILED');
      expect(e.message).toBe(`kill cgroup ${GROUP}: still running after 300 ms: ${child.pid}`);
      expect(await exited).toBe('SIGKILL');
      expect(await read(join(dir('freezer'), 'freezer.state'))).toBe('THAWED');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('kill refuses a group holding the calling process', async () => {
    await m.create(GROUP);
    await put(join(dir('memory'), 'cgroup.procs'), `${process.pid}\n`);
    const e = await caught(m.kill(GROUP));
    expect(e.code).toBe('STOP_FAILED');
    expect(e.message).toMatch(/calling process/);
    expect(await stat(join(dir('freezer'), 'freezer.state')).catch(() => undefined)).toBeUndefined();
  });

  /** Control files never block rmdir on cgroupfs; in the fake they would, so drop them. */
  async function dropControlFiles(path: string): Promise<void> {
    for (const entry of await readdir(path, { withFileTypes: true })) {
      if (entry.isDirectory()) await dropControlFiles(join(path, entry.name));
      else await rm(join(path, entry.name));
    }
  }

  it('destroy removes children first in every hierarchy; a missing group is fine', async () => {
    await m.create(`${GROUP}/a/b`);
    await m.create(`${GROUP}/c`);
    await dropControlFiles(join(root, 'cpuset', 'vzkit-test'));
    await m.destroy(GROUP);
    for (const c of CONTROLLERS) {
      expect(await isDir(dir(c)), c).toBe(false);
      expect(await isDir(join(dir(c), '..')), c).toBe(true);
    }
    await m.destroy(GROUP);
    expect(await m.exists(GROUP)).toBe(false);
  });

  it('destroy names the directory it cannot remove, after trying every hierarchy', async () => {
    await m.create(GROUP);
    await dropControlFiles(join(root, 'cpuset', 'vzkit-test'));
    await put(join(dir('pids'), 'pids.max'), 'max');
    const e = await caught(m.destroy(GROUP));
    expect(e.errno).toBe('ENOTEMPTY');
    expect(e.path).toBe(dir('pids'));
    expect(await isDir(dir('memory'))).toBe(false);
  });
});
