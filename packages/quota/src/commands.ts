/**
 * OpenVZ's commands on a VE's first-level quota, mapped onto what the backends can do
 * (docs/quota.md has the table). The VE's config is the one place its limits live — there
 * is no quota file — so limits given to `vzquota init|on|setlimit` are saved into it, as
 * `vzctl set --save` would.
 *
 * - `vzctl quotainit` / `vzquota init`: the stopped VE gets its disk now (its files moved
 *   onto it) instead of at its next start.
 * - `vzctl quotaon` / `vzquota on`: on a stopped VE, the quota is turned on without the
 *   VE's root: the image is mounted (its files visible, `vzquota stat` works), btrfs and
 *   project limits are set. A start or mount takes it over; `off` ends it.
 * - `vzctl quotaoff` / `vzquota off`: the image unmounted, or the btrfs/project limits
 *   lifted until the next start. Refused while the VE runs or is mounted: its files live
 *   on the disk.
 * - `vzquota drop`: the disk goes, the files moved off it (the opposite of init); the
 *   next start makes it again while DISKSPACE is set.
 * - `vzquota setlimit`: the limits saved, and applied at once to a running VE.
 */
import { join } from 'node:path';
import { isVzError, parseSize, substituteCtid, UNLIMITED, VE_PRIVATE, vzError, type CommandApi, type CommandDecl, type HookContext, type SetEdit, type VeStatus } from '@vzkit/core';
import { readRecord, type QuotaCtx, type QuotaRecord } from './backend.js';
import { liftLimit } from './btrfs.js';
import { DISKINODES, DISKSPACE, QUOTATIME, QUOTAUGIDLIMIT, quotaLimits, type QuotaLimits } from './config.js';
import { moveOff, moveOnto, settle } from './convert.js';
import { quotaError, QUOTA_EXITS } from './errors.js';
import { diskMounted, imageBackend, unmountDisk } from './image.js';
import { liftProject, projectBackend } from './project.js';
import { btrfsBackend } from './btrfs.js';

export const QUOTA_PLUGIN_NAME = '@vzkit/quota';

/** vzquota(8)'s exit statuses. */
export const VZQUOTA_EXIT = { system: 1, usage: 2, syscall: 3, running: 5, notRunning: 6, noQuota: 11 } as const;

/** What a vzquota command line asks for. */
export interface QuotaArgs {
  id: string;
  blockSoft?: number;
  blockHard?: number;
  inodeSoft?: number;
  inodeHard?: number;
  blockGrace?: number;
  inodeGrace?: number;
  sub?: 0 | 1;
  ugid?: number;
  path?: string;
  force: boolean;
}

function usage(cmd: string, msg: string): never {
  throw vzError('BAD_PARAM', `vzquota ${cmd}: ${msg}`, { exit: VZQUOTA_EXIT.usage, hint: `usage: vzquota ${cmd} ${USAGE[cmd] ?? 'CTID'}` });
}

const LIMIT_OPTS = '[-b N] [-B N] [-i N] [-I N] [-e T] [-n T] [-s 0|1] [-u N] [-p PATH]';
const USAGE: Record<string, string> = {
  init: `CTID ${LIMIT_OPTS}`, on: `CTID ${LIMIT_OPTS} [-f]`, off: 'CTID [-f]', drop: 'CTID [-f]', setlimit: `CTID ${LIMIT_OPTS} [-f]`,
};

/**
 * vzquota's time: seconds, `[[[dd:]hh:]mm:]ss` (`12:00` is twelve minutes), or a number
 * with h, d, w, m (30 days) or y (365 days), either case.
 */
export function parseQuotaTime(raw: string): number | undefined {
  const s = raw.trim();
  const unit = /^(\d+)([hdwmy])$/i.exec(s);
  if (unit) {
    const per: Record<string, number> = { h: 3600, d: 86400, w: 7 * 86400, m: 30 * 86400, y: 365 * 86400 };
    return Number(unit[1]) * per[unit[2]!.toLowerCase()]!;
  }
  if (!/^\d+(:\d+){0,3}$/.test(s)) return undefined;
  const parts = s.split(':').map(Number).reverse();
  const scale = [1, 60, 3600, 86400];
  return parts.reduce((sum, v, i) => sum + v * scale[i]!, 0);
}

/** Parses `CTID [options]` (options may come before or after the id, as vzquota's getopt allows). */
export function parseQuotaArgs(cmd: string, argv: string[]): QuotaArgs {
  const out: QuotaArgs = { id: '', force: false };
  const ids: string[] = [];
  const value = (i: number): string => {
    const v = argv[i + 1];
    if (v === undefined) usage(cmd, `option ${argv[i]} needs a value`);
    return v;
  };
  const count = (flag: string, raw: string): number => {
    try {
      const n = parseSize(raw, flag === '-i' || flag === '-I' || flag === '-u' ? 'items' : 'kb');
      if (n === UNLIMITED) usage(cmd, `${flag} ${raw}: give a number`);
      return n;
    } catch (e) {
      if (isVzError(e)) throw e;
      return usage(cmd, `${flag} ${raw}: ${(e as Error).message}`);
    }
  };
  const limitsAllowed = cmd === 'init' || cmd === 'on' || cmd === 'setlimit';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-') {
      ids.push(a);
      continue;
    }
    const takesLimit = ['-b', '-B', '-i', '-I', '-e', '-n', '-s', '-u', '-p'].includes(a);
    if (takesLimit && !limitsAllowed) usage(cmd, `option ${a} is not for ${cmd}`);
    switch (a) {
      case '-b': out.blockSoft = count(a, value(i)); i++; break;
      case '-B': out.blockHard = count(a, value(i)); i++; break;
      case '-i': out.inodeSoft = count(a, value(i)); i++; break;
      case '-I': out.inodeHard = count(a, value(i)); i++; break;
      case '-u': out.ugid = count(a, value(i)); i++; break;
      case '-e': case '-n': {
        const t = parseQuotaTime(value(i));
        if (t === undefined) usage(cmd, `${a} ${argv[i + 1]}: not a time (seconds, dd:hh:mm:ss, or N with h, d, w, m, y)`);
        if (a === '-e') out.blockGrace = t;
        else out.inodeGrace = t;
        i++;
        break;
      }
      case '-s': {
        const v = value(i);
        if (v !== '0' && v !== '1') usage(cmd, `-s ${v}: 1 or 0`);
        out.sub = v === '1' ? 1 : 0;
        i++;
        break;
      }
      case '-p': out.path = value(i); i++; break;
      case '-f': out.force = true; break;
      // Quiet and verbose change nothing vzkit prints.
      case '-q': case '-v': break;
      case '-c': case '-R':
        throw vzError('BAD_PARAM', `vzquota ${cmd}: ${a}: vzkit keeps no quota file; a VE's limits live in its config`, { exit: VZQUOTA_EXIT.usage });
      default: usage(cmd, `unknown option ${a}`);
    }
  }
  if (ids.length !== 1) usage(cmd, 'one CTID expected');
  out.id = ids[0]!;
  if (out.blockGrace !== undefined && out.inodeGrace !== undefined && out.blockGrace !== out.inodeGrace) {
    usage(cmd, `-e ${out.blockGrace} and -n ${out.inodeGrace} differ: a VE has one grace period (QUOTATIME) for space and inodes`);
  }
  return out;
}

/** The limits of a command line as `vzctl set` edits, completed from the VE's config. */
export function limitEdits(cmd: string, args: QuotaArgs, limits: QuotaLimits): SetEdit[] {
  const edits: SetEdit[] = [];
  const pair = (soft: number | undefined, hard: number | undefined, now: { soft: number; hard: number } | undefined, key: string, flags: string) => {
    if (soft === undefined && hard === undefined) return;
    const s = soft ?? now?.soft ?? hard!;
    const h = hard ?? now?.hard ?? soft!;
    if (s > h) usage(cmd, `${flags}: soft limit ${s} is above hard limit ${h}`);
    edits.push({ key, value: `${s}:${h}` });
  };
  pair(args.blockSoft, args.blockHard, limits.space, DISKSPACE.name, '-b/-B');
  pair(args.inodeSoft, args.inodeHard, limits.inodes, DISKINODES.name, '-i/-I');
  const grace = args.blockGrace ?? args.inodeGrace;
  if (grace !== undefined) edits.push({ key: QUOTATIME.name, value: String(grace) });
  if (args.sub === 0) edits.push({ key: QUOTAUGIDLIMIT.name, value: '0' });
  else if (args.ugid !== undefined) edits.push({ key: QUOTAUGIDLIMIT.name, value: String(args.ugid) });
  else if (args.sub === 1 && limits.ugid === 0) usage(cmd, '-s 1 needs -u N (the number of uids and gids, QUOTAUGIDLIMIT)');
  return edits;
}

/** `-p PATH` must name the VE's private area: the quota of a VE is its private area's. */
async function checkPath(api: CommandApi, cmd: string, ctid: number, path: string | undefined): Promise<void> {
  if (path === undefined) return;
  const config = await api.runtime.config(ctid);
  const priv = substituteCtid(config.get(VE_PRIVATE) ?? join(api.runtime.paths.private, '$VEID'), ctid);
  if (path.replace(/\/+$/, '') !== priv) usage(cmd, `-p ${path}: the quota of CT ${ctid} is its private area, ${priv}`);
}

function withQuota<T>(api: CommandApi, ctid: number, op: string, fn: (ctx: QuotaCtx, status: VeStatus) => Promise<T>): Promise<T> {
  return api.runtime.withPlugin(ctid, QUOTA_PLUGIN_NAME, op, fn as (ctx: HookContext<any, any>, status: VeStatus) => Promise<T>);
}

/** Whether the quota holds now, on a stopped VE: its image mounted, its btrfs or project limit set. */
async function quotaOn(ctx: QuotaCtx, record: QuotaRecord): Promise<boolean> {
  if (record.backend === 'image') return diskMounted(ctx);
  const usage = await (record.backend === 'btrfs' ? btrfsBackend : projectBackend).usage(ctx, record, true).catch(() => undefined);
  return usage?.spaceLimit !== undefined;
}

type Outcome = 'done' | 'already' | 'none';

/** Makes the stopped VE's disk from its config; `already` when it has one. */
async function init(ctx: QuotaCtx, status: VeStatus, exitRunning: number): Promise<Outcome> {
  if (status !== 'stopped') throw vzError('QUOTA_RUNNING', `${ctx.ve.label}: its quota is running (the VE is ${status}): init works on a stopped VE`, { exit: exitRunning });
  const limits = quotaLimits(ctx.ve.config);
  if (!limits.space) throw quotaError('DISKSPACE_NOT_SET', `${ctx.ve.label}: DISKSPACE is not set`, { hint: `vzctl set ${ctx.ve.ctid} --diskspace SOFT:HARD --save` });
  await settle(ctx);
  if (await readRecord(ctx)) return 'already';
  await moveOnto(ctx, limits, { record: false });
  return 'done';
}

/** Turns the stopped VE's quota on; `already` when it holds. */
async function on(ctx: QuotaCtx, status: VeStatus, makeDisk: boolean): Promise<Outcome> {
  if (status !== 'stopped') return 'already';
  const limits = quotaLimits(ctx.ve.config);
  const was = await readRecord(ctx);
  if (was && (await quotaOn(ctx, was))) return 'already';
  await settle(ctx);
  let record = await readRecord(ctx);
  if (!record) {
    if (!makeDisk) return 'none';
    if (!limits.space) throw quotaError('DISKSPACE_NOT_SET', `${ctx.ve.label}: DISKSPACE is not set`, { hint: `vzctl set ${ctx.ve.ctid} --diskspace SOFT:HARD --save` });
    record = await moveOnto(ctx, limits, { record: false });
  }
  if (record.backend === 'image') await imageBackend.attach(ctx, record, limits, { record: false });
  else if (limits.space) await (record.backend === 'btrfs' ? btrfsBackend : projectBackend).attach(ctx, record, limits);
  return 'done';
}

/** Turns the stopped VE's quota off; `none` when it was not on. */
async function off(ctx: QuotaCtx, status: VeStatus, exitRunning: number): Promise<Outcome> {
  const record = await readRecord(ctx);
  if (!record) return 'none';
  if (status !== 'stopped') {
    throw vzError('QUOTA_BUSY', `${ctx.ve.label}: the VE is ${status} on its disk (${record.backend} backend): its quota cannot be off while the VE uses it`, {
      exit: exitRunning, hint: `stop it first (vzctl stop ${ctx.ve.ctid})`,
    });
  }
  if (!(await quotaOn(ctx, record))) return 'none';
  if (record.backend === 'image') await unmountDisk(ctx);
  else if (record.backend === 'btrfs') await liftLimit(ctx);
  else await liftProject(ctx, record.project ?? ctx.ve.ctid);
  return 'done';
}

/** A failure of vzquota with vzquota's own exit numbers; vzctl's quota verbs keep vzctl's. */
function asVzquota(e: unknown): never {
  if (!isVzError(e)) throw e;
  const keep = new Set<number>(Object.values(VZQUOTA_EXIT));
  if (keep.has(e.exit)) throw e;
  const exit = e.code === 'BAD_VALUE' || e.code === 'BAD_PARAM' ? VZQUOTA_EXIT.usage : VZQUOTA_EXIT.system;
  throw vzError(e.code, e.message, { exit, ...(e.hint ? { hint: e.hint } : {}), cause: e });
}

async function vzquota(api: CommandApi, cmd: 'init' | 'on' | 'off' | 'drop' | 'setlimit', argv: string[]): Promise<number> {
  const args = parseQuotaArgs(cmd, argv);
  const ctid = await api.runtime.resolveId(args.id);
  try {
    await checkPath(api, cmd, ctid, args.path);
    const edits = limitEdits(cmd, args, quotaLimits(await api.runtime.config(ctid)));
    if (cmd === 'setlimit') {
      if (!edits.length && !args.force) usage(cmd, 'give at least one limit (-b, -B, -i, -I, -e, -n, -u)');
      const has = await withQuota(api, ctid, 'quota', async (ctx) => !!(await readRecord(ctx)) || !!quotaLimits(ctx.ve.config).space);
      const setsSpace = edits.some((e) => 'key' in e && e.key === DISKSPACE.name);
      if (!has && !setsSpace) throw vzError('QUOTA_NONE', `CT ${ctid} has no disk quota: vzquota init ${ctid} -b SOFT -B HARD makes one`, { exit: VZQUOTA_EXIT.noQuota });
      // -f (rescan at the next start): the backends count usage themselves, always exact.
      if (edits.length) await api.runtime.set(ctid, edits, { save: true });
      return 0;
    }
    // New limits given to init and on are stored first (vzquota stores them in its file).
    if (edits.length) await api.runtime.set(ctid, edits, { save: true });
    await withQuota(api, ctid, `quota${cmd}`, async (ctx, status) => {
      switch (cmd) {
        case 'init': return init(ctx, status, VZQUOTA_EXIT.running);
        case 'on': {
          const r = await on(ctx, status, false);
          if (r === 'none') throw vzError('QUOTA_NONE', `${ctx.ve.label} has no disk quota yet: vzquota init ${ctid} makes it`, { exit: VZQUOTA_EXIT.noQuota });
          if (r === 'already') throw vzError('QUOTA_RUNNING', `${ctx.ve.label}: quota is already running (the VE is ${status})`, { exit: VZQUOTA_EXIT.running });
          return r;
        }
        case 'off': {
          const r = await off(ctx, status, VZQUOTA_EXIT.syscall);
          if (r === 'none') throw vzError('QUOTA_NOT_RUNNING', `${ctx.ve.label}: quota is not running`, { exit: VZQUOTA_EXIT.notRunning });
          return r;
        }
        case 'drop': return drop(ctx, status);
      }
    });
    return 0;
  } catch (e) {
    return asVzquota(e);
  }
}

/** The disk goes and the files come off it; refused while the VE uses it, `-f` or not. */
async function drop(ctx: QuotaCtx, status: VeStatus): Promise<Outcome> {
  const record = await readRecord(ctx);
  if (!record) throw vzError('QUOTA_NONE', `${ctx.ve.label} has no disk quota`, { exit: VZQUOTA_EXIT.noQuota });
  if (status !== 'stopped') {
    throw vzError('QUOTA_RUNNING', `${ctx.ve.label}: quota is running (the VE is ${status}) and the VE's files live on its disk: stop it first`, { exit: VZQUOTA_EXIT.running });
  }
  await settle(ctx);
  await moveOff(ctx, record, { record: false });
  if (quotaLimits(ctx.ve.config).space) {
    ctx.log.warn(`DISKSPACE is still set: the next start gives the VE a disk again (vzctl set ${ctx.ve.ctid} --diskspace unlimited --save takes the quota away for good)`);
  }
  return 'done';
}

async function vzctlVerb(api: CommandApi, verb: 'quotainit' | 'quotaon' | 'quotaoff', argv: string[]): Promise<number> {
  if (argv.length !== 1 || argv[0]!.startsWith('-')) throw vzError('BAD_PARAM', `vzctl ${verb}: one CTID expected`, { hint: `usage: vzctl ${verb} CTID` });
  const ctid = await api.runtime.resolveId(argv[0]!);
  await withQuota(api, ctid, verb, async (ctx, status) => {
    if (verb === 'quotainit') return init(ctx, status, QUOTA_EXITS.QUOTA_INIT);
    // vzctl's quotaon on a running quota applies the limits instead; here they hold already.
    if (verb === 'quotaon') return on(ctx, status, true);
    // vzctl treats "quota is not running" as done.
    return off(ctx, status, QUOTA_EXITS.QUOTA_OFF);
  });
  return 0;
}

function vzquotaCommand(name: 'init' | 'on' | 'off' | 'drop' | 'setlimit', summary: string): CommandDecl {
  return { tool: 'vzquota', name, summary, usage: `vzquota ${name} ${USAGE[name]}`, run: (api, argv) => vzquota(api, name, argv) };
}

function vzctlCommand(name: 'quotainit' | 'quotaon' | 'quotaoff', summary: string): CommandDecl {
  return { tool: 'vzctl', name, summary, usage: `vzctl ${name} CTID`, run: (api, argv) => vzctlVerb(api, name, argv) };
}

export const QUOTA_COMMANDS: readonly CommandDecl[] = [
  vzctlCommand('quotainit', 'give a stopped VE its disk quota now (its files moved onto the disk), from DISKSPACE/DISKINODES in its config'),
  vzctlCommand('quotaon', 'turn a stopped VE\'s disk quota on (its disk mounted, or its limits set); start and mount do it themselves'),
  vzctlCommand('quotaoff', 'turn a stopped VE\'s disk quota off (its disk unmounted, or its limits lifted until the next start)'),
  vzquotaCommand('init', 'give a stopped VE its disk quota now; limits given are saved in its config'),
  vzquotaCommand('on', 'turn a stopped VE\'s quota on (exit 5 if it is, 11 if it has none)'),
  vzquotaCommand('off', 'turn a stopped VE\'s quota off (exit 6 if it is not on, 3 while the VE uses its disk)'),
  vzquotaCommand('drop', 'take a stopped VE\'s disk away, its files moved off it'),
  vzquotaCommand('setlimit', 'change the limits: saved in the config, live on a running VE'),
];
