/**
 * The filesystem features of OpenVZ's FEATURES: `sysfs` (the VE gets a /sys; on by
 * default, as in OpenVZ), `nfs` (the VE's root may mount NFS) and `nfsd` (it may run the
 * kernel's NFS server). What each can mean here depends on the kind of VE: a VE of the
 * host's root holds CAP_SYS_ADMIN and mounts what the kernel has, one in a user
 * namespace only what the kernel lets a user namespace mount.
 */
import type { FeatureDecl, HookContext } from '@vzkit/core';

async function hasOption(ctx: HookContext, option: string): Promise<boolean> {
  const config = await ctx.host.system.kernelConfig();
  return !config || config.has(option);
}

export const SYSFS: FeatureDecl = {
  name: 'sysfs',
  description: 'a read-only /sys (on by default; off: /sys stays an empty directory)',
};

export const NFS: FeatureDecl = {
  name: 'nfs',
  description: 'NFS mounts inside the VE (a VE of the host\'s root only)',
  async check(ctx, on) {
    if (on) {
      if (ctx.ve.idmap) return 'the kernel lets no user namespace mount NFS, and this VE has one (LOCAL_UID)';
      return (await hasOption(ctx, 'CONFIG_NFS_FS')) ? undefined : 'the host kernel has no NFS client (CONFIG_NFS_FS)';
    }
    return ctx.ve.idmap
      ? undefined
      : 'the root of a VE without a user namespace holds CAP_SYS_ADMIN and mounts NFS where the kernel has it; nothing withholds it (an unprivileged VE, --local_uid, cannot)';
  },
};

export const NFSD: FeatureDecl = {
  name: 'nfsd',
  description: 'the kernel NFS server inside the VE (not offered)',
  async check(ctx, on) {
    if (!on) return undefined;
    if (!(await hasOption(ctx, 'CONFIG_NFSD'))) return 'the host kernel has no NFS server (CONFIG_NFSD)';
    if (ctx.ve.idmap) return 'the kernel lets no user namespace mount the nfsd filesystem, and this VE has one (LOCAL_UID)';
    return 'the VE\'s root is an overlay mounted without nfs_export, which the kernel NFS server cannot export';
  },
};

export const FS_FEATURES: readonly FeatureDecl[] = [SYSFS, NFS, NFSD];
