/**
 * The ns-fs plugin: the VE's own mount namespace and root filesystem. `create` makes the
 * private area; `mount` puts the overlay (template below, VE_PRIVATE/fs above) at VE_ROOT
 * on the host; `prepare` has the VE's init build /proc, /sys and /dev under it in a new
 * mount namespace and pivot into it, after which nothing of the host is visible. There
 * is nothing to clean up after a stop: the namespace dies with its last process, and the
 * core calls `umount`.
 */
import { dirname, resolve } from 'node:path';
import { definePlugin, faultPoint, reusedFor, featureSetting, ID_MAPPING, isVzError, OSTEMPLATE, TEMPLATE_TREES, vzError, type FileStat, type Host, type HookContext, type VeIdMap } from '@vzkit/core';
import { convertPrivateArea, realDir, type ConvertState } from './convert.js';
import { FS_FEATURES } from './features.js';
import { PROBE_REUSE_MS, probeHost } from './host-probe.js';
import { overlayMount } from './plan-overlay.js';
import { createPrivateArea, idmappedDir, removePrivateArea, upperDir, workDir } from './private-area.js';
import { devOps, isolationOps, mqueueOps, pivotOps, procOps, procSysOps, rootOps, sysfsOps, writableKeys } from './plan.js';

export const NS_FS_PLUGIN = '@vzkit/ns-fs';

/**
 * What `umount` needs after a crash: where the overlay was mounted, and the idmapped
 * template while it is being made; and a conversion's intent record (convert.ts).
 */
export interface NsFsState extends ConvertState {
  root?: string;
  /** Mount point of the idmapped bind of the template, from just before it is mounted until it is detached. */
  idmapped?: string;
}

type Ctx = HookContext<NsFsState>;

function isBusy(e: unknown): boolean {
  return (isVzError(e) && e.errno === 'EBUSY') || (e as NodeJS.ErrnoException | undefined)?.code === 'EBUSY';
}

async function mountRoot(ctx: Ctx): Promise<void> {
  const { host, ve } = ctx;
  const { root, private: priv, template } = ve.paths;
  const name = ve.config.get(OSTEMPLATE);
  if (!name) throw vzError('OSTEMPLATE_NOT_SET', `${ve.label}: OSTEMPLATE is not set in ${ve.paths.conf}`, { about: ve.label });
  const lower = await ctx.service(TEMPLATE_TREES).tree(template, name, ve.label);
  const upper = upperDir(priv);
  const upperStat = await host.fs.stat(upper);
  if (!upperStat) {
    throw vzError('PRIVATE_NOT_FOUND', `${ve.label}: private area ${priv} has no fs/ directory`, { about: ve.label, path: upper });
  }
  await host.fs.mkdir(workDir(priv), { recursive: true, mode: 0o700 });
  await host.fs.mkdir(root, { recursive: true });
  if (await host.mounts.isMountPoint(root)) {
    throw vzError('MOUNTED', `${ve.label}: ${root} is already a mount point`, { about: ve.label, path: root, hint: `unmount it ('umount ${root}') first` });
  }
  const idmap = ve.idmap;
  await checkUpperOwner(ctx, upper, idmap?.uid ?? 0, upperStat);
  if (!idmap) {
    await ctx.state.set({ root });
    await host.mounts.mount(overlayMount(root, { lower, upper, work: workDir(priv) }, ve.label));
    return;
  }
  // The shared template, as the VE's ids see it: its root-owned files show as the VE's
  // root. Overlayfs keeps a private clone of each layer's mount, so the bind is detached
  // as soon as the overlay holds it and nothing stays mounted beside the VE's root.
  const shown = idmappedDir(priv);
  await host.fs.mkdir(shown, { recursive: true, mode: 0o700 });
  await ctx.state.set({ root, idmapped: shown });
  try {
    await host.mounts.bindIdmapped({ source: lower, target: shown, uidMap: idmap.uidMap, gidMap: idmap.gidMap, readOnly: true });
    faultPoint('mount', 'ns-fs:idmapped');
  } catch (e) {
    if (isVzError(e) && e.code === 'UNSUPPORTED') {
      throw vzError('UNSUPPORTED', `${ve.label}: LOCAL_UID: the template ${lower} cannot be shown through an idmapped mount: ${e.message}`, {
        about: ve.label,
        ...(e.hint ? { hint: e.hint } : {}), cause: e,
      });
    }
    throw e;
  }
  await host.mounts.mount(overlayMount(root, { lower: shown, upper, work: workDir(priv) }, ve.label));
  await host.mounts.umount(shown, { detach: true });
  await ctx.state.set({ root });
}

/**
 * The VE's `/` (the upper layer's top) must belong to its root (the host's root for a
 * VE of the host root). A mismatch means the private area was made or converted for
 * another LOCAL_UID: its files would all show as nobody, or as the host's. `seen`: what
 * a lookup of `upper` just found.
 */
async function checkUpperOwner(ctx: Ctx, upper: string, uid: number, seen: FileStat): Promise<void> {
  // The lookup that found `upper` serves unless it is a link (to the VE's disk).
  const st = seen.type === 'symlink' ? await ctx.host.fs.stat(await realDir(ctx, upper)) : seen;
  // Files made for a user namespace, in a composition that maps no ids: it would run the
  // VE's root as the host's.
  if (st && st.uid !== uid && !ctx.optionalService(ID_MAPPING)) {
    throw vzError('UNSUPPORTED', `${ctx.ve.label}: the VE's files (${upper}) belong to host uid ${st.uid}, made for a user namespace, but no plugin of this runtime maps the VE's ids`, {
      about: ctx.ve.label,
      hint: 'add the plugin that makes user namespaces (ns-user) to the composition',
    });
  }
  if (st && st.uid !== uid) {
    throw vzError('BAD_CONFIG', `${ctx.ve.label}: LOCAL_UID is ${uid}, but the VE's files (${upper}) belong to host uid ${st.uid}`, {
      about: ctx.ve.label,
      hint: 'restore the LOCAL_UID the files were made for, then convert with vzctl set --local_uid ... --save',
    });
  }
}

/**
 * The directories above VE_ROOT are the same for every VE of a root: the starts of a
 * bulk run (and of vzkitd) share one lstat of each for as long as the host probe is
 * reused (a round trip each per start, on the one event loop). Only a directory every
 * uid may pass is kept: one that refuses someone is asked again, so a chmod that lets
 * the VE in shows at once; one that locks the VE out within that time is still met, by
 * the child's EACCES.
 */
const reusedParent = reusedFor<FileStat | undefined>(PROBE_REUSE_MS, (st) => st?.type === 'dir' && (st.mode & 0o111) === 0o111);

function parentStat(host: Host, dir: string): Promise<FileStat | undefined> {
  return reusedParent(host, dir, () => host.fs.stat(dir));
}

/**
 * The VE's init builds its root from inside its user namespace, where it is no longer the
 * host's root: every directory above VE_ROOT must let the VE's root uid pass, as LXC
 * asks of an unprivileged container's path. Said before the start rather than as an
 * EACCES from the child.
 */
async function checkReachable(ctx: Ctx, root: string, idmap: VeIdMap): Promise<void> {
  for (let dir = dirname(root); ; dir = dirname(dir)) {
    const st = await parentStat(ctx.host, dir);
    const bit = st?.uid === idmap.uid ? 0o100 : st?.gid === idmap.gid ? 0o010 : 0o001;
    if (st && !(st.mode & bit)) {
      throw vzError('PERMISSION', `${ctx.ve.label}: LOCAL_UID: the VE's root (host uid ${idmap.uid}) cannot reach ${root}: ${dir} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}) is not searchable by it`, {
        about: ctx.ve.label,
        path: dir, hint: `chmod o+x ${dir}, or keep VE_ROOT under directories everyone may pass`,
      });
    }
    if (dir === '/') return;
  }
}

/** A new private area's `/` belongs to the VE's root. */
async function ownUpper(ctx: Ctx): Promise<void> {
  const idmap = ctx.ve.idmap;
  if (idmap) await ctx.host.fs.chown(await realDir(ctx, upperDir(ctx.ve.paths.private)), idmap.uid, idmap.gid);
}

async function umountRoot(ctx: Ctx): Promise<void> {
  const st = ctx.state.get();
  // Nothing recorded: nothing of ours is mounted (and VE_ROOT may hold someone else's mount).
  if (!st?.root) return;
  const mounts = ctx.host.mounts;
  // A mount killed between the idmapped bind and its detach.
  if (st.idmapped && (await mounts.isMountPoint(st.idmapped))) await mounts.umount(st.idmapped, { detach: true });
  if (await mounts.isMountPoint(st.root)) {
    try {
      await mounts.umount(st.root, { recursive: true });
    } catch (e) {
      if (!isBusy(e)) throw e;
      // Something still holds a file open in it: detach now, the kernel frees it when closed.
      await mounts.umount(st.root, { recursive: true, detach: true });
    }
  }
  // A conversion's record outlives the mount it may have been made under.
  if (st.shift) await ctx.state.set({ shift: st.shift });
  else await ctx.state.clear();
}

export const nsFsPlugin = definePlugin<NsFsState>({
  name: NS_FS_PLUGIN,
  // The template must exist before the private area is made on it.
  requires: ['@vzkit/template'],
  features: FS_FEATURES,
  // The VE's files belong to the range of ns-user's LOCAL_UID/LOCAL_GID: a change moves them.
  watches: ['LOCAL_UID', 'LOCAL_GID'],
  hooks: {
    convert: convertPrivateArea,

    async create(ctx) {
      await createPrivateArea(ctx.host, ctx.ve.paths.private);
      await ownUpper(ctx);
    },

    async destroy(ctx) {
      await removePrivateArea(ctx.host, ctx.ve.paths.private, ctx.ve.paths.root, ctx.ve.label);
    },

    mount: mountRoot,
    umount: umountRoot,

    async prepare(ctx, plan) {
      const root = ctx.ve.paths.root;
      const idmap = ctx.ve.idmap;
      if (idmap) await checkReachable(ctx, root, idmap);
      const probe = await probeHost(ctx.host);
      plan.namespaces.add('mnt');
      const userns = idmap !== undefined;
      // FEATURES sysfs:off: no /sys (OpenVZ's kernel gave such a VE none either).
      const sysfs = featureSetting(ctx.ve.config, 'sysfs') !== false;
      plan.add('early', ...isolationOps());
      plan.add('rootfs', ...rootOps(root));
      if (sysfs) plan.later('rootfs', (p) => sysfsOps(root, { userns, ownNet: p.namespaces.has('net') }));
      plan.add('rootfs', ...devOps(root, { userns }), ...procOps(root, probe, { sysfs }));
      // After every prepare: the writable /proc/sys keys and the IPC namespace are other plugins' say.
      plan.finalize((p) => {
        const { keep, dropped } = writableKeys(p.writableProcSys, probe);
        if (dropped.length) ctx.log.warn(`/proc/sys keys this kernel lacks stay unavailable: ${dropped.join(', ')}`);
        p.add('rootfs', ...procSysOps(root, keep));
        if (p.namespaces.has('ipc')) p.add('rootfs', ...mqueueOps(root));
      });
      plan.add('pivot', ...pivotOps(root));
    },
  },
});
