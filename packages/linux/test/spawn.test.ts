import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnLauncher } from '../src/launcher/spawn.js';

// A stand-in for the launcher: it reads its spec on fd 3 and answers on fd 4, as vzlaunch does.
const dir = mkdtempSync(join(tmpdir(), 'vzkit-spawn-'));
const script = join(dir, 'fake-launcher');
writeFileSync(script, [
  '#!/bin/sh',
  'read line <&3',
  'echo "mode $1 got $line" >&4',
  // What a child of Node must not inherit: ignored or blocked signals (Node ignores SIGPIPE).
  // grep's own status, which it inherits from the shell: the shell's, read from outside,
  // shows every signal blocked while dash forks (sigblockall around fork()).
  'grep -E "^Sig(Ign|Blk):" /proc/self/status >&4',
  'echo "to stderr" >&2',
  'if [ "$line" = wait ]; then while :; do sleep 0.05; done; fi',
  'exit 3',
  '',
].join('\n'));
chmodSync(script, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const readAll = (s: Readable | null) => new Promise<string>((resolve) => {
  let text = '';
  s!.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve(text));
});

describe.each(['posix_spawn', 'fork'] as const)('spawnLauncher by %s', (how) => {
  it('gives the child its spec on fd 3 and its replies on fd 4, stderr on a pipe, and its exit status', async () => {
    const child = await spawnLauncher(script, 'start', ['ignore', 'ignore', 'pipe'], how);
    const replies = readAll(child.replies);
    const stderr = readAll(child.stderr);
    child.control.end('hello\n');
    expect(await child.exited).toEqual({ code: 3, signal: null });
    const lines = (await replies).split('\n');
    expect(lines[0]).toBe('mode start got hello');
    // posix_spawn's child gets what libuv gives its own (uv_spawn, as node:child_process
    // runs it outside a worker thread): every signal at its default and none blocked.
    if (how === 'posix_spawn') expect(lines.slice(1)).toEqual(['SigBlk:\t0000000000000000', 'SigIgn:\t0000000000000000', '']);
    expect(await stderr).toBe('to stderr\n');
    expect(child.stdin).toBeNull();
    expect(child.stdout).toBeNull();
  });

  it('reports the signal that killed it', async () => {
    const child = await spawnLauncher(script, 'exec', ['pipe', 'pipe', 'pipe'], how);
    const first = new Promise((resolve) => child.replies.once('data', resolve));
    child.control.write('wait\n');
    // It has read its spec: it runs.
    await first;
    child.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('rejects when the binary cannot be run, as child_process reports it', async () => {
    await expect(spawnLauncher(join(dir, 'missing'), 'start', ['ignore', 'ignore', 'pipe'], how)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
