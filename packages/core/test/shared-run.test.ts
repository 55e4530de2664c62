import { describe, expect, it } from 'vitest';
import { sharedWhileRunning } from '../src/shared-run.js';

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
