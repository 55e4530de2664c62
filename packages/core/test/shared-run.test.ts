import { describe, expect, it } from 'vitest';
import { reusedFor, sharedWhileRunning } from '../src/shared-run.js';

describe('sharedWhileRunning', () => {
  it('gives calls made while a read of their key is under way that read, and reads afresh after it settled', async () => {
    const read = sharedWhileRunning<string, number>();
    let reads = 0;
    let release!: () => void;
    const slow = () => new Promise<number>((resolve) => {
      reads++;
      release = () => resolve(reads);
    });
    const a = read('k', slow);
    const b = read('k', slow);
    const other = read('j', async () => 42);
    expect(reads).toBe(1);
    release();
    expect(await Promise.all([a, b, other])).toEqual([1, 1, 42]);
    const c = read('k', slow);
    expect(reads).toBe(2);
    release();
    expect(await c).toBe(2);
  });

  it('shares a failure too, and forgets it', async () => {
    const read = sharedWhileRunning<string, number>();
    const failing = read('k', () => Promise.reject(new Error('EIO')));
    await expect(read('k', async () => 1)).rejects.toThrow('EIO');
    await expect(failing).rejects.toThrow('EIO');
    expect(await read('k', async () => 1)).toBe(1);
  });
});

describe('reusedFor', () => {
  it('answers again from the last read for its time, per scope and key; reads afresh after it', async () => {
    const reused = reusedFor<number>(100);
    const [a, b] = [{}, {}];
    let reads = 0;
    const read = async () => ++reads;
    expect(await reused(a, 'k', read, 0)).toBe(1);
    expect(await reused(a, 'k', read, 99)).toBe(1);
    expect(await reused(b, 'k', read, 99)).toBe(2);
    expect(await reused(a, 'j', read, 99)).toBe(3);
    expect(await reused(a, 'k', read, 100)).toBe(4);
  });

  it('keeps neither a failure nor an answer `keep` refuses', async () => {
    const reused = reusedFor<boolean>(100, (v) => v);
    const scope = {};
    await expect(reused(scope, 'k', () => Promise.reject(new Error('EIO')), 0)).rejects.toThrow('EIO');
    expect(await reused(scope, 'k', async () => false, 1)).toBe(false);
    expect(await reused(scope, 'k', async () => true, 2)).toBe(true);
    expect(await reused(scope, 'k', async () => false, 3)).toBe(true);
  });
});
