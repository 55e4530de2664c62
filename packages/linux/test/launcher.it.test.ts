import { mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isVzError, type LaunchSpec, type Namespace, type VzError } from '@vzkit/core';
import { NativeLauncher } from '../src/launcher/launcher.js';
import { LauncherChannel } from '../src/launcher/channel.js';
import { encodeJoinSpec, encodeStartSpec } from '../src/launcher/protocol.js';
import { LinuxProcessService } from '../src/process.js';
import { MNT_DETACH, mount, umount2 } from '../src/syscalls.js';
import { buildLauncher } from './native-build.js';

const processes = new LinuxProcessService();
let binary: string;
let launcher: NativeLauncher;
let dir: string;
const started: number[] = [];

const NS: Namespace[] = ['mnt', 'uts', 'ipc', 'pid'];
const ENV = ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'];

function sleeper(ops: LaunchSpec['ops'] = [], extra: Partial<LaunchSpec> = {}): LaunchSpec {
  return { ctid: 9001, namespaces: NS, ops, init: { argv: ['/bin/sleep', '60'], env: ENV, cwd: '/' }, ...extra };
}

async function startVe(spec: LaunchSpec, attach: (pid: number) => Promise<void> = async () => {}) {
  const result = await launcher.start(spec, async (pid) => {
    started.push(pid);
    await attach(pid);
  });
  return result;
}

async function rejection(p: Promise<unknown>): Promise<VzError> {
  try {
    await p;
  } catch (e) {
    if (isVzError(e)) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

/** Host pids of every process in the given pid namespace (by its ns id). */
async function pidsInNamespace(nsId: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const id = await readlink(`/proc/${name}/ns/pid`).catch(() => undefined);
    if (id === nsId) pids.push(Number(name));
  }
  return pids;
}

beforeAll(async () => {
  binary = buildLauncher();
  launcher = new NativeLauncher({ path: binary, processes });
  dir = await mkdtemp(join(tmpdir(), 'vzkit-launcher-'));
});

afterEach(async () => {
  for (const pid of started.splice(0)) {
    await processes.signal(pid, 'SIGKILL');
    expect(await processes.waitExit(pid, 5000)).toBe(true);
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('launcher start', () => {
  it('clones init into new namespaces, runs the ops and leaves no launcher behind', async () => {
    let attached = 0;
    const { pid, startTime } = await startVe(sleeper([{ op: 'sethostname', name: 'vzkit-it' }]), async (p) => {
      attached = p;
    });
    expect(pid).toBe(attached);
    expect(await processes.alive(pid, startTime)).toBe(true);
    for (const ns of NS) {
      expect(await processes.namespaceId(pid, ns)).not.toBe(await processes.namespaceId(process.pid, ns));
    }
    const stat = await processes.stat(pid);
    expect(stat?.comm).toBe('sleep');
    // The launcher was init's parent and has exited: init is reparented.
    expect(stat?.ppid).not.toBe(process.pid);
    expect(await processes.alive(stat!.ppid)).toBe(true);
    expect((await readFile(`/proc/${stat!.ppid}/cmdline`, 'utf8')).includes('vzlaunch')).toBe(false);
  });

  it('gives init /dev/null as stdin and the console file as stdout/stderr', async () => {
    const console = join(dir, 'console.log');
    const spec: LaunchSpec = {
      ...sleeper(),
      console,
      init: { argv: ['/bin/sh', '-c', 'echo "out $(readlink /proc/self/fd/0)"; echo err >&2; exec sleep 60'], env: ENV, cwd: '/tmp' },
    };
    const { pid } = await startVe(spec);
    await expect.poll(() => readFile(console, 'utf8').catch(() => ''), { timeout: 5000 }).toBe('out /dev/null\nerr\n');
    expect(await readlink(`/proc/${pid}/cwd`)).toBe('/tmp');
    // The shell's own descriptors (a command substitution's pipe) go with its exec of sleep.
    await expect.poll(() => readFile(`/proc/${pid}/comm`, 'utf8'), { timeout: 5000 }).toBe('sleep\n');
    expect((await readdir(`/proc/${pid}/fd`)).sort()).toEqual(['0', '1', '2']);
    // Nothing of Node's or the launcher's signal state leaks into init.
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const mask = (name: string) => status.match(new RegExp(`^${name}:\\s+([0-9a-f]+)$`, 'm'))?.[1];
    expect(mask('SigBlk')).toMatch(/^0+$/);
    expect(mask('SigIgn')).toMatch(/^0+$/);
  });

  it('rejects a failing op with the op named and leaves no process behind', async () => {
    let attached = 0;
    const spec = sleeper([
      { op: 'sethostname', name: 'ok' },
      { op: 'mount', source: join(dir, 'no-such-source'), target: dir, fstype: '', flags: ['bind'] },
    ]);
    const err = await rejection(
      launcher.start(spec, async (pid) => {
        attached = pid;
      }),
    );
    expect(err.code).toBe('ENV_CREATE');
    expect(err.errno).toBe('ENOENT');
    expect(err.message).toContain('CT 9001');
    expect(err.message).toContain(`op #1 mount ${join(dir, 'no-such-source')} on ${dir}`);
    expect(attached).toBeGreaterThan(0);
    expect(await processes.alive(attached)).toBe(false);
  });

  it('rejects an exec failure of init', async () => {
    const err = await rejection(startVe({ ...sleeper(), init: { argv: ['/no/such/init'], env: ENV, cwd: '/' } }));
    expect(err.code).toBe('ENV_CREATE');
    expect(err.errno).toBe('ENOENT');
    expect(err.message).toMatch(/exec \/no\/such\/init/);
  });

  it('kills init and rethrows when attach fails', async () => {
    let attached = 0;
    const boom = new Error('attach failed');
    await expect(
      launcher.start(sleeper(), async (pid) => {
        attached = pid;
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await processes.alive(attached)).toBe(false);
  });

  it('kills init when Node closes the pipe before go', async () => {
    const ch = await LauncherChannel.open(binary, 'start', ['ignore', 'ignore', 'pipe']);
    ch.send(encodeStartSpec(sleeper()));
    const reply = await ch.next();
    expect(reply?.kind).toBe('pid');
    const pid = (reply as { pid: number }).pid;
    expect(await processes.alive(pid)).toBe(true);
    ch.closeControl();
    const exit = await ch.exited;
    expect(exit.code).toBe(1);
    expect(await processes.alive(pid)).toBe(false);
  });

  it('kills init when the launcher itself dies before go', async () => {
    const ch = await LauncherChannel.open(binary, 'start', ['ignore', 'ignore', 'pipe']);
    ch.send(encodeStartSpec(sleeper()));
    const reply = await ch.next();
    const pid = (reply as { pid: number }).pid;
    ch.child!.kill('SIGKILL');
    await ch.exited;
    expect(await processes.waitExit(pid, 5000)).toBe(true);
  });

  it("runs from a sealed memfd copy of itself: a process in the VE before exec shows no host file as its program", async () => {
    let exe = '';
    let exeIno = 0;
    await startVe(sleeper(), async (p) => {
      // Init waits on the handshake here: it is still the launcher's child.
      exe = await readlink(`/proc/${p}/exe`);
      exeIno = (await stat(`/proc/${p}/exe`)).ino;
    });
    expect(exe).toBe('/memfd:vzlaunch (deleted)');
    expect(exeIno).not.toBe((await stat(binary)).ino);
  });

  it('writes uid/gid maps before go: init runs as the mapped root', async () => {
    const map = [{ inside: 0, outside: 200000, count: 65536 }];
    const { pid } = await startVe({ ...sleeper(), namespaces: ['user', ...NS], uidMap: map, gidMap: map });
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    expect(status).toMatch(/^Uid:\s+200000\s+200000\s+200000\s+200000$/m);
    expect(status).toMatch(/^Gid:\s+200000\s+200000/m);
    expect(await readFile(`/proc/${pid}/uid_map`, 'utf8')).toMatch(/^\s*0\s+200000\s+65536$/m);
    const r = await launcher.exec({ pid, namespaces: ['user', ...NS], argv: ['id', '-u'], env: ENV, stdio: 'pipe' });
    expect(r.stdout).toBe('0\n');
  });
});

describe('launcher idmap', () => {
  const map = [{ inside: 0, outside: 200000, count: 65536 }];
  const mounted: string[] = [];
  afterEach(async () => {
    for (const m of mounted.splice(0)) umount2(m, MNT_DETACH);
  });

  it("shows a root-owned tree as the mapped root's, read-only, without changing it", async () => {
    const src = join(dir, 'idmap-src');
    const dst = join(dir, 'idmap-dst');
    await mkdir(join(src, 'etc'), { recursive: true });
    await writeFile(join(src, 'etc/motd'), 'hi\n');
    await mkdir(dst);
    await launcher.bindIdmapped({ source: src, target: dst, uidMap: map, gidMap: map, readOnly: true });
    mounted.push(dst);
    expect(await stat(join(dst, 'etc/motd'))).toMatchObject({ uid: 200000, gid: 200000 });
    expect(await readFile(join(dst, 'etc/motd'), 'utf8')).toBe('hi\n');
    expect((await stat(join(src, 'etc/motd'))).uid).toBe(0);
    await expect(writeFile(join(dst, 'etc/x'), '')).rejects.toMatchObject({ code: 'EROFS' });
  });

  it('a source whose filesystem cannot be idmapped (overlayfs): UNSUPPORTED, nothing mounted', async () => {
    const base = join(dir, 'ovl');
    for (const d of ['lower', 'upper', 'work', 'merged', 'dst']) await mkdir(join(base, d), { recursive: true });
    mount('overlay', join(base, 'merged'), 'overlay', 0, `lowerdir=${base}/lower,upperdir=${base}/upper,workdir=${base}/work`);
    try {
      const e = await rejection(launcher.bindIdmapped({ source: join(base, 'merged'), target: join(base, 'dst'), uidMap: map, gidMap: map }));
      expect(e).toMatchObject({ code: 'UNSUPPORTED', errno: 'EINVAL' });
      expect(e.message).toMatch(/^idmapped mount of .*merged on .*dst: mount_setattr: EINVAL/);
      expect((await readFile('/proc/self/mountinfo', 'utf8')).includes(join(base, 'dst'))).toBe(false);
    } finally {
      umount2(join(base, 'merged'), 0);
    }
  });
});

describe('launcher exec', () => {
  let pid: number;
  const exec = (argv: string[], more: Partial<Parameters<NativeLauncher['exec']>[0]> = {}) =>
    launcher.exec({ pid, namespaces: NS, argv, env: ENV, stdio: 'pipe', ...more });

  beforeAll(async () => {
    pid = (await launcher.start(sleeper([{ op: 'sethostname', name: 'vzkit-exec' }]), async () => {})).pid;
  });

  afterAll(async () => {
    await processes.signal(pid, 'SIGKILL');
    await processes.waitExit(pid, 5000);
  });

  it('runs in the VE: its hostname and its pid namespace', async () => {
    expect(await exec(['hostname'])).toEqual({ code: 0, stdout: 'vzkit-exec\n', stderr: '' });
    const ns = await exec(['readlink', '/proc/self/ns/pid']);
    expect(ns.stdout!.trim()).toBe(await processes.namespaceId(pid, 'pid'));
    // pids inside are small: init is 1.
    const self = await exec(['sh', '-c', 'echo $$']);
    expect(Number(self.stdout)).toBeGreaterThan(1);
    expect(Number(self.stdout)).toBeLessThan(1000);
  });

  it('passes input, cwd and the exit status; 128+N for a signal', async () => {
    expect((await exec(['cat'], { input: 'hello' })).stdout).toBe('hello');
    expect((await exec(['pwd'], { cwd: '/usr' })).stdout).toBe('/usr\n');
    expect((await exec(['sh', '-c', 'echo oops >&2; exit 7'])).code).toBe(7);
    const killed = await exec(['sh', '-c', 'kill -TERM $$']);
    expect(killed.code).toBe(143);
    expect(killed.signal).toBe('SIGTERM');
  });

  it('fails with EXEC_FAILED for a command that does not exist', async () => {
    const err = await rejection(exec(['no-such-command-vzkit']));
    expect(err.code).toBe('EXEC_FAILED');
    expect(err.errno).toBe('ENOENT');
  });

  it('fails when the VE is gone', async () => {
    const err = await rejection(launcher.exec({ pid: 0x3fffffff, namespaces: NS, argv: ['true'], env: ENV, stdio: 'pipe' }));
    expect(err.code).toBe('EXEC_FAILED');
    expect(err.message).toMatch(/open-ns/);
  });

  it('kills the command on timeout', async () => {
    const ns = (await processes.namespaceId(pid, 'pid'))!;
    const err = await rejection(exec(['sleep', '30'], { timeoutMs: 300 }));
    expect(err.code).toBe('EXEC_TIMEOUT');
    await expect.poll(async () => (await pidsInNamespace(ns)).filter((p) => p !== pid), { timeout: 5000 }).toEqual([]);
  });

  it('allocates a terminal inside the VE with tty', async () => {
    const r = await exec(['sh'], { tty: true, input: 'tty; exit 3\n' });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
  });

  it('puts the command into the Landlock domain of a landlock op: it cannot mount', async () => {
    const mnt = await exec(['sh', '-c', 'mount -t tmpfs none /tmp 2>&1; echo rc=$?'], { ops: [{ op: 'landlock' }] });
    expect(mnt.stdout).toMatch(/rc=[1-9]/);
    expect(mnt.stdout).toMatch(/permission denied|not permitted/i);
    // Without the op the same command mounts (and the mount is the VE's alone).
    expect((await exec(['sh', '-c', 'mount -t tmpfs none /mnt && umount /mnt && echo ok'])).stdout).toBe('ok\n');
  });

  it('makes its setup ops itself inside the VE, before the restrictions: a remount that the command could not make', async () => {
    const shm = join(dir, 'own-shm');
    await mkdir(shm, { recursive: true });
    const ve = (await launcher.start(sleeper([{ op: 'mount', source: 'tmpfs', target: shm, fstype: 'tmpfs', flags: [], data: 'size=1m' }]), async (p) => void started.push(p))).pid;
    const look = ['sh', '-c', `grep ' ${shm} ' /proc/mounts; mount -o remount,size=3m ${shm} 2>&1 || echo refused`];
    const r = await launcher.exec({
      pid: ve, namespaces: NS, argv: look, env: ENV, stdio: 'pipe', ops: [{ op: 'landlock' }],
      setup: [{ op: 'mount', source: 'tmpfs', target: shm, fstype: 'tmpfs', flags: ['remount'], data: 'size=2m' }],
    });
    expect(r.stdout).toMatch(/size=2048k/);
    expect(r.stdout).toMatch(/refused/);
    // The host never saw that tmpfs.
    expect(await readFile('/proc/self/mountinfo', 'utf8')).not.toContain(` ${shm} `);
  });

  it('still relays once it holds no more than the VE: forwards a signal to the command and reports its exit', async () => {
    const ch = await LauncherChannel.open(binary, 'exec', ['pipe', 'pipe', 'pipe']);
    ch.send(encodeJoinSpec({
      pid, namespaces: NS, cgroupProcs: [], capDrop: [19, 21], ops: [{ op: 'landlock' }, { op: 'seccomp', deny: ['bpf'] }],
      argv: ['sh', '-c', 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done'], env: ENV, tty: false,
    }));
    ch.closeControl();
    let out = '';
    ch.child!.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    expect(await ch.next()).toMatchObject({ kind: 'started' });
    await expect.poll(() => out, { timeout: 5000 }).toMatch(/ready/);
    ch.child!.kill('SIGTERM');
    expect(await ch.next()).toEqual({ kind: 'exit', code: 7, signal: 0 });
    expect((await ch.exited).code).toBe(7);
    expect(out).toMatch(/got TERM/);
  });

  it('drops from the command the capabilities init lacks', async () => {
    const ve = (await launcher.start(sleeper([{ op: 'capDrop', caps: [21] }]), async (p) => void started.push(p))).pid;
    const r = await launcher.exec({ pid: ve, namespaces: NS, argv: ['grep', 'CapBnd', '/proc/self/status'], env: ENV, stdio: 'pipe' });
    const bnd = BigInt(`0x${r.stdout!.split(/\s+/)[1]}`);
    expect((bnd >> 21n) & 1n).toBe(0n);
    expect((bnd >> 0n) & 1n).toBe(1n);
  });

  it('a seccomp rule on argument values refuses a call only with those values, in init and in every exec given the op', async () => {
    const op = {
      op: 'seccomp' as const,
      deny: [],
      rules: [
        { call: 'socket', errno: 'EPERM' as const, when: [{ arg: 0, equals: 16 }, { arg: 2, equals: 12 }] },
        { call: 'setsockopt', errno: 'EPERM' as const, when: [{ arg: 1, equals: 0 }, { arg: 2, equals: 64 }] },
      ],
    };
    const ve = (await launcher.start(sleeper([op], { namespaces: [...NS, 'net'] }), async (p) => void started.push(p))).pid;
    expect((await readFile(`/proc/${ve}/status`, 'utf8')).match(/^Seccomp_filters:\s+(\d+)$/m)?.[1]).toBe('1');
    const py = [
      'import socket',
      'def attempt(what, fn):',
      '    try:',
      '        fn(); print(what, "ok")',
      '    except OSError as e:',
      '        print(what, e.errno)',
      'raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)',
      'attempt("replace", lambda: raw.setsockopt(0, 64, bytes(8)))',
      'attempt("tos", lambda: raw.setsockopt(0, 1, 16))',
      'attempt("nfnetlink", lambda: socket.socket(16, socket.SOCK_RAW, 12))',
      'attempt("rtnetlink", lambda: socket.socket(16, socket.SOCK_RAW, 0))',
    ].join('\n');
    const r = await launcher.exec({ pid: ve, namespaces: [...NS, 'net'], argv: ['/usr/bin/python3', '-c', py], env: ENV, stdio: 'pipe', ops: [op] });
    // EPERM (1) where the filter matches; EINVAL (22) is the kernel's own answer to a bogus table.
    expect(r.stdout).toBe('replace 1\ntos ok\nnfnetlink 1\nrtnetlink ok\n');
  });
});
