import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, definePlugin, resolvePaths, type Runtime, type VzPaths } from '@vzkit/core';
import { failure, FakeHost, userNamespaceStandIn } from '@vzkit/fake-host';
import { nsFsPlugin } from '@vzkit/ns-fs';
import { templatePlugin } from '@vzkit/template';
import { devicesPlugin } from '../src/index.js';

const CTID = 101;
const GROUP = 'vzkit/101';
let tmp: string;
let paths: VzPaths;
let fake: FakeHost;
let rt: Runtime;
let warnings: string[];

/** A user-namespaced VE has a network namespace too (ns-net's part, for sysfs). */
const netns = definePlugin({
  name: 'test-netns',
  hooks: {
    async prepare(ctx, plan) {
      if (ctx.ve.idmap) plan.namespaces.add('net');
    },
  },
});

async function created(values: Record<string, string> = {}): Promise<void> {
  await rt.create(CTID, { ostemplate: 'busybox', values: new Map(Object.entries(values)) });
  // The core checks VE_PRIVATE with node:fs: the fake's private area needs a real twin.
  await mkdir(join(paths.private, String(CTID)), { recursive: true });
}

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vzkit-devnodes-'));
  paths = resolvePaths(tmp);
  fake = new FakeHost();
  fake.fs.seed('/bin/busybox', '\x7fELF busybox\0', { mode: 0o755 });
  fake.fs.seedDir('/dev/net');
  fake.fs.mknodSync('/dev/net/tun', 'c', 10, 200, 0o600);
  warnings = [];
  rt = createRuntime({
    host: fake, plugins: [templatePlugin, userNamespaceStandIn, nsFsPlugin, netns, devicesPlugin], paths,
    log: { info() {}, debug() {}, warn: (m) => warnings.push(m) },
  });
});

afterEach(async () => {
  for (const ctid of await rt.ctids()) if ((await rt.status(ctid)).running) await rt.stop(ctid, { fast: true });
  await rm(tmp, { recursive: true, force: true });
});

const granted = () => fake.cgroups.read(GROUP)?.devices?.allow.filter((r) => r.major === 10 && r.minor === 200);

describe('DEVNODES', () => {
  it('makes the host node inside (mknod, the host mode) and allows it, in a VE of the host root', async () => {
    await created({ DEVNODES: 'net/tun:rw' });
    const pid = await rt.start(CTID);
    expect(await fake.fsOf(pid).stat('/dev/net/tun')).toMatchObject({ type: 'char', mode: 0o600, rdev: { major: 10, minor: 200 } });
    // mknod, not a bind: nothing is mounted there.
    expect(fake.process(pid)!.mounts.some((m) => m.target === '/dev/net/tun')).toBe(false);
    expect(granted()).toEqual([{ type: 'c', major: 10, minor: 200, access: 'rw' }]);
  });

  it("binds the host's node in a user-namespaced VE (mknod is refused there) and warns that its mode keeps the VE's root out", async () => {
    await created({ DEVNODES: 'net/tun:rw', LOCAL_UID: '100000' });
    const pid = await rt.start(CTID);
    expect(fake.process(pid)!.mounts.find((m) => m.target === '/dev/net/tun')?.fstype).toBe('devtmpfs');
    expect(fake.fsOf(pid).tree('/dev/net', { xdev: false })).toEqual(['tun c 10:200']);
    expect(granted()).toEqual([{ type: 'c', major: 10, minor: 200, access: 'rw' }]);
    expect(warnings.join('\n')).toContain("DEVNODES net/tun: /dev/net/tun has mode 0600 on the host; an unprivileged VE sees the host's node and its root cannot read and write it");
  });

  it('--devnodes adds a node to the running VE at once, in both kinds of VE, and none takes the access away', async () => {
    for (const values of [{}, { LOCAL_UID: '100000' }] as Array<Record<string, string>>) {
      await created(values);
      const pid = await rt.start(CTID);
      expect(await fake.fsOf(pid).stat('/dev/net/tun')).toBeUndefined();
      await rt.set(CTID, [{ flag: 'devnodes', arg: 'net/tun:rw' }]);
      expect(await fake.fsOf(pid).stat('/dev/net/tun')).toMatchObject({ type: 'char', rdev: { major: 10, minor: 200 } });
      expect(granted()).toHaveLength(1);
      await rt.set(CTID, [{ flag: 'devnodes', arg: 'net/tun:none' }]);
      expect(granted()).toEqual([]);
      await rt.stop(CTID, { fast: true });
      await rt.destroy(CTID);
    }
  });

  it('edits merge by name and are saved as OpenVZ writes them', async () => {
    await created();
    await rt.set(CTID, [{ flag: 'devnodes', arg: 'net/tun:r' }, { flag: 'devnodes', arg: 'zero:rw' }, { flag: 'devnodes', arg: 'net/tun:rw' }], { save: true });
    expect((await rt.config(CTID)).raw('DEVNODES')).toBe('net/tun:rw zero:rw');
  });

  it('refuses a name that is no device on the host (exit 86), q, and .. in one line, changing nothing', async () => {
    await created();
    const pid = await rt.start(CTID);
    const missing = await failure(rt.set(CTID, [{ flag: 'devnodes', arg: 'nosuch:rw' }], { save: true }));
    expect(missing).toMatchObject({ code: 'SET_DEVICES', exit: 86, message: 'CT 101: DEVNODES nosuch: /dev/nosuch is missing on this host' });
    expect((await failure(rt.set(CTID, [{ flag: 'devnodes', arg: 'busybox/../../etc/passwd:rw' }]))).message).toMatch(/may not contain \. or \.\. components/);
    expect((await failure(rt.set(CTID, [{ flag: 'devnodes', arg: 'net/tun:rwq' }]))).message).toMatch(/q \(disk quota on the device\) is not offered/);
    expect((await rt.config(CTID)).raw('DEVNODES')).toBeUndefined();
    expect(await fake.fsOf(pid).stat('/dev/nosuch')).toBeUndefined();
  });
});

describe('FEATURES ppp', () => {
  it('gives the VE /dev/ppp where the host has PPP', async () => {
    fake.fs.mknodSync('/dev/ppp', 'c', 108, 0, 0o600);
    await created({ FEATURES: 'ppp:on' });
    const pid = await rt.start(CTID);
    expect(await fake.fsOf(pid).stat('/dev/ppp')).toMatchObject({ type: 'char', rdev: { major: 108, minor: 0 } });
    expect(fake.cgroups.read(GROUP)?.devices?.allow).toContainEqual({ type: 'c', major: 108, minor: 0, access: 'rw' });
  });

  it('is refused, naming why, on a kernel without PPP and on a host without /dev/ppp', async () => {
    await created();
    expect((await failure(rt.set(CTID, [{ flag: 'features', arg: 'ppp:on' }], { save: true }))))
      .toMatchObject({ code: 'UNSUPPORTED', message: 'CT 101: FEATURES ppp:on: the host has no /dev/ppp (load ppp_generic: modprobe ppp_generic)' });
    fake = new FakeHost({ kernelConfig: { CONFIG_TUN: 'y' } });
    rt = createRuntime({ host: fake, plugins: [templatePlugin, nsFsPlugin, devicesPlugin], paths });
    expect((await failure(rt.set(CTID, [{ flag: 'features', arg: 'ppp:on' }], { save: true }))).message)
      .toBe('CT 101: FEATURES ppp:on: the host kernel has no PPP driver (CONFIG_PPP)');
    expect((await rt.config(CTID)).raw('FEATURES')).toBeUndefined();
  });
});
