/**
 * The contract's programs on the real kernel (cgroup-contract.ts): sleep, a shell that
 * forks, dd filling a buffer — small and quick to start in the emulated guest, unlike
 * python or node. Each is a child of the test, ended by its pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { ContractProcess, ContractProcesses, ProcessExit } from './cgroup-contract.js';

export function kernelProcesses(): ContractProcesses {
  const started: ChildProcess[] = [];

  const start = (argv: string[], stdin: 'ignore' | 'pipe' = 'ignore'): ContractProcess => {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: [stdin, 'ignore', 'ignore'] });
    started.push(child);
    const ended = new Promise<ProcessExit>((res) => child.once('exit', (code, signal) => res({ code, signal })));
    return {
      pid: child.pid!,
      go: () => child.stdin!.end('go\n'),
      exit: () => ended,
    };
  };

  return {
    sleeper: () => start(['sleep', '60']),
    forker: (n) => start(['sh', '-c', `read go; for i in ${Array.from({ length: n }, (_, i) => i + 1).join(' ')}; do sleep 30 & done; wait`], 'pipe'),
    hog: (mib) => start(['sh', '-c', `read go; exec dd if=/dev/zero of=/dev/null bs=${mib}M count=1 status=none`], 'pipe'),
    async reap() {
      for (const child of started.splice(0)) {
        if (child.exitCode === null && child.signalCode === null) {
          try { process.kill(child.pid!, 'SIGKILL'); } catch { /* already gone */ }
        }
      }
    },
  };
}
