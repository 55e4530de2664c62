/**
 * The binaries' exit: all of a long output reaches a reader on a pipe. Node writes what
 * the pipe takes at once and queues the rest, which a bare process.exit() dropped
 * (`vzubc -j` of 100 VEs lost its end). Runs the real module in a child Node (it strips
 * the types itself), its stdout a pipe read by spawnSync, as a benchmark reads vzubc.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const stdio = fileURLToPath(new URL('../src/bin/stdio.ts', import.meta.url));

function child(body: string) {
  const script = `import { processIo, exitWhenFlushed } from ${JSON.stringify(stdio)}; processIo(); ${body}`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 1 << 24 });
}

describe('exitWhenFlushed', () => {
  it('exits with the code after the pipe took every byte', () => {
    const r = child("for (let i = 0; i < 5000; i++) process.stdout.write('y'.repeat(99) + '\\n'); await exitWhenFlushed(3);");
    expect(r.stderr).toBe('');
    expect(r.stdout.length).toBe(500_000);
    expect(r.status).toBe(3);
  });

  it('a reader that went away ends the output quietly, not the command', async () => {
    const script = `import { processIo, exitWhenFlushed } from ${JSON.stringify(stdio)}; processIo(); for (let i = 0; i < 5000; i++) process.stdout.write('y'.repeat(99) + '\\n'); await exitWhenFlushed(4);`;
    const c = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (d) => { stderr += d; });
    // Like `| head -c 100`: read a little, then close the pipe.
    c.stdout.once('data', () => c.stdout.destroy());
    const status = await new Promise((resolve) => c.on('close', resolve));
    expect(stderr).toBe('');
    expect(status).toBe(4);
  });
});
