import { describe, expect, it } from 'vitest';
import type { ChildOp } from '@vzkit/core';
import { commonAncestor, overlayMount, procSysOps, rootfsOps, writableKeys, type HostProbe } from '../src/index.js';

const ROOT = '/vz/root/101';

function probe(over: Partial<HostProbe> = {}): HostProbe {
  return {
    proc: new Set(['kcore', 'keys', 'timer_list', 'acpi', 'sysrq-trigger', 'irq', 'bus']),
    sys: new Set(['firmware']),
    procSys: new Map([
      ['', new Set(['kernel', 'net', 'vm', 'fs'])],
      ['kernel', new Set(['hostname', 'domainname', 'shmmax'])],
    ]),
    ...over,
  };
}

const targets = (ops: ChildOp[]) => ops.flatMap((o) => (o.op === 'mount' ? [o.target] : []));

describe('overlayMount', () => {
  it('names the layers relative to their deepest common directory', () => {
    const spec = overlayMount(ROOT, {
      lower: '/tmp/t1/var/lib/vzkit/template/busybox',
      upper: '/tmp/t1/var/lib/vzkit/private/101/fs',
      work: '/tmp/t1/var/lib/vzkit/private/101/work',
    }, 'CT 101');
    expect(spec).toEqual({
      source: 'overlay', target: ROOT, fstype: 'overlay', cwd: '/tmp/t1/var/lib/vzkit',
      data: 'lowerdir=template/busybox,upperdir=private/101/fs,workdir=private/101/work',
    });
  });

  it('falls back to / as the common directory, still without leading slashes', () => {
    const spec = overlayMount(ROOT, { lower: '/tpl/busybox', upper: '/data/101/fs', work: '/data/101/work' }, 'CT 101');
    expect(spec.cwd).toBe('/');
    expect(spec.data).toBe('lowerdir=tpl/busybox,upperdir=data/101/fs,workdir=data/101/work');
  });

  it('refuses paths overlayfs would split', () => {
    expect(() => overlayMount(ROOT, { lower: '/t/a,b', upper: '/p/fs', work: '/p/work' }, 'CT 101'))
      .toThrow(expect.objectContaining({ code: 'BAD_VALUE', message: expect.stringMatching(/^CT 101: overlay lowerdir/) }));
    expect(() => overlayMount(ROOT, { lower: '/t/a', upper: '/p:x/fs', work: '/p/work' }, 'CT 101')).toThrow(/upperdir/);
  });

  it('commonAncestor stops at whole path components', () => {
    expect(commonAncestor(['/a/bc/d', '/a/b/d'])).toBe('/a');
    expect(commonAncestor(['/a/b', '/a/b/c'])).toBe('/a/b');
  });
});

describe('rootfsOps', () => {
  const ops = rootfsOps(ROOT, probe());

  it('binds the root onto itself before anything is mounted under it', () => {
    expect(ops[0]).toEqual({ op: 'mount', source: ROOT, target: ROOT, fstype: '', flags: ['bind', 'rec'] });
  });

  it('mounts proc, a read-only sysfs, /dev, devpts and /dev/shm under the root', () => {
    const byTarget = new Map(ops.flatMap((o) => (o.op === 'mount' ? [[o.target, o] as const] : [])));
    expect(byTarget.get(`${ROOT}/proc`)).toMatchObject({ fstype: 'proc', flags: ['nosuid', 'nodev', 'noexec'] });
    expect(byTarget.get(`${ROOT}/sys`)).toMatchObject({ fstype: 'sysfs', flags: expect.arrayContaining(['rdonly']) });
    expect(byTarget.get(`${ROOT}/dev`)).toMatchObject({ fstype: 'tmpfs', data: 'mode=755,size=65536k' });
    expect(byTarget.get(`${ROOT}/dev/pts`)).toMatchObject({ fstype: 'devpts', data: 'newinstance,ptmxmode=0666,mode=0620,gid=5' });
    expect(byTarget.get(`${ROOT}/dev/shm`)).toMatchObject({ fstype: 'tmpfs', data: 'mode=1777', flags: ['nosuid', 'nodev'] });
  });

  it('makes the device nodes before anything binds /dev/null', () => {
    const nullAt = ops.findIndex((o) => o.op === 'mknod' && o.path === `${ROOT}/dev/null`);
    const firstUse = ops.findIndex((o) => o.op === 'mount' && o.source === `${ROOT}/dev/null`);
    expect(nullAt).toBeGreaterThan(0);
    expect(firstUse).toBeGreaterThan(nullAt);
    expect(ops).toContainEqual({ op: 'mknod', path: `${ROOT}/dev/tty`, kind: 'c', major: 5, minor: 0, mode: 0o666 });
    expect(ops).toContainEqual({ op: 'symlink', target: 'pts/ptmx', path: `${ROOT}/dev/ptmx` });
  });

  it('masks only what the host has', () => {
    const t = targets(ops);
    expect(t).toContain(`${ROOT}/proc/kcore`);
    expect(t).toContain(`${ROOT}/proc/acpi`);
    expect(t).toContain(`${ROOT}/sys/firmware`);
    expect(t).not.toContain(`${ROOT}/proc/sched_debug`);
    expect(t).not.toContain(`${ROOT}/proc/scsi`);
    expect(ops).toContainEqual({
      op: 'mount', source: `${ROOT}/proc/sysrq-trigger`, target: `${ROOT}/proc/sysrq-trigger`, fstype: '',
      flags: ['bind', 'rdonly', 'nosuid', 'nodev', 'noexec'],
    });
  });

  it('gives the VE a /dev/console that leads nowhere', () => {
    expect(ops).toContainEqual({ op: 'mount', source: `${ROOT}/dev/null`, target: `${ROOT}/dev/console`, fstype: '', flags: ['bind'] });
  });
});

describe('writable /proc/sys keys', () => {
  it('keeps existing keys, drops missing ones and those a writable parent covers', () => {
    const { keep, dropped } = writableKeys(['kernel/hostname', '/kernel/nosuchkey', 'net', 'net/ipv4/ip_forward', 'kernel/../vm', 'dev/x'], probe());
    expect(keep).toEqual(['dev/x', 'kernel/hostname', 'net']);
    expect(dropped).toEqual(['/kernel/nosuchkey', 'kernel/../vm']);
  });

  it('binds /proc/sys and the keys, then remounts /proc/sys read-only last', () => {
    const ops = procSysOps(ROOT, ['kernel/hostname', 'net']);
    expect(targets(ops)).toEqual([`${ROOT}/proc/sys`, `${ROOT}/proc/sys/kernel/hostname`, `${ROOT}/proc/sys/net`, `${ROOT}/proc/sys`]);
    expect(ops.at(-1)).toMatchObject({ flags: ['bind', 'remount', 'rdonly', 'nosuid', 'nodev', 'noexec'] });
  });
});
