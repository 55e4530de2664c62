/**
 * Ranges being handed out. Between the choice of a range and the moment a config holds
 * it (the end of a create or a conversion) only a reservation tells other vzctl runs
 * that the range is taken: `<run>/ns-user/ranges/<CTID>`, written under the root-wide
 * lock `<run>/ns-user/ranges.lock` by the process that chose it. A reservation counts
 * while that process lives; a killed create or conversion leaves one that the next
 * choice ignores and removes (its VE is undone by the next operation on it). Nothing
 * but configs records a range for longer, so a destroyed VE's range is free again.
 */
import { dirname, join } from 'node:path';
import { FileLock, isVzError, type Host, type VePaths } from '@vzkit/core';
import type { IdRange } from './ranges.js';

/** What a reservation holds: the range of each kind it took (undefined: none of that kind). */
export interface Reservation {
  ctid: number;
  uid?: IdRange;
  gid?: IdRange;
}

interface ReservationFile {
  pid: number;
  startTime: number | null;
  uid: IdRange | null;
  gid: IdRange | null;
}

/** `<run>/ns-user`: beside the VEs' run directories of this vzkit root. */
export function reservationDir(paths: VePaths): string {
  return join(dirname(paths.runDir), 'ns-user');
}

/** The lock under which ranges are chosen: every create and conversion of this vzkit root takes it. */
export function rangeLock(host: Host, paths: VePaths): FileLock {
  return new FileLock(join(reservationDir(paths), 'ranges.lock'), 'the id ranges of this vzkit root', host.processes, host.fs);
}

const fileOf = (paths: VePaths, ctid: number) => join(reservationDir(paths), 'ranges', String(ctid));

function isMissing(e: unknown): boolean {
  return (isVzError(e) && e.errno === 'ENOENT') || (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function parseReservation(text: string): ReservationFile | undefined {
  try {
    const v = JSON.parse(text) as ReservationFile;
    return Number.isInteger(v.pid) && v.pid > 0 ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reservations whose process still runs, except `ctid`'s own (call under the lock, and
 * before reading the configs); those of dead processes are removed. A reservation is
 * written whole before the lock is released, so one that reads badly is a dead writer's.
 */
export async function liveReservations(host: Host, paths: VePaths, ctid: number): Promise<Reservation[]> {
  const dir = join(reservationDir(paths), 'ranges');
  if (!(await host.fs.exists(dir))) return [];
  const out: Reservation[] = [];
  for (const name of await host.fs.readdir(dir)) {
    if (!/^\d+$/.test(name) || Number(name) === ctid) continue;
    const path = join(dir, name);
    let text: string;
    try {
      text = await host.fs.readFile(path);
    } catch (e) {
      // Released meanwhile: its config holds the range now (or the create was undone).
      if (isMissing(e)) continue;
      throw e;
    }
    const r = parseReservation(text);
    if (r && (await host.processes.alive(r.pid, r.startTime ?? undefined))) {
      out.push({ ctid: Number(name), ...(r.uid ? { uid: r.uid } : {}), ...(r.gid ? { gid: r.gid } : {}) });
    } else {
      await host.fs.remove(path).catch((e: unknown) => { if (!isMissing(e)) throw e; });
    }
  }
  return out;
}

/** Records `r` as chosen by this process (call under the lock). */
export async function reserve(host: Host, paths: VePaths, r: Reservation): Promise<void> {
  await host.fs.mkdir(join(reservationDir(paths), 'ranges'), { recursive: true, mode: 0o700 });
  const body: ReservationFile = { pid: process.pid, startTime: (await host.processes.startTime(process.pid)) ?? null, uid: r.uid ?? null, gid: r.gid ?? null };
  await host.fs.writeFile(fileOf(paths, r.ctid), `${JSON.stringify(body)}\n`, { mode: 0o600 });
}

/** Drops CT `ctid`'s reservation: its config holds the range now, or the create was undone. */
export async function release(host: Host, paths: VePaths, ctid: number): Promise<void> {
  await host.fs.remove(fileOf(paths, ctid)).catch((e: unknown) => { if (!isMissing(e)) throw e; });
}
