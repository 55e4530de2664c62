/**
 * landlock: a VE whose root is the host's root keeps CAP_SYS_ADMIN (a full system's init
 * needs it), and with it the power to mount: a procfs of its own shows the host-wide
 * /proc/sys keys its own /proc keeps read-only, a cgroup hierarchy mounted inside holds
 * its own limits and device list, a remount makes /sys writable. Capabilities cannot
 * take mount(2) away without taking the rest of CAP_SYS_ADMIN, and seccomp cannot tell
 * one filesystem type from another. A Landlock domain can: its tasks may not mount,
 * remount, unmount or pivot_root at all. The launcher puts init into one just before it
 * execs it, and every `vzctl exec`/`enter` into one before it forks the command;
 * a seccomp rule takes the mount calls Landlock does not see (mount-api.ts).
 *
 * Unprivileged VEs do not need it by default: the kernel refuses them everything
 * host-wide whatever they mount in their own user namespace, where mounting is
 * legitimate (a systemd guest, nested containers).
 */
import { definePlugin, vzError, type HookContext } from '@vzkit/core';
import { LANDLOCK, type LandlockSetting } from './config.js';
import { landlockOps, wantsLandlock } from './plan.js';

export const LANDLOCK_PLUGIN = '@vzkit/landlock';

const WHY = "its root is the host's root and can mount a procfs, sysfs or cgroup filesystem of its own and reach the host through it";

async function available(ctx: HookContext, value: LandlockSetting): Promise<boolean> {
  if ((await ctx.host.system.landlockAbi()) > 0) return true;
  const hint = 'Landlock needs Linux 5.13+ built with CONFIG_SECURITY_LANDLOCK and `landlock` in the lsm= boot parameter; or make the VE unprivileged (--local_uid)';
  if (value === 'yes') throw vzError('UNSUPPORTED', `${ctx.ve.label}: LANDLOCK=yes, but this kernel has no Landlock`, { about: ctx.ve.label, hint });
  ctx.log.warn(`this kernel has no Landlock: ${WHY} (${hint})`);
  return false;
}

export const landlockPlugin = definePlugin({
  name: LANDLOCK_PLUGIN,
  // Of the ops every process of the VE runs: capabilities first, then Landlock, then seccomp.
  after: ['@vzkit/caps'],
  configKeys: [LANDLOCK],
  hooks: {
    async prepare(ctx, plan) {
      const value = ctx.ve.config.get(LANDLOCK);
      if (!wantsLandlock(value, ctx.ve.idmap === undefined)) return;
      if (!(await available(ctx, value ?? 'auto'))) return;
      plan.forEveryProcess(...landlockOps());
    },
  },
});
