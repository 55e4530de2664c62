/**
 * Runtime state of a VE in `<run>/<ctid>/state.json`. It is written *before* each side
 * effect (an intent record), so that after a crash the next vzctl can find and undo what
 * a killed operation left. It stores init's pid with its start time against pid reuse.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { vzError } from './errors.js';
import type { ChildOp } from './plan.js';

export type StatePhase = 'creating' | 'destroying' | 'mounting' | 'mounted' | 'starting' | 'running' | 'stopping' | 'converting';

export interface VeState {
  version: 1;
  ctid: number;
  phase: StatePhase;
  /** The operation that wrote this phase (for messages after a crash). */
  op: string;
  /** Plugins whose `mount` hook ran (or began). */
  mounted: string[];
  /** Plugins whose `prepare` hook ran (or began). */
  prepared: string[];
  cgroup?: string;
  pid?: number;
  startTime?: number;
  startedAt?: string;
  /** Namespaces init was cloned with: what exec/enter join. */
  namespaces?: string[];
  /** Ops each `exec`/`enter` runs after joining (LaunchPlan.joinOps: the seccomp filter). */
  joinOps?: ChildOp[];
  /** Persistent per-plugin state (PluginState). */
  plugins: Record<string, unknown>;
  /**
   * Raw config values in force on the running VE that `set` applied without --save
   * (null: removed). Loading a running VE puts them over its config; they end with the run.
   */
  live?: Record<string, string | null>;
  /**
   * An offline `set` (phase converting): the raw values it writes into the config once
   * the plugins' `convert` hooks are done (null: removed); absent until they are chosen.
   * Until the config holds them, a killed conversion is undone.
   */
  convert?: { overrides?: Record<string, string | null> };
  /**
   * Something reads the VE's files with the VE held still (`Runtime.hold`: a backup), and
   * this is what it did, written before it did it: the next operation after a holder
   * that died undoes it.
   */
  hold?: HoldRecord;
}

/** What a hold did to the VE (lifecycle/hold.ts). */
export interface HoldRecord {
  /** The holder's operation (`vzdump`), for messages. */
  op: string;
  /** The VE's processes are frozen: thaw them. */
  frozen?: boolean;
  /** It was running and was stopped for the hold: it is not started again by an undo, which says so. */
  stopped?: boolean;
  /** Its root was mounted for the hold: unmount it. */
  mounted?: boolean;
  /** Files the holder is writing (a partial archive): removed if it dies. */
  files?: string[];
}

const PHASES: readonly StatePhase[] = ['creating', 'destroying', 'mounting', 'mounted', 'starting', 'running', 'stopping', 'converting'];

function checkState(v: unknown, ctid: number, path: string): VeState {
  const bad = (what: string) => vzError('BAD_CONFIG', `CT ${ctid}: state file ${path} is damaged: ${what}`, {
    hint: `run 'vzctl stop ${ctid} --fast' to clean up, or remove the file if nothing of the VE remains`,
  });
  if (typeof v !== 'object' || v === null) throw bad('not a JSON object');
  const s = v as Partial<VeState>;
  if (s.version !== 1) throw bad(`unknown version ${String(s.version)}`);
  if (s.ctid !== ctid) throw bad(`it belongs to CT ${String(s.ctid)}`);
  if (!PHASES.includes(s.phase as StatePhase)) throw bad(`unknown phase ${String(s.phase)}`);
  if (!Array.isArray(s.mounted) || !Array.isArray(s.prepared)) throw bad('plugin lists missing');
  if (s.pid !== undefined && (!Number.isInteger(s.pid) || s.pid <= 0)) throw bad(`pid ${String(s.pid)}`);
  if (typeof s.plugins !== 'object' || s.plugins === null) throw bad('plugins missing');
  if (s.live !== undefined && (typeof s.live !== 'object' || s.live === null || Object.values(s.live).some((x) => x !== null && typeof x !== 'string'))) {
    throw bad('live values are not strings');
  }
  const overrides = s.convert?.overrides;
  if (s.convert !== undefined && (typeof s.convert !== 'object' || s.convert === null
    || (overrides !== undefined && (typeof overrides !== 'object' || overrides === null || Object.values(overrides).some((x) => x !== null && typeof x !== 'string'))))) {
    throw bad('conversion values are not strings');
  }
  const hold = s.hold;
  if (hold !== undefined && (typeof hold !== 'object' || hold === null || typeof hold.op !== 'string'
    || (hold.files !== undefined && (!Array.isArray(hold.files) || hold.files.some((f) => typeof f !== 'string' || !f.startsWith('/')))))) {
    throw bad('hold record is not one');
  }
  if (s.joinOps !== undefined && (!Array.isArray(s.joinOps) || s.joinOps.some((o) => typeof o !== 'object' || o === null || typeof o.op !== 'string'))) {
    throw bad('join ops are not ops');
  }
  return s as VeState;
}

export class StateStore {
  constructor(readonly path: string, readonly ctid: number) {}

  /** Read synchronously, as it is written (atomic-file.ts): a small file in the run directory. */
  async read(): Promise<VeState | undefined> {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw checkState(undefined, this.ctid, this.path);
    }
    return checkState(json, this.ctid, this.path);
  }

  async write(state: VeState): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify(state, null, 1) + '\n', 0o600, { durable: false });
  }

  /**
   * Removes the state and the VE's run directory with it (the console log of the run
   * that ended lives there too): a stopped VE leaves nothing under the run dir.
   */
  async remove(): Promise<void> {
    await rm(this.path, { force: true });
    await rm(dirname(this.path), { recursive: true, force: true });
  }
}

export function newState(ctid: number, phase: StatePhase, op: string): VeState {
  return { version: 1, ctid, phase, op, mounted: [], prepared: [], plugins: {} };
}
