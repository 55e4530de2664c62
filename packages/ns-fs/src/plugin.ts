/**
 * The ns-fs plugin: the VE's own mount namespace and root filesystem. `create` makes the
 * private area; `mount` puts the overlay (template below, VE_PRIVATE/fs above) at VE_ROOT
 * on the host; `prepare` has the VE's init build /proc, /sys and /dev under it in a new
 * mount namespace and pivot into it, after which nothing of the host is visible. There
 * is nothing to clean up after a stop: the namespace dies with its last process, and the
 * core calls `umount`.
 */
import { definePlugin, isVzError, OSTEMPLATE, vzError, type HookContext } from '@vzkit/core';
import { probeHost } from './host-probe.js';
import { overlayMount } from './overlay.js';
import { createPrivateArea, removePrivateArea, upperDir, workDir } from './private-area.js';
import { isolationOps, mqueueOps, pivotOps, procSysOps, rootfsOps, writableKeys } from './rootfs-plan.js';
import { templateTree } from './template-tree.js';

export const NS_FS_PLUGIN = '@vzkit/ns-fs';

/** What `umount` needs after a crash: where the overlay was mounted. */
export interface NsFsState {
  root: string;
}

type Ctx = HookContext<NsFsState>;

function isBusy(e: unknown): boolean {
  return (isVzError(e) && e.errno === 'EBUSY') || (e as NodeJS.ErrnoException | undefined)?.code === 'EBUSY';
}

async function mountRoot(ctx: Ctx): Promise<void> {
  const { host, ve } = ctx;
  const { root, private: priv, template } = ve.paths;
  const name = ve.config.get(OSTEMPLATE);
  if (!name) throw vzError('OSTEMPLATE_NOT_SET', `${ve.label}: OSTEMPLATE is not set in ${ve.paths.conf}`);
  const lower = await templateTree(host, template, name, ve.label);
  const upper = upperDir(priv);
  if (!(await host.fs.exists(upper))) {
    throw vzError('PRIVATE_NOT_FOUND', `${ve.label}: private area ${priv} has no fs/ directory`, { path: upper });
  }
  await host.fs.mkdir(workDir(priv), { recursive: true, mode: 0o700 });
  await host.fs.mkdir(root, { recursive: true });
  if (await host.mounts.isMountPoint(root)) {
    throw vzError('MOUNTED', `${ve.label}: ${root} is already a mount point`, { path: root, hint: `unmount it ('umount ${root}') first` });
  }
  const spec = overlayMount(root, { lower, upper, work: workDir(priv) }, ve.label);
  await ctx.state.set({ root });
  await host.mounts.mount(spec);
}

async function umountRoot(ctx: Ctx): Promise<void> {
  const st = ctx.state.get();
  // Nothing recorded: nothing of ours is mounted (and VE_ROOT may hold someone else's mount).
  if (!st) return;
  const mounts = ctx.host.mounts;
  if (await mounts.isMountPoint(st.root)) {
    try {
      await mounts.umount(st.root, { recursive: true });
    } catch (e) {
      if (!isBusy(e)) throw e;
      // Something still holds a file open in it: detach now, the kernel frees it when closed.
      await mounts.umount(st.root, { recursive: true, detach: true });
    }
  }
  await ctx.state.clear();
}

export const nsFsPlugin = definePlugin<NsFsState>({
  name: NS_FS_PLUGIN,
  // The template must exist before the private area is made on it.
  requires: ['@vzkit/template'],
  hooks: {
    async create(ctx) {
      await createPrivateArea(ctx.host, ctx.ve.paths.private);
    },

    async destroy(ctx) {
      await removePrivateArea(ctx.host, ctx.ve.paths.private, ctx.ve.paths.root, ctx.ve.label);
    },

    mount: mountRoot,
    umount: umountRoot,

    async prepare(ctx, plan) {
      const root = ctx.ve.paths.root;
      const probe = await probeHost(ctx.host);
      plan.namespaces.add('mnt');
      plan.add('early', ...isolationOps());
      plan.add('rootfs', ...rootfsOps(root, probe));
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
