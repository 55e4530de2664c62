/**
 * `vzcpucheck [-v]`: the CPU units promised to the running VEs (and the host's own
 * 1000) against the node's power, as OpenVZ's tool counts them: power = sum of the
 * CPUs' bogomips x 25.
 */
import { vzError, type CommandDecl } from '@vzkit/core';
import { CPUUNITS, DEFAULT_CPUUNITS } from './config.js';

/** The host's own share (OpenVZ's VE0CPUUNITS default). */
const HOST_UNITS = 1000;

export function nodePower(cpuinfo: string): number {
  const bogomips = [...cpuinfo.matchAll(/^bogomips\s*:\s*([\d.]+)$/gim)].map((m) => Number(m[1]));
  return Math.round(bogomips.reduce((a, b) => a + b, 0) * 25);
}

export const vzcpucheckCommand: CommandDecl = {
  tool: 'vzcpucheck',
  name: 'vzcpucheck',
  summary: 'CPU units given to running VEs against the power of the node',
  usage: 'vzcpucheck [-v]',
  async run(api, argv) {
    const verbose = argv.includes('-v') || argv.includes('--verbose');
    const bad = argv.find((a) => a !== '-v' && a !== '--verbose');
    if (bad !== undefined) throw vzError('BAD_PARAM', `vzcpucheck: unknown argument ${bad}`, { hint: 'usage: vzcpucheck [-v]' });
    const running = (await api.runtime.list()).filter((r) => r.status === 'running');
    const units = running.map((r) => ({ ctid: r.ctid, units: r.config.get(CPUUNITS) ?? DEFAULT_CPUUNITS }));
    const total = HOST_UNITS + units.reduce((a, u) => a + u.units, 0);
    const power = nodePower(await api.runtime.host.fs.readFile('/proc/cpuinfo'));
    if (verbose) {
      api.out('VEID      CPUUNITS');
      api.out('-------------------------');
      api.out(`0         ${HOST_UNITS}`);
      for (const u of units) api.out(`${String(u.ctid).padEnd(10)}${u.units}`);
    }
    api.out(`Current CPU utilization: ${total}`);
    api.out(`Power of the node: ${power}`);
    if (total > power) api.out('Warning: hardware node is overcommitted');
    return 0;
  },
};
