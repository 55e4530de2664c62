import { describe, expect, it } from 'vitest';
import { detectInitSystem, haltMethod, stopTimeoutMs, SYSTEMD_POWEROFF_SIGNAL } from '../src/index.js';

describe('detectInitSystem', () => {
  it.each([
    // What /proc shows for the init of each kind of guest.
    [{ comm: 'systemd', exe: '/usr/lib/systemd/systemd' }, 'systemd'],
    [{ comm: 'systemd', exe: undefined }, 'systemd'],
    [{ comm: 'init', exe: '/lib/systemd/systemd' }, 'systemd'],
    [{ comm: 'init', exe: '/bin/busybox' }, 'busybox'],
    [{ comm: 'init', exe: '/usr/bin/busybox (deleted)' }, 'busybox'],
    [{ comm: 'init', exe: '/bin/busybox.static' }, 'busybox'],
    [{ comm: 'init', exe: '/sbin/init' }, 'sysvinit'],
    [{ comm: 'init', exe: '/sbin/init (deleted)' }, 'sysvinit'],
    [{ comm: 'init', exe: '/lib/sysvinit/init' }, 'sysvinit'],
    [{ comm: 'sh', exe: '/usr/bin/dash' }, 'other'],
    [{ comm: 'init', exe: undefined }, 'other'],
    [{ comm: undefined, exe: undefined }, 'other'],
  ] as const)('%j is %s', (facts, system) => {
    expect(detectInitSystem(facts)).toBe(system);
  });
});

describe('haltMethod', () => {
  it('powers systemd off with SIGRTMIN+4 as glibc numbers it (38)', () => {
    expect(SYSTEMD_POWEROFF_SIGNAL).toBe(38);
    expect(haltMethod('systemd')).toEqual({ kind: 'signal', signal: 38 });
  });

  it('sends SIGUSR2 (poweroff) to busybox init and to any other init', () => {
    expect(haltMethod('busybox')).toEqual({ kind: 'signal', signal: 'SIGUSR2' });
    expect(haltMethod('other')).toEqual({ kind: 'signal', signal: 'SIGUSR2' });
  });

  it('runs telinit 0 for sysvinit, with SIGINT when that fails', () => {
    expect(haltMethod('sysvinit')).toEqual({ kind: 'telinit', fallback: 'SIGINT' });
  });
});

describe('stopTimeoutMs', () => {
  it('takes STOP_TIMEOUT seconds when set, the caller\'s wait when unset or 0', () => {
    expect(stopTimeoutMs(5, 120_000)).toBe(5000);
    expect(stopTimeoutMs(0, 120_000)).toBe(120_000);
    expect(stopTimeoutMs(undefined, 3000)).toBe(3000);
  });
});
