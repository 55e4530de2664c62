import { chmodSync, closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sealedLauncher } from '../src/launcher/sealed-image.js';
import { spawnLauncher } from '../src/launcher/spawn.js';

const dir = mkdtempSync(join(tmpdir(), 'vzkit-sealed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the launcher’s sealed copy', () => {
  it('is one sealed memfd with the binary’s content, made again when the file changes', () => {
    const binary = join(dir, 'true');
    copyFileSync('/bin/true', binary);
    const a = sealedLauncher(binary);
    const b = sealedLauncher(binary);
    expect(a.path).toMatch(/^\/proc\/self\/fd\/\d+$/);
    expect(b.path).toBe(a.path);
    expect(readFileSync(a.path)).toEqual(readFileSync(binary));
    // Sealed: nobody who reaches it (a VE, through /proc/PID/exe of a launcher) can change it.
    let fd = -1;
    try {
      fd = openSync(a.path, 'r+');
      expect(() => writeSync(fd, 'x', 0)).toThrow(expect.objectContaining({ code: 'EPERM' }));
    } finally {
      if (fd >= 0) closeSync(fd);
    }
    a.release();
    b.release();

    const held = sealedLauncher(binary);
    writeFileSync(binary, Buffer.concat([readFileSync('/bin/true'), Buffer.from('rebuilt')]));
    const next = sealedLauncher(binary);
    expect(next.path).not.toBe(held.path);
    expect(readFileSync(next.path).subarray(-7).toString()).toBe('rebuilt');
    // The old copy stays open while a spawn may still resolve its path.
    expect(readFileSync(held.path)).toEqual(readFileSync('/bin/true'));
    held.release();
    next.release();
  });

  it('is not made of a script: that runs from its own path', () => {
    const script = join(dir, 'script');
    writeFileSync(script, '#!/bin/sh\nexit 0\n');
    chmodSync(script, 0o755);
    expect(sealedLauncher(script).path).toBe(script);
  });

  it('is what posix_spawn runs: the child’s executable is the memfd', async () => {
    const binary = join(dir, 'sleep');
    copyFileSync('/bin/sleep', binary);
    chmodSync(binary, 0o755);
    // `sleep 5` in place of a launcher's mode: it stays while we look at what it runs.
    const child = await spawnLauncher(binary, '5', ['ignore', 'ignore', 'ignore'], 'posix_spawn');
    try {
      const exe = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0')[0];
      expect(exe).toBe(binary);
      expect(readlinkSync(`/proc/${child.pid}/exe`)).toMatch(/^\/memfd:vzlaunch/);
    } finally {
      child.kill('SIGKILL');
      await child.exited;
    }
  });
});
