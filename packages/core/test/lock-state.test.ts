import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VeLock } from '../src/lock.js';
import { StateStore, newState } from '../src/state.js';
import type { ProcessService } from '../src/host.js';
import type { VzError } from '../src/errors.js';

// Liveness as the kernel reports it, without start times (enough for lock semantics).
const procs: ProcessService = {
  startTime: async () => undefined,
  alive: async (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  },
  signal: async () => false,
  waitExit: async () => true,
  namespaceId: async () => undefined,
  // Never reached by a lock.
  setRlimit: async () => { throw new Error('not used'); },
  daemon: async () => { throw new Error('not used'); },
  run: async () => { throw new Error('not used'); },
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vzkit-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('VeLock', () => {
  it('is exclusive across holders and leaves no file once released', async () => {
    const a = new VeLock(join(dir, '101.lck'), 101, procs);
    const b = new VeLock(join(dir, '101.lck'), 101, procs);
    await a.acquire({ op: 'start' });
    const err = await b.acquire({ op: 'stop' }).catch((e: VzError) => e);
    expect((err as VzError).code).toBe('LOCKED');
    expect((err as VzError).exit).toBe(9);
    expect((err as VzError).message).toMatch(/CT 101 is locked .*pid \d+, start/);
    await a.release();
    expect(await readdir(dir)).toEqual([]);
    await b.acquire({ op: 'stop' });
    await b.release();
  });

  it('waits for a busy VE when asked to', async () => {
    const a = new VeLock(join(dir, '7.lck'), 7, procs);
    const b = new VeLock(join(dir, '7.lck'), 7, procs);
    await a.acquire({ op: 'start' });
    setTimeout(() => void a.release(), 150);
    const t0 = Date.now();
    await b.acquire({ op: 'stop', waitMs: 3000 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    await b.release();
  });

  it('takes over a lock whose holder is dead', async () => {
    const child = spawn('true');
    const pid = child.pid!;
    await new Promise((r) => child.on('exit', r));
    await writeFile(join(dir, '9.lck'), `${pid}\n\nstart\n`);
    const l = new VeLock(join(dir, '9.lck'), 9, procs);
    await l.acquire({ op: 'stop' });
    expect((await readFile(join(dir, '9.lck'), 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await l.release();
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('StateStore', () => {
  it('round-trips state atomically and removes its directory', async () => {
    const s = new StateStore(join(dir, '101', 'state.json'), 101);
    expect(await s.read()).toBeUndefined();
    const st = newState(101, 'starting', 'start');
    st.pid = 4242;
    await s.write(st);
    expect(await s.read()).toEqual(st);
    expect(await readdir(join(dir, '101'))).toEqual(['state.json']);
    await s.remove();
    expect(await readdir(dir)).toEqual([]);
  });

  it.each([
    ['not JSON', '{oops'],
    ['another CT', JSON.stringify({ ...newState(102, 'running', 'start') })],
    ['unknown phase', JSON.stringify({ ...newState(101, 'running', 'start'), phase: 'flying' })],
    ['bad pid', JSON.stringify({ ...newState(101, 'running', 'start'), pid: -1 })],
  ])('names a damaged state file (%s)', async (_, text) => {
    const s = new StateStore(join(dir, 'state.json'), 101);
    await writeFile(s.path, text);
    const err = (await s.read().catch((e) => e)) as VzError;
    expect(err.code).toBe('BAD_CONFIG');
    expect(err.message).toMatch(/^CT 101: state file .* is damaged/);
  });
});
