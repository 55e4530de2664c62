/**
 * Supervision without a process per VE. vzkitd runs under its reaper (`vzlaunch reaper`),
 * a child subreaper: every init started by vzkitd — API, forwarded vzctl, boot, a
 * reboot's restart — is reparented to it when the launcher exits, and the reaper writes
 * one line per reaped child on fd 3: `exit PID STARTTIME STATUS`. The wait status says
 * why a guest ended: SIGHUP after reboot(2), SIGINT after halt/poweroff (the connector's
 * and pidfd's exit codes say SIGKILL for both: only a parent sees the difference).
 *
 * Then: a reboot stops the VE (its cleanup) and starts it again; a halt cleans up and
 * leaves it stopped — nothing is killed, the guest has already ended; any other end is
 * cleaned up and reported. An operation holding the VE (`vzctl stop`, a restart) is left
 * to finish: it caused the end. VEs whose init is not vzkitd's child (started by a vzctl
 * run without vzkitd, or before this reaper) are found dead by the periodic sampling and
 * cleaned up like any vzctl call would, with how they ended unknown.
 */
import { createInterface } from 'node:readline';
import { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { BOOTORDER, DISABLED, ONBOOT, isVzError, type Logger, type Runtime } from '@vzkit/core';
import type { EventHub } from './hub.js';
import { shownOf, type Inventory, type Shown } from './inventory.js';
import type { Metrics } from './metrics.js';
import { describeEnd, initEnd } from './wait-status.js';
import './events.js';

/** Reboots within {@link LOOP_WINDOW_MS} after which a VE is left down. */
const LOOP_REBOOTS = 5;
const LOOP_WINDOW_MS = 60_000;
/** How long an exit waits for an operation holding the VE to end. */
const BUSY_WAIT_MS = 300_000;

export interface SupervisorDeps {
  /** The daemon's long-lived runtime: its bus is the daemon's (tapped into the hub). */
  rt: Runtime;
  /** A fresh runtime for one operation (its bus is tapped too). */
  newRuntime(log: Logger): Promise<Runtime>;
  inventory: Inventory;
  metrics: Metrics;
  hub: EventHub;
  log: Logger;
}

export class Supervisor {
  /** What the event stream last said about each VE, to tell others' changes from ours. */
  readonly #shown = new Map<number, Shown>();
  readonly #busy = new Map<number, Promise<void>>();
  readonly #reboots = new Map<number, number[]>();
  #reaper: Socket | undefined;
  /** Pids the reaper reported lately: their ends are onExit's, not the sampling's. */
  readonly #reported = new Set<number>();

  constructor(private readonly d: SupervisorDeps) {
    // Lifecycle events of the daemon's own operations set what was last shown.
    d.hub.subscribe((e) => {
      if (e.ctid === undefined) return;
      const to: Partial<Record<string, Shown>> = {
        've:started': 'running', 've:stopped': 'stopped', 've:created': 'stopped', 've:destroyed': 'absent', 've:mounted': 'mounted', 've:unmounted': 'stopped',
      };
      const s = to[e.type];
      if (s) this.#shown.set(e.ctid, s);
    });
  }

  /** Reads the reaper's reports from `fd` (VZKITD_REAPER_FD). */
  listenToReaper(fd: number): void {
    const sock = new Socket({ fd, readable: true, writable: false });
    this.#reaper = sock;
    const lines = createInterface({ input: sock, crlfDelay: Infinity });
    lines.on('line', (line) => {
      const exit = /^exit (\d+) (\d+) (-?\d+)$/.exec(line);
      if (exit) {
        this.#remember(Number(exit[1]));
        void this.onExit(Number(exit[1]), Number(exit[2]), Number(exit[3]));
      } else if (line.startsWith('lost ')) {
        // The reaper dropped reports while no worker ran: look at every VE.
        void this.tick();
      }
    });
    sock.on('error', (e) => this.d.log.warn(`reaper pipe: ${e.message}`));
  }

  close(): void {
    this.#reaper?.destroy();
  }

  #remember(pid: number): void {
    this.#reported.add(pid);
    if (this.#reported.size > 4096) this.#reported.delete(this.#reported.values().next().value!);
  }

  /**
   * Whether a dead init is for the sampling to clean up: not when the reaper reported it
   * (onExit knows how it ended), nor while a report may still be on its way (the reaper
   * reaps within milliseconds of the end).
   */
  async #unreported(pid: number): Promise<boolean> {
    if (!this.#reaper) return true;
    for (let i = 0; i < 10 && !this.#reported.has(pid); i++) await sleep(50);
    return !this.#reported.has(pid);
  }

  /** Runs fn for a VE after whatever supervision is already doing to it. */
  #serial(ctid: number, fn: () => Promise<void>): Promise<void> {
    const prev = this.#busy.get(ctid) ?? Promise.resolve();
    const next = prev.then(fn, fn).catch((e: unknown) => this.d.log.warn(`CT ${ctid}: supervision: ${e instanceof Error ? e.message : String(e)}`));
    this.#busy.set(ctid, next);
    void next.finally(() => {
      if (this.#busy.get(ctid) === next) this.#busy.delete(ctid);
    });
    return next;
  }

  /** The reaper reaped `pid` (started at `startTime` clock ticks) with wait status `status`. */
  async onExit(pid: number, startTime: number, status: number): Promise<void> {
    await this.d.inventory.refresh();
    const found = this.d.inventory.byInit(pid, startTime);
    // Not a VE's init (another orphan), or already cleaned up by whoever caused the end.
    if (!found) return;
    const ctid = found.ctid;
    const entry = await this.d.inventory.load(ctid);
    // An operation was on the VE (stopping, a restart): it caused the end and finishes it.
    if (entry?.state?.pid !== pid || entry.state.phase !== 'running') return;
    const end = initEnd(status);
    await this.#serial(ctid, async () => {
      if (!(await this.#cleanUp(ctid, pid))) return;
      const bus = this.d.rt.events;
      if (end.kind === 'reboot') bus.emit('vzkitd:reboot', ctid);
      else if (end.kind === 'halt') bus.emit('vzkitd:halt', ctid);
      else bus.emit('vzkitd:exit', ctid, describeEnd(end));
      this.#stopped(ctid);
      if (end.kind === 'reboot') await this.#restart(ctid);
    });
  }

  /**
   * Cleans up a VE whose init `pid` ended, the way every vzctl call would (unmounts,
   * cgroup, links); waits while an operation holds it. False when someone else dealt
   * with it meanwhile (a stop, a start: the recorded init is no longer `pid`).
   */
  async #cleanUp(ctid: number, pid: number): Promise<boolean> {
    const rt = await this.d.newRuntime(this.d.log);
    const deadline = Date.now() + BUSY_WAIT_MS;
    for (;;) {
      const before = await this.d.inventory.load(ctid);
      if (!before || before.state?.pid !== pid) return false;
      const s = await rt.status(ctid);
      if (!s.busy) {
        await this.d.inventory.load(ctid);
        return !s.running;
      }
      if (Date.now() > deadline) {
        this.d.rt.events.emit('vzkitd:gave-up', ctid, 'its init ended while another operation held it for too long');
        return false;
      }
      await sleep(200);
    }
  }

  #stopped(ctid: number): void {
    if (this.#shown.get(ctid) !== 'stopped') this.d.rt.events.emit('ve:stopped', ctid);
  }

  async #restart(ctid: number): Promise<void> {
    const now = Date.now();
    const recent = (this.#reboots.get(ctid) ?? []).filter((t) => now - t < LOOP_WINDOW_MS);
    recent.push(now);
    this.#reboots.set(ctid, recent);
    if (recent.length > LOOP_REBOOTS) {
      this.d.rt.events.emit('vzkitd:gave-up', ctid, `${recent.length} reboots within ${LOOP_WINDOW_MS / 1000} s; left stopped`);
      return;
    }
    const rt = await this.d.newRuntime(this.d.log);
    try {
      await rt.start(ctid);
    } catch (e) {
      // Started meanwhile by someone else is fine; anything else is said.
      if (isVzError(e) && e.code === 'VE_RUNNING') return;
      this.d.rt.events.emit('vzkitd:gave-up', ctid, `start after the guest's reboot failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * The periodic pass: the inventory, a metrics sample (the plugins' events), VEs whose
   * init is gone without a report (not our children) cleaned up, and changes made by
   * others (vzctl without vzkitd) turned into events.
   */
  async tick(): Promise<void> {
    const { ves } = await this.d.metrics.sample();
    const seen = new Set(ves.filter((v) => v.cgroupStats && (v.cgroupStats.pids?.current ?? 1) > 0).map((v) => v.ctid));
    for (const e of this.d.inventory.running()) {
      if (seen.has(e.ctid)) continue;
      const pid = e.state!.pid!;
      if (await this.d.rt.host.processes.alive(pid, e.state!.startTime)) continue;
      if (!(await this.#unreported(pid))) continue;
      await this.#serial(e.ctid, async () => {
        if (!(await this.#cleanUp(e.ctid, pid))) return;
        this.d.rt.events.emit('vzkitd:exit', e.ctid, 'unknown');
        this.#stopped(e.ctid);
      });
    }
    await this.observe();
  }

  /** Turns what the files show now into events where the stream said otherwise. */
  async observe(): Promise<void> {
    await this.d.inventory.refresh();
    const ids = new Set([...this.d.inventory.ves.keys(), ...this.#shown.keys()]);
    for (const ctid of ids) {
      const now = shownOf(this.d.inventory.ves.get(ctid));
      if (now === undefined) continue;
      const was = this.#shown.get(ctid);
      if (was === undefined) {
        // First sight (the daemon's start): no event, only what to compare with later.
        if (now !== 'absent') this.#shown.set(ctid, now);
        continue;
      }
      if (was === now) continue;
      const bus = this.d.rt.events;
      if (now === 'absent') bus.emit('ve:destroyed', ctid);
      else if (was === 'absent') bus.emit('ve:created', ctid);
      if (now === 'running') bus.emit('ve:started', ctid, this.d.inventory.ves.get(ctid)?.state?.pid ?? 0);
      else if (now === 'mounted') bus.emit('ve:mounted', ctid);
      else if (now === 'stopped' && was !== 'absent') bus.emit('ve:stopped', ctid);
      this.#shown.set(ctid, now);
      if (now === 'absent') this.#shown.delete(ctid);
    }
  }

  /**
   * What vzkitd does when it starts: every VE an operation left half done (a start of a
   * vzkitd that was killed) is finished or undone, and every VE whose init is gone
   * without a report is cleaned up, as the next vzctl call would.
   */
  async recover(): Promise<void> {
    await this.d.inventory.refresh();
    const rt = await this.d.newRuntime(this.d.log);
    for (const e of [...this.d.inventory.ves.values()]) {
      const phase = e.state?.phase;
      if (phase === undefined || phase === 'mounted') continue;
      const pid = e.state!.pid;
      if (phase === 'running' && pid !== undefined) {
        if (await this.d.rt.host.processes.alive(pid, e.state!.startTime)) continue;
        // Ended while no worker ran: the reaper kept its report, and onExit says how.
        if (!(await this.#unreported(pid))) continue;
      }
      await this.#serial(e.ctid, async () => {
        try {
          await rt.status(e.ctid);
        } catch (err) {
          this.d.log.warn(`CT ${e.ctid}: ${err instanceof Error ? err.message : String(err)}`);
        }
        await this.d.inventory.load(e.ctid);
      });
    }
    await this.observe();
  }

  /**
   * `vz start` at the host's boot: the ONBOOT VEs not running, highest BOOTORDER first,
   * one at a time, each with a `vzkitd:boot` event.
   */
  async boot(): Promise<void> {
    const rt = await this.d.newRuntime(this.d.log);
    const todo = (await rt.list())
      .filter((r) => r.status !== 'running' && r.config.get(ONBOOT) === true && r.config.get(DISABLED) !== true)
      .map((r) => ({ ctid: r.ctid, order: r.config.get(BOOTORDER) ?? 0 }))
      .sort((a, b) => b.order - a.order || a.ctid - b.ctid);
    for (const { ctid } of todo) {
      await this.#serial(ctid, async () => {
        try {
          await rt.start(ctid);
          this.d.rt.events.emit('vzkitd:boot', ctid, true);
        } catch (e) {
          this.d.rt.events.emit('vzkitd:boot', ctid, false, e instanceof Error ? e.message : String(e));
        }
      });
    }
  }
}
