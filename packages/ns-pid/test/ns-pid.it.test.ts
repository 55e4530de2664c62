/** ns-pid on the real kernel: init is PID 1 of its own namespace and halts on stop. */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nsPidPlugin } from '../src/index.js';
import { haltingInit, linuxVe, stubbornInit, type LinuxVe } from '@vzkit/linux/testing';

const canRun = process.getuid?.() === 0;
let t: LinuxVe;

describe.skipIf(!canRun)('ns-pid on this kernel', () => {
  beforeEach(async () => {
    t = await linuxVe([nsPidPlugin]);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('runs init as PID 1 of a new pid namespace', async () => {
    const ctid = await t.create(haltingInit('/dev/null'));
    const pid = await t.runtime.start(ctid);
    expect(await t.host.processes.namespaceId(pid, 'pid')).not.toBe(await t.host.processes.namespaceId(process.pid, 'pid'));
    const r = await t.sh(ctid, 'echo $$');
    expect(r.code).toBe(0);
    // Init is 1, its sleeps and this shell come next.
    expect(Number(r.stdout)).toBeGreaterThan(1);
    expect(Number(r.stdout)).toBeLessThan(50);
    expect((await readFile(`/proc/${pid}/status`, 'utf8')).match(/^NSpid:.*\s1$/m)).not.toBeNull();
  });

  it('stop asks init to halt (SIGUSR2) and init exits by itself', async () => {
    const marker = join(t.dir, 'halted');
    const ctid = await t.create(haltingInit(marker));
    const pid = await t.runtime.start(ctid);
    const started = Date.now();
    await t.runtime.stop(ctid, { timeoutMs: 10_000 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await readFile(marker, 'utf8')).toBe('halted\n');
    expect(await t.host.processes.alive(pid)).toBe(false);
    expect((await t.runtime.status(ctid)).running).toBe(false);
    expect(t.warnings).toEqual([]);
  });

  it('stop --fast kills init without asking', async () => {
    const marker = join(t.dir, 'halted');
    const ctid = await t.create(haltingInit(marker));
    const pid = await t.runtime.start(ctid);
    await t.runtime.stop(ctid, { fast: true });
    expect(await t.host.processes.alive(pid)).toBe(false);
    expect(existsSync(marker)).toBe(false);
  });

  /** A copy of the host's shell under `name`, so /proc shows init as that program. */
  async function shellNamed(name: string): Promise<string> {
    const path = join(t.dir, 'guest-bin', name);
    await mkdir(join(t.dir, 'guest-bin'), { recursive: true });
    await copyFile('/bin/sh', path);
    return path;
  }

  /** An init that records which halt request it got: SIGRTMIN+4 (38), SIGINT or SIGUSR2. */
  function recordingInit(marker: string): string {
    const on = (sig: string) => `trap 'echo ${sig} > ${marker}; exit 0' ${sig}`;
    return `${on('38')}; ${on('INT')}; ${on('USR2')}; while :; do sleep 1 & wait $!; done`;
  }

  it('powers a systemd init off with SIGRTMIN+4', async () => {
    const marker = join(t.dir, 'halted');
    const ctid = await t.create(recordingInit(marker), {}, await shellNamed('systemd'));
    const pid = await t.runtime.start(ctid);
    expect((await readFile(`/proc/${pid}/comm`, 'utf8')).trim()).toBe('systemd');
    await t.runtime.stop(ctid, { timeoutMs: 10_000 });
    expect(await readFile(marker, 'utf8')).toBe('38\n');
    expect(await t.host.processes.alive(pid)).toBe(false);
  });

  it('sends SIGINT to a sysvinit init in a VE without its own mount namespace (never the host\'s telinit)', async () => {
    const marker = join(t.dir, 'halted');
    const ctid = await t.create(recordingInit(marker), {}, await shellNamed('init'));
    const pid = await t.runtime.start(ctid);
    await t.runtime.stop(ctid, { timeoutMs: 10_000 });
    expect(await readFile(marker, 'utf8')).toBe('INT\n');
    expect(await t.host.processes.alive(pid)).toBe(false);
  });

  it('an init that ignores the halt is killed after STOP_TIMEOUT', async () => {
    const ctid = await t.create(stubbornInit, { STOP_TIMEOUT: '1' });
    const pid = await t.runtime.start(ctid);
    const started = Date.now();
    await t.runtime.stop(ctid);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(10_000);
    expect(await t.host.processes.alive(pid)).toBe(false);
    expect(t.warnings).toEqual([`CT ${ctid} [ns-pid]: init did not halt within 1 s, killing`]);
  });
});
