/**
 * `LOCAL_UID=auto`: a range of {@link IDMAP_SIZE} ids no one else has — not another VE
 * of this vzkit root (every config, and the creates and conversions choosing right now),
 * not a host account (/etc/passwd, /etc/group), not another user's subordinate ids
 * (/etc/subuid, /etc/subgid) — chosen under the root-wide lock and reserved until the
 * VE's config holds it. One base serves uid and gid alike, so the VE's files show one
 * number on the host for both.
 */
import { vzError, type AssignRequest, type ConfigView, type HookContext, type VeIdMap } from '@vzkit/core';
import { IDMAP_SIZE, LOCAL_GID, LOCAL_UID, type IdBase } from './config.js';
import { idMapFrom, idMapOf } from './idmap.js';
import { hostAccounts } from './host-users.js';
import { firstFree, overlaps, type IdRange } from './ranges.js';
import { liveReservations, rangeLock, reserve } from './reservations.js';
import { foreignSubIds } from './subids.js';

/** How long a create waits for another one that is choosing a range (ms). */
const LOCK_WAIT_MS = 30_000;

/** Ids that are someone else's, by kind, with what holds them (for messages). */
/** `own`: the VE's current range, which a conversion refuses to meet (ns-fs) rather than warns of. */
interface Taken {
  uid: Array<IdRange & { holder: string; own?: boolean }>;
  gid: Array<IdRange & { holder: string; own?: boolean }>;
}

function rangesOf(map: VeIdMap): { uid: IdRange; gid: IdRange } {
  return { uid: { base: map.uid, count: IDMAP_SIZE }, gid: { base: map.gid, count: IDMAP_SIZE } };
}

async function takenIds(ctx: HookContext, before: ConfigView | undefined): Promise<Taken> {
  const taken: Taken = { uid: [], gid: [] };
  // Reservations before configs: a create drops its reservation only once its config is
  // written, so a range is in one or the other when read in this order (the other way
  // round, a create finishing in between was in neither).
  for (const r of await liveReservations(ctx.host, ctx.ve.paths, ctx.ve.ctid)) {
    if (r.uid) taken.uid.push({ ...r.uid, holder: `CT ${r.ctid} (being created)` });
    if (r.gid) taken.gid.push({ ...r.gid, holder: `CT ${r.ctid} (being created)` });
  }
  for (const other of await ctx.others()) {
    const map = idMapOf(other.config);
    if (!map) continue;
    const r = rangesOf(map);
    taken.uid.push({ ...r.uid, holder: `CT ${other.ctid}` });
    taken.gid.push({ ...r.gid, holder: `CT ${other.ctid}` });
  }
  // A conversion moves the VE's files from its current range: the new one must not meet it.
  const own = before ? idMapOf(before) : undefined;
  if (own) {
    const r = rangesOf(own);
    taken.uid.push({ ...r.uid, holder: `${ctx.ve.label}'s current range`, own: true });
    taken.gid.push({ ...r.gid, holder: `${ctx.ve.label}'s current range`, own: true });
  }
  for (const a of await hostAccounts(ctx.host, '/etc/passwd')) taken.uid.push({ base: a.id, count: 1, holder: `the host's user '${a.name}'` });
  for (const a of await hostAccounts(ctx.host, '/etc/group')) taken.gid.push({ base: a.id, count: 1, holder: `the host's group '${a.name}'` });
  for (const s of await foreignSubIds(ctx.host, '/etc/subuid')) taken.uid.push({ ...s, holder: `the subordinate uids of '${s.owner}' (/etc/subuid)` });
  for (const s of await foreignSubIds(ctx.host, '/etc/subgid')) taken.gid.push({ ...s, holder: `the subordinate gids of '${s.owner}' (/etc/subgid)` });
  return taken;
}

function exhausted(ctx: HookContext): Error {
  return vzError('RESOURCE', `${ctx.ve.label}: LOCAL_UID=auto: no free range of ${IDMAP_SIZE} host ids is left (every one meets another VE, a host account or another user's subordinate ids)`, {
    hint: 'destroy VEs you no longer need, or give --local_uid by hand',
  });
}

/** A range given by hand is the administrator's choice; say when it meets someone else's. */
function warnShared(ctx: HookContext, taken: Taken, kind: 'uid' | 'gid', base: number): void {
  const mine = { base, count: IDMAP_SIZE };
  const clash = taken[kind].find((t) => t.count > 1 && !t.own && overlaps(t, mine));
  if (clash) {
    ctx.log.warn(`LOCAL_${kind.toUpperCase()}=${base}: the VE's ids ${base}-${base + IDMAP_SIZE - 1} meet ${clash.holder}: their files and processes are one owner on the host`);
  }
}

/**
 * The `assign` hook: the numbers of LOCAL_UID and LOCAL_GID, written into the VE's own
 * config whatever gave them (vz.conf's default, `auto`): the VE's files belong to this
 * range (0: the host root's), and a later vz.conf must not move it. `auto` becomes a free
 * range; on `set`, a VE that already has a range of its own keeps it.
 */
export async function assignRange(ctx: HookContext, req: AssignRequest): Promise<Record<string, string | undefined>> {
  const chosen = await chooseRange(ctx, req);
  const number = (name: string, key: typeof LOCAL_UID): IdBase | undefined => (chosen?.[name] !== undefined ? Number(chosen[name]) : ctx.ve.config.get(key));
  const map = idMapFrom(number(LOCAL_UID.name, LOCAL_UID), number(LOCAL_GID.name, LOCAL_GID));
  return { [LOCAL_UID.name]: String(map?.uid ?? 0), [LOCAL_GID.name]: map ? String(map.gid) : undefined };
}

async function chooseRange(ctx: HookContext, req: AssignRequest): Promise<Record<string, string> | undefined> {
  const { config } = ctx.ve;
  const uid: IdBase | undefined = config.get(LOCAL_UID);
  const gid: IdBase | undefined = config.get(LOCAL_GID);
  const current = req.before ? idMapOf(req.before) : undefined;
  if (uid === 'auto' && current) {
    return { [LOCAL_UID.name]: String(current.uid), [LOCAL_GID.name]: String(gid === 'auto' ? current.gid : gid ?? current.gid) };
  }
  if (uid !== 'auto') {
    // Nothing to choose; a hand-picked range that others use is worth a word.
    if (typeof uid === 'number' && uid !== 0) {
      const taken = await takenIds(ctx, req.before);
      warnShared(ctx, taken, 'uid', uid);
      warnShared(ctx, taken, 'gid', typeof gid === 'number' && gid !== 0 ? gid : uid);
    }
    return undefined;
  }
  const lock = rangeLock(ctx.host, ctx.ve.paths);
  return lock.with({ op: `choose an id range for ${ctx.ve.label}`, waitMs: LOCK_WAIT_MS }, async () => {
    const taken = await takenIds(ctx, req.before);
    // One base for both when LOCAL_GID is left to follow; a given LOCAL_GID is kept.
    const sameBase = typeof gid !== 'number' || gid === 0;
    const base = firstFree(sameBase ? [...taken.uid, ...taken.gid] : taken.uid, IDMAP_SIZE);
    if (base === undefined) throw exhausted(ctx);
    const gidBase = sameBase ? base : (gid as number);
    await reserve(ctx.host, ctx.ve.paths, { ctid: ctx.ve.ctid, uid: { base, count: IDMAP_SIZE }, gid: { base: gidBase, count: IDMAP_SIZE } });
    if (!sameBase) warnShared(ctx, taken, 'gid', gidBase);
    ctx.log.debug(`LOCAL_UID=auto: host ids ${base}-${base + IDMAP_SIZE - 1}`);
    return { [LOCAL_UID.name]: String(base), [LOCAL_GID.name]: String(gidBase) };
  });
}
