import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, definePlugin, resolvePaths, type Runtime, type VzPaths } from '@vzkit/core';
import { failure, FakeHost, userNamespaceStandIn } from '@vzkit/fake-host';
import { templatePlugin } from '@vzkit/template';
import { nsFsPlugin } from '../src/index.js';

const CTID = 101;
let tmp: string;
let paths: VzPaths;
let fake: FakeHost;
let rt: Runtime;

/** The other namespaces a VE has (a user namespace when LOCAL_UID is set: the stand-in's). */
const others = definePlugin({
  name: 'test-namespaces',
  hooks: {
    async prepare(_ctx, plan) {
      plan.namespaces.add('pid').add('net');
    },
  },
});

async function created(values: Record<string, string> = {}): Promise<void> {
  await rt.create(CTID, { ostemplate: 'busybox', values: new Map(Object.entries(values)) });
  await mkdir(join(paths.private, String(CTID)), { recursive: true });
}

function runtime(opts: ConstructorParameters<typeof FakeHost>[0] = {}): void {
  fake = new FakeHost(opts);
  fake.fs.seed('/bin/busybox', '\x7fELF busybox\0', { mode: 0o755 });
  rt = createRuntime({ host: fake, plugins: [templatePlugin, userNamespaceStandIn, nsFsPlugin, others], paths });
}

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vzkit-nsfs-feat-'));
  paths = resolvePaths(tmp);
  runtime();
});

afterEach(async () => {
  for (const ctid of await rt.ctids()) if ((await rt.status(ctid)).running) await rt.stop(ctid, { fast: true });
  await rm(tmp, { recursive: true, force: true });
});

describe('FEATURES sysfs', () => {
  it('off: no /sys in the VE (and nothing mounted below it); on by default', async () => {
    await created({ FEATURES: 'sysfs:off' });
    const pid = await rt.start(CTID);
    expect(fake.process(pid)!.mounts.filter((m) => m.target === '/sys' || m.target.startsWith('/sys/'))).toEqual([]);
    await rt.stop(CTID, { fast: true });
    await rt.set(CTID, [{ flag: 'features', arg: 'sysfs:on' }], { save: true });
    const again = await rt.start(CTID);
    expect(fake.process(again)!.mounts.find((m) => m.target === '/sys')?.fstype).toBe('sysfs');
  });
});

describe('FEATURES nfs and nfsd', () => {
  it('nfs:on for a VE of the host root where the kernel has an NFS client; off cannot be had there', async () => {
    runtime({ kernelConfig: { CONFIG_NFS_FS: 'm' } });
    await created({ FEATURES: 'nfs:on' });
    expect((await failure(rt.set(CTID, [{ flag: 'features', arg: 'nfs:off' }], { save: true }))).message)
      .toMatch(/^CT 101: FEATURES nfs:off: the root of a VE without a user namespace holds CAP_SYS_ADMIN and mounts NFS/);
  });

  it('nfs:on is refused without a client in the kernel, and in a user namespace; off is the truth there', async () => {
    runtime({ kernelConfig: { CONFIG_BRIDGE: 'y' } });
    expect((await failure(rt.create(CTID, { ostemplate: 'busybox', values: new Map([['FEATURES', 'nfs:on']]) }))).message)
      .toBe('CT 101: FEATURES nfs:on: the host kernel has no NFS client (CONFIG_NFS_FS)');
    await created({ LOCAL_UID: '100000', FEATURES: 'nfs:off' });
    expect(await failure(rt.set(CTID, [{ flag: 'features', arg: 'nfs:on' }], { save: true })))
      .toMatchObject({ code: 'UNSUPPORTED', message: 'CT 101: FEATURES nfs:on: the kernel lets no user namespace mount NFS, and this VE has one (LOCAL_UID)' });
  });

  it('nfsd:on is refused with the reason for this VE', async () => {
    runtime({ kernelConfig: { CONFIG_NFSD: 'm' } });
    await created();
    expect((await failure(rt.set(CTID, [{ flag: 'features', arg: 'nfsd:on' }], { save: true }))).message)
      .toBe("CT 101: FEATURES nfsd:on: the VE's root is an overlay mounted without nfs_export, which the kernel NFS server cannot export");
    await rt.set(CTID, [{ flag: 'features', arg: 'nfsd:off' }], { save: true });
  });
});
