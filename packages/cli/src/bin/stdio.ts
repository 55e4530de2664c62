/** The process's own streams as the tools' io; stdin is opened only if a command reads it. */
import { isatty } from 'node:tty';
import type { CliIo } from '../io.js';

export function processIo(): CliIo {
  // A reader that went away (`vzctl --help | head -1`) ends the output, not the command:
  // an operation half done because its messages had nowhere to go would be worse.
  for (const s of [process.stdout, process.stderr]) {
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
  }
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    get stdin() {
      return process.stdin;
    },
    isTTY: isatty(0),
    inherit: true,
    stdoutIsTTY: isatty(1),
    self: [process.execPath, process.argv[1]!],
  };
}

/**
 * Exits with `code` once stdout and stderr have taken all that was written to them. On a
 * pipe, Node writes what the pipe takes at once and queues the rest; process.exit()
 * would drop the queue (`vzubc -j` of 100 VEs lost its last kilobytes to spawnSync).
 */
export async function exitWhenFlushed(code: number): Promise<never> {
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((resolve) => {
    try {
      s.write('', () => resolve());
    } catch {
      resolve();
    }
  })));
  process.exit(code);
}
