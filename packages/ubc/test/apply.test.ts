import { describe, expect, it } from 'vitest';
import { insideScript } from '../src/apply.js';

describe('the shell line that resizes a running VE from inside', () => {
  it('remounts with source and target named, the mount flags and the options given, nothing read back from /proc/mounts', () => {
    expect(insideScript([
      { op: 'write', path: '/proc/sys/kernel/shmall', data: '16384' },
      { op: 'mount', source: 'tmpfs', target: '/dev/shm', fstype: 'tmpfs', flags: ['remount', 'nosuid', 'nodev'], data: 'mode=1777,size=67108864' },
      { op: 'mount', source: 'devpts', target: '/dev/pts', fstype: 'devpts', flags: ['remount', 'nosuid', 'noexec'], data: 'gid=5,max=20' },
    ])).toBe('echo 16384 > /proc/sys/kernel/shmall'
      + ' && mount -o remount,nosuid,nodev,mode=1777,size=67108864 tmpfs /dev/shm'
      + ' && mount -o remount,nosuid,noexec,gid=5,max=20 devpts /dev/pts');
  });
});
