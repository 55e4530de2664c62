import { execFileSync } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { LinuxProcessService, parseProcStat } from '../src/process.js';

const processes = new LinuxProcessService();
const ours: number[] = [];

/** A sleep that is not our child (its shell parent exits at once), like a VE's init. */
function orphanSleep(seconds: number): number {
  const pid = Number(execFileSync('sh', ['-c', `sleep ${seconds} >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' }).trim());
  ours.push(pid);
  return pid;
}

afterEach(async () => {
  for (const pid of ours.splice(0)) {
    await processes.signal(pid, 'SIGKILL');
    await processes.waitExit(pid, 5000);
  }
});

describe('LinuxProcessService', () => {
  it('reads the start time of a live process and guards against pid reuse', async () => {
    const pid = orphanSleep(30);
    const start = await processes.startTime(pid);
    expect(start).toBe(parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'))?.startTime);
    expect(await processes.alive(pid, start)).toBe(true);
    expect(await processes.alive(pid, start! + 1)).toBe(false);
  });

  it('waits for a process that is not its child, waking when it exits', async () => {
    const pid = orphanSleep(30);
    expect(await processes.waitExit(pid, 150)).toBe(false);
    setTimeout(() => void processes.signal(pid, 'SIGTERM'), 200);
    const t0 = Date.now();
    expect(await processes.waitExit(pid, 10_000)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(await processes.alive(pid)).toBe(false);
  });

  it('reports a gone process as gone', async () => {
    const pid = orphanSleep(30);
    await processes.signal(pid, 'SIGKILL');
    expect(await processes.waitExit(pid, 5000)).toBe(true);
    expect(await processes.startTime(pid)).toBeUndefined();
    expect(await processes.waitExit(pid, 100)).toBe(true);
  });

  it('reads namespace ids', async () => {
    expect(await processes.namespaceId(process.pid, 'pid')).toBe(await readlink('/proc/self/ns/pid'));
    expect(await processes.namespaceId(0x3fffffff, 'pid')).toBeUndefined();
  });
});
