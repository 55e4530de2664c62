import { describe, expect, it } from 'vitest';
import { chooseCpus, CPULIMIT, CPUMASK, CPUUNITS, cpuProblem, formatCpuList, nodePower, parseCpuList, planCpu, unitsToWeight } from '../src/index.js';

const online = [0, 1, 2, 3];

describe('cpu lists', () => {
  it('parse and print as the kernel does', () => {
    expect(parseCpuList('0-2,7')).toEqual([0, 1, 2, 7]);
    expect(formatCpuList([7, 0, 2, 1, 1])).toBe('0-2,7');
    expect(formatCpuList([0, 2, 4])).toBe('0,2,4');
    for (const bad of ['', 'a', '3-1', '1,,2', '0-5000']) expect(() => parseCpuList(bad)).toThrow();
  });
});

describe('keys', () => {
  it('cpuunits are 8..500000', () => {
    expect(CPUUNITS.type.parse('8')).toBe(8);
    expect(() => CPUUNITS.type.parse('7')).toThrow(/out of range 8..500000/);
    expect(() => CPUUNITS.type.parse('500001')).toThrow();
  });

  it('cpulimit is percent of one CPU, or N% of the whole host', () => {
    expect(CPULIMIT.type.parse('150')).toEqual({ percent: 150, ofHost: false });
    expect(CPULIMIT.type.parse('50%')).toEqual({ percent: 50, ofHost: true });
    expect(CPULIMIT.type.format({ percent: 50, ofHost: true })).toBe('50%');
    expect(() => CPULIMIT.type.parse('101%')).toThrow(/at most 100%/);
    expect(() => CPULIMIT.type.parse('-5')).toThrow();
  });

  it('cpumask takes a list or all', () => {
    expect(CPUMASK.type.parse('all')).toBe('all');
    expect(CPUMASK.type.format(CPUMASK.type.parse('3,0-1'))).toBe('0-1,3');
  });
});

describe('planCpu', () => {
  it('keeps the ratio of cpuunits in the weights (1000 = the default weight)', () => {
    expect(unitsToWeight(1000)).toBe(100);
    expect(unitsToWeight(3000) / unitsToWeight(1000)).toBe(3);
    expect(unitsToWeight(8)).toBe(1);
    expect(unitsToWeight(500000)).toBe(10000);
  });

  it('turns cpulimit into a CFS quota per 100 ms period', () => {
    expect(planCpu({ limit: { percent: 25, ofHost: false } }, online, 101).cgroup.cpu).toEqual({ weight: 100, period: 100000, quota: 25000 });
    expect(planCpu({ limit: { percent: 50, ofHost: true } }, online, 101).cgroup.cpu?.quota).toBe(200000);
    expect(planCpu({ limit: { percent: 0, ofHost: false } }, online, 101).cgroup.cpu?.quota).toBeNull();
  });

  it('gives --cpus N a cpuset of N CPUs, rotating with the CTID, and a quota of N CPUs', () => {
    const p = planCpu({ cpus: 2 }, online, 101);
    expect(p.cpus).toEqual([1, 2]);
    expect(p.cgroup.cpuset).toEqual({ cpus: '1-2' });
    expect(p.cgroup.cpu?.quota).toBe(200000);
    expect(planCpu({ cpus: 1 }, online, 103).cpus).toEqual([3]);
    expect(planCpu({ cpus: 2, limit: { percent: 50, ofHost: false } }, online, 100).cgroup.cpu?.quota).toBe(50000);
    expect(planCpu({ cpus: 2, limit: { percent: 300, ofHost: false } }, online, 100).cgroup.cpu?.quota).toBe(200000);
  });

  it('chooses within the mask, and all CPUs when nothing is set', () => {
    expect(chooseCpus({ mask: [1, 3], cpus: 1 }, online, 100)).toEqual([1]);
    expect(chooseCpus({ mask: [1, 3], cpus: 1 }, online, 101)).toEqual([3]);
    expect(chooseCpus({}, online, 5)).toEqual(online);
    expect(planCpu({}, online, 5).cgroup).toEqual({ cpu: { weight: 100, period: 100000, quota: null }, cpuset: { cpus: '0-3' } });
  });
});

describe('cpuProblem', () => {
  it.each([
    [{ limit: { percent: 500, ofHost: false } }, /CPULIMIT \(--cpulimit\): 500% of one CPU is more than this host's 4 CPUs give \(400\)/],
    [{ mask: [0, 9] }, /CPUMASK \(--cpumask\): CPU 9 is not online on this host \(online: 0-3\)/],
    [{ cpus: 5 }, /CPUS \(--cpus\): 5 is more than the 4 CPUs of this host/],
    [{ cpus: 3, mask: [0, 1] }, /CPUS \(--cpus\): 3 is more than the 2 CPUs in CPUMASK/],
  ] as const)('refuses %j', (settings, why) => {
    expect(cpuProblem(settings as never, online)).toMatch(why);
  });

  it('accepts what fits', () => {
    expect(cpuProblem({ cpus: 4, limit: { percent: 400, ofHost: false }, mask: 'all' }, online)).toBeUndefined();
  });
});

describe('nodePower', () => {
  it('is the sum of bogomips x 25', () => {
    expect(nodePower('processor\t: 0\nbogomips\t: 4200.00\n\nprocessor\t: 1\nbogomips\t: 4200.00\n')).toBe(210000);
  });
});
