/** The process's own streams as the tools' io; stdin is opened only if a command reads it. */
import { isatty } from 'node:tty';
import type { CliIo } from '../io.js';

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    get stdin() {
      return process.stdin;
    },
    isTTY: isatty(0),
    inherit: true,
  };
}
