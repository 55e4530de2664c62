/**
 * Which backend a new VE gets, from what the host offers where its private area goes:
 * btrfs → qgroups; ext4/xfs mounted with project quota → project quota; anything else →
 * an ext4 image on a loop device, which needs nothing but loop devices and ext4. And
 * whether the kernel can do user/group quotas at all (the second level).
 */
import { dirname } from 'node:path';
import { vzError, type Host } from '@vzkit/core';
import type { BackendName, QuotaCtx, QuotaRecord } from './backend.js';
import { QUOTA_BACKEND, type BackendChoice } from './config.js';
import { mountOf } from './project.js';

export interface Detected {
  backend: BackendName;
  /** Why, for messages and `vzquota stat -v`. */
  reason: string;
}

/** The nearest existing directory at or above `path` (a new VE's private area does not exist yet). */
async function existingAbove(host: Host, path: string): Promise<string> {
  let p = path;
  while (p !== '/' && !(await host.fs.exists(p))) p = dirname(p);
  return p;
}

/** What the filesystem that will hold `priv` offers. */
export async function probePrivate(host: Host, priv: string): Promise<{ fstype: string; prjquota: boolean; mountpoint: string | undefined }> {
  const at = await existingAbove(host, priv);
  const st = await host.fs.statfs(at);
  const mnt = await mountOf(host, at);
  const opts = (mnt?.options ?? '').split(',');
  return { fstype: st.type, prjquota: opts.includes('prjquota') || opts.includes('pquota'), mountpoint: mnt?.target };
}

/** The backend for a VE whose private area is `priv`; `choice` other than auto is checked, not trusted. */
export async function chooseBackend(host: Host, priv: string, choice: BackendChoice): Promise<Detected> {
  const fs = await probePrivate(host, priv);
  const project = (fs.fstype === 'ext4' || fs.fstype === 'xfs') && fs.prjquota;
  const where = `${fs.fstype} at ${fs.mountpoint ?? '?'}`;
  if (choice === 'btrfs' || (choice === 'auto' && fs.fstype === 'btrfs')) {
    if (fs.fstype !== 'btrfs') throw new BackendUnavailable(`the private area is on ${where}, not on btrfs`);
    return { backend: 'btrfs', reason: `private area on btrfs (${fs.mountpoint ?? '?'})` };
  }
  if (choice === 'project' || (choice === 'auto' && project)) {
    if (!project) throw new BackendUnavailable(`the private area is on ${where}, which is not an ext4 or xfs filesystem mounted with prjquota`);
    return { backend: 'project', reason: `private area on ${where} with project quota` };
  }
  return { backend: 'image', reason: choice === 'image' ? 'QUOTA_BACKEND=image' : `private area on ${where}: no btrfs, no project quota` };
}

export class BackendUnavailable extends Error {}

/**
 * Whether the kernel has the quota format ext4 needs for user and group quotas
 * (CONFIG_QFMT_V2): loaded, built in, or a module it can load. A kernel without it
 * refuses to mount an ext4 filesystem that has the quota feature at all.
 */
export async function kernelQuotaSupport(host: Host): Promise<{ ok: boolean; why: string }> {
  if (await host.fs.exists('/sys/module/quota_v2')) return { ok: true, why: 'quota_v2 is loaded' };
  const config = await host.system.kernelConfig();
  const qfmt = config?.get('CONFIG_QFMT_V2');
  if (config && config.get('CONFIG_QUOTA') !== 'y') return { ok: false, why: 'the kernel is built without CONFIG_QUOTA' };
  if (qfmt === 'y') return { ok: true, why: 'CONFIG_QFMT_V2=y' };
  const modules = `/lib/modules/${host.system.kernelRelease}`;
  const builtin = await host.fs.readFile(`${modules}/modules.builtin`).catch(() => '');
  if (/quota_v2\.ko/.test(builtin)) return { ok: true, why: 'quota_v2 is built in' };
  const dep = await host.fs.readFile(`${modules}/modules.dep`).catch(() => '');
  if (/quota_v2\.ko/.test(dep) && (!config || qfmt === 'm')) return { ok: true, why: 'quota_v2 can be loaded' };
  return { ok: false, why: config ? 'the kernel is built without CONFIG_QFMT_V2' : 'the kernel has no quota_v2 module' };
}

/** The backend a VE has, or would get if created now. */
export async function backendOf(ctx: QuotaCtx, record: QuotaRecord | undefined): Promise<BackendName> {
  if (record) return record.backend;
  try {
    return (await chooseBackend(ctx.host, ctx.ve.paths.private, ctx.ve.config.get(QUOTA_BACKEND) ?? 'auto')).backend;
  } catch (e) {
    if (e instanceof BackendUnavailable) throw vzError('UNSUPPORTED', `${ctx.ve.label}: QUOTA_BACKEND=${ctx.ve.config.get(QUOTA_BACKEND)}: ${e.message}`, { about: ctx.ve.label });
    throw e;
  }
}
