// The benchmarks' "host" network: a network namespace made here, with loopback up and
// one address of the host (198.19.255.1) on it, so that nothing a benchmark does reaches
// the machine's own network. vzctl runs in it (through nsenter), so the VEs' venet pairs
// and host routes live there and vanish with it. Addresses come from 198.18.0.0/15.
import { spawn } from 'node:child_process';
import { run } from './measure.mjs';

export const HOST_IP = '198.19.255.1';

/** The i-th VE address (i from 0): 198.18.1.1, 198.18.1.2, ... 250 a /24. */
export const veAddress = (i) => `198.18.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
/** The i-th extra address of the host (on its loopback): 198.19.1.1, ... */
export const hostAddress = (i) => `198.19.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;

export function benchNetns(tag) {
  const name = `vzkit-bench-${tag}-${process.pid}`;
  run(['ip', 'netns', 'add', name]);
  const inNs = (argv) => ['nsenter', `--net=/run/netns/${name}`, '--', ...argv];
  /** Long-running processes started in the namespace: killed (by pid) when it goes. */
  const children = new Set();
  const remove = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    run(['ip', 'netns', 'del', name], { allowFail: true });
  };
  try {
    run(inNs(['ip', 'link', 'set', 'lo', 'up']));
    run(inNs(['ip', 'addr', 'add', `${HOST_IP}/32`, 'dev', 'lo']));
    run(inNs(['sysctl', '-qw', 'net.ipv4.ip_forward=1']));
  } catch (e) {
    remove();
    throw e;
  }
  return {
    name,
    inNs,
    remove,
    /** Starts a long-running process in the namespace (nsenter execs it: its pid is the child's). */
    spawn(argv, opts) {
      const full = inNs(argv);
      const child = spawn(full[0], full.slice(1), opts);
      children.add(child);
      child.on('exit', () => children.delete(child));
      return child;
    },
    /** Puts more host addresses on the namespace's loopback (one `ip -batch` call). */
    addLoopbackAddresses(addrs) {
      if (addrs.length) run(inNs(['ip', '-batch', '-']), { input: addrs.map((a) => `addr add ${a}/32 dev lo\n`).join('') });
    },
  };
}
