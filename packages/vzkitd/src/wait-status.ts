/** A raw wait status (what waitpid(2) stores) in words. */
import { constants } from 'node:os';

export type InitEnd =
  | { kind: 'reboot' }
  | { kind: 'halt' }
  | { kind: 'exit'; code: number }
  | { kind: 'signal'; signal: number };

/**
 * How a VE's init ended, as its parent sees it. reboot(2) in a PID namespace ends the
 * namespace's init and the kernel reports the group's exit as SIGHUP for a restart and
 * SIGINT for halt or power-off (kernel/pid_namespace.c, reboot_pid_ns); anything else is
 * the init's own exit or a signal from outside.
 */
export function initEnd(status: number): InitEnd {
  const sig = status & 0x7f;
  if (sig === 0) return { kind: 'exit', code: (status >> 8) & 0xff };
  if (sig === constants.signals.SIGHUP) return { kind: 'reboot' };
  if (sig === constants.signals.SIGINT) return { kind: 'halt' };
  return { kind: 'signal', signal: sig };
}

export function describeEnd(end: InitEnd): string {
  switch (end.kind) {
    case 'reboot': return 'reboot';
    case 'halt': return 'halt';
    case 'exit': return `exit ${end.code}`;
    case 'signal': {
      const name = Object.entries(constants.signals).find(([, n]) => n === end.signal)?.[0];
      return `signal ${name ?? end.signal}`;
    }
  }
}
