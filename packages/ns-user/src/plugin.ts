/**
 * The ns-user plugin: a VE whose config gives LOCAL_UID (and LOCAL_GID) runs in a user
 * namespace of its own, where ids 0-65535 are host ids LOCAL_UID.. (LOCAL_GID..): its
 * root has every capability over the VE's own namespaces and none over the host, so a
 * hostile root that finds a way out (a fresh procfs, a kernel interface no mask covers)
 * arrives as an unprivileged host user. That is the default: `LOCAL_UID=auto` gets each
 * new VE a free range of its own at create (allocate.ts); `LOCAL_UID=0` asks for a VE
 * of the host root, and every start of one says so. The launcher writes the maps between
 * clone and release and the init becomes the namespace's root; `exec` and `enter` join
 * it first. The mapping is its service ID_MAPPING (VeContext.idmap): ns-fs shows the shared
 * template through an idmapped mount and gives the VE's files to its root, guest files
 * made from the host take their directory's owner.
 */
import { definePlugin, ID_MAPPING, vzError, type HookContext } from '@vzkit/core';
import { IDMAP_SIZE, LOCAL_GID, LOCAL_UID, NS_USER_KEYS } from './config.js';
import { idMapping } from './idmap.js';
import { assignRange } from './allocate.js';
import { KIND_FIELDS } from './fields.js';
import { accountInRange, hostAccounts } from './host-users.js';
import { release } from './reservations.js';

export const NS_USER_PLUGIN = '@vzkit/ns-user';

/** Where the kernel says how many user namespaces may exist (0: turned off). */
export const MAX_USER_NAMESPACES = '/proc/sys/user/max_user_namespaces';

async function validate(ctx: HookContext): Promise<void> {
  const { config, label } = ctx.ve;
  const uid = config.get(LOCAL_UID);
  const gid = config.get(LOCAL_GID);
  // LOCAL_UID=0 turns the namespace off (vzctl's `--local_uid 0`), whatever LOCAL_GID vz.conf gives.
  if (uid && config.has(LOCAL_GID) && gid === 0) {
    throw vzError('BAD_VALUE', `${label}: LOCAL_GID=0 with LOCAL_UID=${uid}: the VE's root group would be the host's root group`);
  }
  // `auto` is checked once it is a number (create and conversions choose it after validate).
  const idmap = ctx.ve.idmap;
  if (!idmap) return;
  for (const [kind, base, file] of [['uid', idmap.uid, '/etc/passwd'], ['gid', idmap.gid, '/etc/group']] as const) {
    const clash = accountInRange(await hostAccounts(ctx.host, file), base, IDMAP_SIZE);
    if (clash) {
      const key = kind === 'uid' ? 'LOCAL_UID' : 'LOCAL_GID';
      throw vzError('BAD_VALUE', `${label}: ${key}=${base}: the host's ${kind === 'uid' ? 'user' : 'group'} '${clash.name}' (${kind} ${clash.id}) lies in the VE's range ${base}-${base + IDMAP_SIZE - 1}`, {
        hint: `choose a range no host account uses, or ${key}=auto`,
      });
    }
  }
}

/** UNSUPPORTED, said plainly, where the kernel cannot give the VE a user namespace. */
async function checkKernel(ctx: HookContext): Promise<void> {
  const { host, ve } = ctx;
  const off = 'start it as a VE of the host root (vzctl set --local_uid 0 --save), knowing its root is the host\'s';
  if (!(await host.fs.exists(MAX_USER_NAMESPACES))) {
    throw vzError('UNSUPPORTED', `${ve.label}: LOCAL_UID is set, but this kernel has no user namespaces (${MAX_USER_NAMESPACES} is missing)`, {
      hint: `a kernel with CONFIG_USER_NS, or ${off}`,
    });
  }
  if ((await host.fs.readFile(MAX_USER_NAMESPACES)).trim() === '0') {
    throw vzError('UNSUPPORTED', `${ve.label}: LOCAL_UID is set, but user namespaces are turned off on this host (user.max_user_namespaces = 0)`, {
      hint: `sysctl -w user.max_user_namespaces=15000, or ${off}`,
    });
  }
}

export const nsUserPlugin = definePlugin({
  name: NS_USER_PLUGIN,
  configKeys: NS_USER_KEYS,
  // The core and the other plugins learn each VE's mapping from it (VeContext.idmap).
  provides: [{ token: ID_MAPPING, create: () => idMapping }],
  // The user namespace owns the VE's other namespaces; ns-fs shows the template through its map.
  before: ['@vzkit/ns-fs'],
  listFields: KIND_FIELDS,
  hooks: {
    validate,
    assign: assignRange,

    async created(ctx) {
      await release(ctx.host, ctx.ve.paths, ctx.ve.ctid);
    },

    async destroy(ctx) {
      await release(ctx.host, ctx.ve.paths, ctx.ve.ctid);
    },

    async prepare(ctx, plan) {
      const idmap = ctx.ve.idmap;
      if (!idmap) {
        ctx.log.warn(`the VE's root is the host's root (LOCAL_UID=0): a hostile root inside can reach the host (docs/security.md); make it unprivileged with 'vzctl stop ${ctx.ve.ctid} && vzctl set ${ctx.ve.ctid} --local_uid auto --save'`);
        return;
      }
      await checkKernel(ctx);
      plan.namespaces.add('user');
      plan.uidMap = idmap.uidMap;
      plan.gidMap = idmap.gidMap;
    },
  },
});
