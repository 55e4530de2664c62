import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, definePlugin, resolvePaths, type Runtime, type VzPaths } from '@vzkit/core';
import { FakeHost, userNamespaceStandIn } from '@vzkit/fake-host';
import { templatePlugin } from '@vzkit/template';
import { nsFsPlugin } from '../src/index.js';

const CTID = 101;
let tmp: string;
let paths: VzPaths;
let fake: FakeHost;
let rt: Runtime;
let priv: string;
let root: string;

/** Namespaces other plugins would add (pid, ipc, uts with its /proc/sys key). */
const otherNamespaces = definePlugin({
  name: 'test-namespaces',
  hooks: {
    async prepare(_ctx, plan) {
      plan.namespaces.add('pid').add('ipc').add('uts');
      plan.writableProcSys.add('kernel/hostname');
    },
  },
});

function runtime(plugins = [templatePlugin, nsFsPlugin, otherNamespaces]): Runtime {
  return createRuntime({ host: fake, plugins, paths });
}

/**
 * The core checks VE_PRIVATE with node:fs (not through the Host), so a private area that
 * exists only in the fake needs a real twin for start and mount to go ahead.
 */
async function mirrorPrivate(): Promise<void> {
  await mkdir(priv, { recursive: true });
}

async function created(): Promise<void> {
  await rt.create(CTID, { ostemplate: 'busybox' });
  await mirrorPrivate();
}

/** Mount points at or below `dir` in the host's mount namespace. */
function hostMountsUnder(dir: string): string[] {
  return fake.hostMounts().map((m) => m.target).filter((t) => t === dir || t.startsWith(`${dir}/`));
}

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vzkit-nsfs-'));
  paths = resolvePaths(tmp);
  priv = join(paths.private, String(CTID));
  root = join(paths.root, String(CTID));
  fake = new FakeHost();
  fake.fs.seed('/bin/busybox', '\x7fELF busybox\0', { mode: 0o755 });
  rt = runtime();
});

afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('create and destroy', () => {
  it('create makes the private area: VE_PRIVATE 0700, fs 0755, work 0700', async () => {
    await rt.create(CTID, { ostemplate: 'busybox' });
    expect((await fake.fs.stat(priv))?.mode).toBe(0o700);
    expect(await fake.fs.stat(join(priv, 'fs'))).toMatchObject({ type: 'dir', mode: 0o755 });
    expect(await fake.fs.stat(join(priv, 'work'))).toMatchObject({ type: 'dir', mode: 0o700 });
    expect(fake.fs.tree(join(priv, 'fs'))).toEqual([]);
  });

  it('destroy removes VE_PRIVATE and the empty VE_ROOT; a second run finds nothing to do', async () => {
    await created();
    await rt.mount(CTID);
    await rt.umount(CTID);
    expect(await fake.fs.exists(root)).toBe(true);
    await rt.destroy(CTID);
    expect(await fake.fs.exists(priv)).toBe(false);
    expect(await fake.fs.exists(root)).toBe(false);
    await expect(nsFsPlugin.hooks.destroy!(hookContext())).resolves.toBeUndefined();
  });

  it('destroy of a mounted VE unmounts it first and removes everything', async () => {
    await created();
    await rt.mount(CTID);
    await rt.destroy(CTID);
    expect(hostMountsUnder(tmp)).toEqual([]);
    expect(await fake.fs.exists(priv)).toBe(false);
  });

  it('destroy refuses to remove the private area under a root that is still mounted', async () => {
    await created();
    await rt.mount(CTID);
    await expect(nsFsPlugin.hooks.destroy!(hookContext())).rejects.toMatchObject({ code: 'MOUNTED' });
    expect(await fake.fs.exists(join(priv, 'fs'))).toBe(true);
    await rt.umount(CTID);
  });
});

/** The context a hook gets, for calling one hook outside an operation (idempotency checks). */
function hookContext(): Parameters<NonNullable<typeof nsFsPlugin.hooks.destroy>>[0] {
  return {
    ve: {
      ctid: CTID,
      label: `CT ${CTID}`,
      config: { get: () => undefined, has: () => false, raw: () => undefined },
      paths: { prefix: '', conf: '', private: priv, root, runDir: '', state: '', lock: '', template: paths.template },
      cgroup: '',
      initPid: undefined,
      idmap: undefined,
    },
    host: fake,
    slot: { get: () => undefined, set() {} },
    state: { get: () => undefined, async set() {}, async clear() {} },
    scratch: { read: async () => undefined, async write() {} },
    log: { info() {}, warn() {}, debug() {} },
    events: rt.events,
    service() {
      throw new Error('no services');
    },
    optionalService: () => undefined,
    others: async () => [],
    exec() {
      throw new Error('no exec');
    },
  };
}

describe('the root on the host', () => {
  it('mount puts an overlay of the template and VE_PRIVATE/fs at VE_ROOT, with relative layer paths', async () => {
    await created();
    await rt.mount(CTID);
    const m = fake.hostMounts().find((e) => e.target === root);
    expect(m?.fstype).toBe('overlay');
    expect(m?.options).toContain(`lowerdir=template/busybox,upperdir=private/${CTID}/fs,workdir=private/${CTID}/work`);
    expect(m?.options).not.toContain(tmp);
    expect(fake.fs.read(join(root, 'etc/inittab'))).toContain('::sysinit:/etc/init.d/rcS');
  });

  it('a file written through VE_ROOT lands in VE_PRIVATE/fs, the template stays as it was', async () => {
    await created();
    await rt.mount(CTID);
    await fake.fs.writeFile(join(root, 'etc/motd'), 'hello\n');
    await fake.fs.writeFile(join(root, 'etc/hostname'), 'ct101\n');
    expect(fake.fs.read(join(priv, 'fs/etc/motd'))).toBe('hello\n');
    expect(fake.fs.read(join(priv, 'fs/etc/hostname'))).toBe('ct101\n');
    expect(fake.fs.read(join(paths.template, 'busybox/etc/hostname'))).toBe('localhost\n');
    expect(await fake.fs.exists(join(paths.template, 'busybox/etc/motd'))).toBe(false);
  });

  it('umount leaves nothing mounted and is idempotent', async () => {
    await created();
    await rt.mount(CTID);
    await rt.umount(CTID);
    expect(hostMountsUnder(tmp)).toEqual([]);
    await expect(rt.umount(CTID)).rejects.toMatchObject({ code: 'NOT_MOUNTED' });
    // The hook itself, with nothing recorded and nothing mounted, has nothing to do.
    await expect(nsFsPlugin.hooks.umount!(hookContext())).resolves.toBeUndefined();
  });

  it('a failing overlay mount leaves no mount and no state', async () => {
    await created();
    fake.failNext('mount', 'EINVAL', { path: root });
    await expect(rt.start(CTID)).rejects.toMatchObject({ errno: 'EINVAL' });
    expect(hostMountsUnder(tmp)).toEqual([]);
    expect(existsSync(join(paths.run, String(CTID), 'state.json'))).toBe(false);
    expect(await rt.status(CTID)).toMatchObject({ running: false, mounted: false });
    // Nothing stuck: the next start works.
    await rt.start(CTID);
    await rt.stop(CTID, { fast: true });
  });

  it('a template that lost its stamp stops the mount with TEMPLATE_NOT_FOUND', async () => {
    await created();
    await fake.fs.remove(join(paths.template, 'busybox/.vzkit-template'));
    await expect(rt.mount(CTID)).rejects.toMatchObject({ code: 'TEMPLATE_NOT_FOUND', exit: 91 });
    expect(hostMountsUnder(tmp)).toEqual([]);
  });
});

describe('a running VE', () => {
  it("runs init in its own mount namespace, pivoted into VE_ROOT, with /proc, /sys and /dev", async () => {
    await created();
    const pid = await rt.start(CTID);
    const init = fake.process(pid)!;
    expect(init.root).toBe(root);
    expect(init.namespaces.mnt).not.toBe(fake.process(fake.selfPid)!.namespaces.mnt);
    const byTarget = new Map(init.mounts.map((m) => [m.target, m]));
    expect(byTarget.get('/')?.fstype).toBe('overlay');
    expect(byTarget.get('/proc')?.fstype).toBe('proc');
    expect(byTarget.get('/sys')).toMatchObject({ fstype: 'sysfs', options: expect.stringMatching(/^ro\b/) });
    expect(byTarget.get('/dev')?.fstype).toBe('tmpfs');
    expect(byTarget.get('/dev/pts')?.fstype).toBe('devpts');
    expect(byTarget.get('/dev/shm')?.fstype).toBe('tmpfs');
    expect(byTarget.get('/dev/mqueue')?.fstype).toBe('mqueue');
    expect(byTarget.get('/proc/sys')?.options).toMatch(/^ro\b/);
    expect(byTarget.get('/proc/sys/kernel/hostname')?.options).toMatch(/^rw\b/);
    // Nothing of the host is left in its table.
    expect(init.mounts.map((m) => m.target).filter((t) => t.startsWith(tmp))).toEqual([]);

    const inside = fake.fsOf(pid);
    expect(inside.tree('/dev', { xdev: true })).toEqual(expect.arrayContaining([
      'null c 1:3', 'zero c 1:5', 'full c 1:7', 'random c 1:8', 'urandom c 1:9', 'tty c 5:0',
      'fd -> /proc/self/fd', 'stdin -> /proc/self/fd/0', 'ptmx -> pts/ptmx', 'console c 1:3', 'pts/', 'shm/', 'mqueue/',
    ]));
    await inside.writeFile('/root/note', 'from inside\n');
    expect(fake.fs.read(join(priv, 'fs/root/note'))).toBe('from inside\n');
    await inside.writeFile('/proc/sys/kernel/hostname', 've101');
    expect(fake.process(pid)!.hostname).toBe('ve101');
    await expect(inside.writeFile('/proc/sys/vm/swappiness', '10')).rejects.toMatchObject({ code: 'EROFS' });
    await expect(inside.writeFile('/sys/kernel/x', '1')).rejects.toMatchObject({ code: 'EROFS' });
  });

  it('stop unmounts the root; stop --skip-umount style keeps it mounted for the next start', async () => {
    await created();
    await rt.start(CTID);
    await rt.stop(CTID, { fast: true });
    expect(hostMountsUnder(tmp)).toEqual([]);

    await rt.start(CTID);
    await rt.stop(CTID, { fast: true, skipUmount: true });
    expect(hostMountsUnder(tmp)).toEqual([root]);
    await rt.start(CTID);
    await rt.stop(CTID, { fast: true });
    expect(hostMountsUnder(tmp)).toEqual([]);
  });

  it('without an IPC namespace there is no mqueue mount', async () => {
    const noIpc = definePlugin({ name: 'test-pid-only', hooks: { async prepare(_c, plan) { plan.namespaces.add('pid'); } } });
    rt = runtime([templatePlugin, nsFsPlugin, noIpc]);
    await created();
    const pid = await rt.start(CTID);
    const targets = fake.process(pid)!.mounts.map((m) => m.target);
    expect(targets).toContain('/dev/shm');
    expect(targets).not.toContain('/dev/mqueue');
    expect(targets).not.toContain('/proc/sys/kernel/hostname');
    await rt.stop(CTID, { fast: true });
  });

  it('a failing child mount undoes the start: no mount left on the host', async () => {
    await created();
    fake.failNext('op:mount', 'ENOMEM', { path: join(root, 'dev/pts') });
    await expect(rt.start(CTID)).rejects.toMatchObject({ code: 'ENV_CREATE' });
    expect(hostMountsUnder(tmp)).toEqual([]);
    expect(existsSync(join(paths.run, String(CTID), 'state.json'))).toBe(false);
  });
});

/** The other namespaces of a user-namespaced VE; `net` adds a network namespace. */
const userns = (net: boolean) => definePlugin({
  name: 'test-namespaces',
  hooks: {
    async prepare(_ctx, plan) {
      plan.namespaces.add('pid').add('ipc');
      if (net) plan.namespaces.add('net');
    },
  },
});

describe('a user-namespaced VE (LOCAL_UID)', () => {
  async function createdUserns(net = true): Promise<void> {
    rt = runtime([templatePlugin, userNamespaceStandIn, nsFsPlugin, userns(net)]);
    await rt.create(CTID, { ostemplate: 'busybox', values: new Map([['LOCAL_UID', '100000']]) });
    await mirrorPrivate();
  }

  it("create gives the VE's / (VE_PRIVATE/fs) to the VE's root", async () => {
    await createdUserns();
    expect(await fake.fs.stat(join(priv, 'fs'))).toMatchObject({ uid: 100000, gid: 100000, mode: 0o755 });
  });

  it('mount shows the template through an idmapped bind under the overlay, then detaches the bind', async () => {
    await createdUserns();
    await rt.mount(CTID);
    const m = fake.hostMounts().find((e) => e.target === root);
    expect(m?.options).toContain('lowerdir=template,upperdir=fs,workdir=work');
    expect(fake.fs.read(join(root, 'etc/inittab'))).toContain('::sysinit:/etc/init.d/rcS');
    expect(hostMountsUnder(tmp)).toEqual([root]);
    await rt.umount(CTID);
    expect(hostMountsUnder(tmp)).toEqual([]);
  });

  it("starts without mknod (refused in a user namespace): the host's nodes are bound; sysfs is its own with a network namespace", async () => {
    await createdUserns();
    const pid = await rt.start(CTID);
    const init = fake.process(pid)!;
    expect(init.uidMap).toEqual([{ inside: 0, outside: 100000, count: 65536 }]);
    const byTarget = new Map(init.mounts.map((m) => [m.target, m]));
    expect(byTarget.get('/sys')?.fstype).toBe('sysfs');
    for (const dev of ['null', 'zero', 'full', 'random', 'urandom', 'tty']) expect(byTarget.get(`/dev/${dev}`)?.fstype).toBe('devtmpfs');
    expect(fake.fsOf(pid).tree('/dev', { xdev: true })).toEqual(expect.arrayContaining(['null c 1:3', 'tty c 5:0']));
    await rt.stop(CTID, { fast: true });
    expect(hostMountsUnder(tmp)).toEqual([]);
  });

  it("on the host's network, /sys is the host's bound read-only (a fresh sysfs would be refused)", async () => {
    await createdUserns(false);
    const pid = await rt.start(CTID);
    const sys = fake.process(pid)!.mounts.find((m) => m.target === '/sys');
    expect(sys).toMatchObject({ fstype: 'sysfs', options: expect.stringMatching(/^ro\b/) });
    await expect(fake.fsOf(pid).writeFile('/sys/kernel/x', '1')).rejects.toMatchObject({ code: 'EROFS' });
    await rt.stop(CTID, { fast: true });
  });

  it('a kernel or template filesystem without idmapped mounts: UNSUPPORTED naming the CT, nothing left mounted', async () => {
    fake = new FakeHost({ idmappedMounts: false });
    fake.fs.seed('/bin/busybox', '\x7fELF busybox\0', { mode: 0o755 });
    await createdUserns();
    await expect(rt.start(CTID)).rejects.toMatchObject({ code: 'UNSUPPORTED', message: /^CT 101: LOCAL_UID: the template .* cannot be shown through an idmapped mount/ });
    expect(hostMountsUnder(tmp)).toEqual([]);
    expect(existsSync(join(paths.run, String(CTID), 'state.json'))).toBe(false);
  });

  it('a private area that belongs to another range is refused, not shown as nobody', async () => {
    await createdUserns();
    await fake.fs.chown(join(priv, 'fs'), 0, 0);
    await expect(rt.mount(CTID)).rejects.toMatchObject({ code: 'BAD_CONFIG', message: /^CT 101: LOCAL_UID is 100000, but the VE's files .* belong to host uid 0$/ });
    expect(hostMountsUnder(tmp)).toEqual([]);
  });

  it("a directory above VE_ROOT the VE's root cannot pass: PERMISSION naming it, before anything starts", async () => {
    await createdUserns();
    await fake.fs.chmod(paths.lib, 0o700);
    await expect(rt.start(CTID)).rejects.toMatchObject({
      code: 'PERMISSION', message: `CT 101: LOCAL_UID: the VE's root (host uid 100000) cannot reach ${root}: ${paths.lib} (mode 0700) is not searchable by it`,
    });
    expect(hostMountsUnder(tmp)).toEqual([]);
    await fake.fs.chown(paths.lib, 100000, 0);
    await rt.start(CTID);
    await rt.stop(CTID, { fast: true });
  });

  it('a mount killed after the idmapped bind is cleaned up by the next umount', async () => {
    await createdUserns();
    fake.failNext('mount', 'ENOMEM', { path: root });
    await expect(rt.mount(CTID)).rejects.toMatchObject({ code: 'MOUNT_FAILED' });
    expect(hostMountsUnder(tmp)).toEqual([]);
  });
});
