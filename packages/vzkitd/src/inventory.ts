/**
 * What vzkitd knows of the VEs of its root between operations: each VE's config (parsed
 * once, again only when its file, vz.conf or its state changes) and its state.json (read
 * again only when it changes). A refresh costs two stat calls per VE, which is what lets
 * a metrics scrape of a thousand VEs skip the per-VE loading every vzctl does.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { NAME, StateStore, type ConfigView, type Runtime, type VeState, type VzPaths } from '@vzkit/core';

export interface VeEntry {
  ctid: number;
  name: string | undefined;
  config: ConfigView;
  state: VeState | undefined;
  confStamp: string;
  stateStamp: string | undefined;
}

/** The status a VE shows for events: transitional phases keep the last one. */
export type Shown = 'absent' | 'stopped' | 'mounted' | 'running';

function stamp(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.mtimeMs}:${st.size}:${st.ino}`;
  } catch {
    return undefined;
  }
}

export function shownOf(e: VeEntry | undefined): Shown | undefined {
  if (!e) return 'absent';
  const phase = e.state?.phase;
  if (phase === undefined) return 'stopped';
  if (phase === 'running') return 'running';
  if (phase === 'mounted') return 'mounted';
  return undefined;
}

export class Inventory {
  readonly ves = new Map<number, VeEntry>();
  #globalStamp: string | undefined;
  #refreshing: Promise<void> | undefined;
  #queued: Promise<void> | undefined;

  constructor(private readonly rt: Runtime, private readonly paths: VzPaths) {}

  statePath(ctid: number): string {
    return join(this.paths.run, String(ctid), 'state.json');
  }

  /**
   * Brings the view in line with the files as they are now: a caller that comes while a
   * pass runs waits for the next one (the running pass may have read a file before the
   * change the caller knows of); callers that come meanwhile share that next pass.
   */
  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#queued ??= this.#refreshing.then(() => {
        this.#queued = undefined;
        return this.refresh();
      });
      return this.#queued;
    }
    this.#refreshing = this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(): Promise<void> {
    const global = stamp(this.paths.globalConf) ?? '-';
    const globalChanged = global !== this.#globalStamp;
    this.#globalStamp = global;
    let names: string[] = [];
    try {
      names = readdirSync(this.paths.confDir);
    } catch {
      // No VE was ever made in this root.
    }
    const ctids = new Set(names.flatMap((n) => (/^\d+\.conf$/.test(n) ? [Number(n.slice(0, -5))] : [])));
    for (const ctid of [...this.ves.keys()]) if (!ctids.has(ctid)) this.ves.delete(ctid);
    for (const ctid of ctids) {
      const confStamp = stamp(join(this.paths.confDir, `${ctid}.conf`));
      if (confStamp === undefined) {
        this.ves.delete(ctid);
        continue;
      }
      const stateStamp = stamp(this.statePath(ctid));
      const old = this.ves.get(ctid);
      if (old && !globalChanged && old.confStamp === confStamp && old.stateStamp === stateStamp) continue;
      await this.load(ctid, confStamp, stateStamp);
    }
  }

  /** Reads one VE again (after the daemon changed it, or its files changed). */
  async load(ctid: number, confStamp = stamp(join(this.paths.confDir, `${ctid}.conf`)), stateStamp = stamp(this.statePath(ctid))): Promise<VeEntry | undefined> {
    if (confStamp === undefined) {
      this.ves.delete(ctid);
      return undefined;
    }
    try {
      const state = stateStamp === undefined ? undefined : await new StateStore(this.statePath(ctid), ctid).read();
      const config = await this.rt.config(ctid);
      const entry: VeEntry = { ctid, name: config.get(NAME), config, state, confStamp, stateStamp };
      this.ves.set(ctid, entry);
      return entry;
    } catch {
      // Half written or gone meanwhile: keep what was known, and look again next time.
      const old = this.ves.get(ctid);
      if (old) old.confStamp = '';
      return old;
    }
  }

  /** VEs whose state says their init runs. */
  running(): VeEntry[] {
    return [...this.ves.values()].filter((e) => e.state?.phase === 'running' && e.state.pid !== undefined && e.state.cgroup !== undefined);
  }

  /** The VE whose init is `pid` started at `startTime` (clock ticks), if any. */
  byInit(pid: number, startTime: number | undefined): VeEntry | undefined {
    for (const e of this.ves.values()) {
      if (e.state?.pid === pid && (startTime === undefined || startTime === 0 || e.state.startTime === startTime)) return e;
    }
    return undefined;
  }
}
