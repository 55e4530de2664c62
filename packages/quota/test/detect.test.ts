import { describe, expect, it } from 'vitest';
import { FakeHost } from '@vzkit/fake-host';
import { chooseBackend, kernelQuotaSupport, probePrivate } from '../src/index.js';

describe('kernel quota support (second level)', () => {
  it('a loaded quota_v2 module settles it', async () => {
    const fake = new FakeHost();
    await fake.fs.mkdir('/sys/module/quota_v2', { recursive: true });
    expect(await kernelQuotaSupport(fake)).toEqual({ ok: true, why: 'quota_v2 is loaded' });
  });

  it('the build options say no: CONFIG_QUOTA without CONFIG_QFMT_V2 (this project\'s hosts)', async () => {
    const fake = new FakeHost({ kernelConfig: { CONFIG_QUOTA: 'y', CONFIG_QUOTACTL: 'y' } });
    expect(await kernelQuotaSupport(fake)).toEqual({ ok: false, why: 'the kernel is built without CONFIG_QFMT_V2' });
    expect(await kernelQuotaSupport(new FakeHost({ kernelConfig: {} }))).toMatchObject({ ok: false, why: 'the kernel is built without CONFIG_QUOTA' });
  });

  it('a module the kernel can load counts (a stock Debian kernel before the first quota mount)', async () => {
    const fake = new FakeHost({ kernelConfig: { CONFIG_QUOTA: 'y', CONFIG_QFMT_V2: 'm' } });
    fake.fs.seed(`/lib/modules/${fake.system.kernelRelease}/modules.dep`, 'kernel/fs/quota/quota_v2.ko: kernel/fs/quota/quota_tree.ko\n');
    expect(await kernelQuotaSupport(fake)).toEqual({ ok: true, why: 'quota_v2 can be loaded' });
    expect(await kernelQuotaSupport(new FakeHost())).toEqual({ ok: false, why: 'the kernel has no quota_v2 module' });
  });
});

describe('backend choice', () => {
  it('the image on the host\'s ext4 without project quota, whatever the private area\'s depth', async () => {
    const fake = new FakeHost();
    expect(await probePrivate(fake, '/var/lib/vzkit/private/101')).toEqual({ fstype: 'ext4', prjquota: false, mountpoint: '/' });
    expect(await chooseBackend(fake, '/var/lib/vzkit/private/101', 'auto')).toMatchObject({ backend: 'image' });
    expect(await chooseBackend(fake, '/var/lib/vzkit/private/101', 'image')).toMatchObject({ backend: 'image', reason: 'QUOTA_BACKEND=image' });
  });

  it('a named backend the filesystem cannot give is refused with where the private area is', async () => {
    const fake = new FakeHost();
    await expect(chooseBackend(fake, '/var/lib/vzkit/private/101', 'project')).rejects.toThrow(/on ext4 at \/, which is not an ext4 or xfs filesystem mounted with prjquota/);
  });
});
