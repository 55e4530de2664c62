import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVzError } from '@vzkit/core';
import { CgroupV1Manager, CgroupV2Manager, detectCgroupManager } from '../src/cgroup/index.js';
import { hasUnifiedMount, v1Hierarchies } from '../src/cgroup/v1/hierarchy.js';
import { parseProcCgroup, parseRef, resolveGroup } from '../src/cgroup/v1/self.js';

/** This machine's table: v1 per controller, name=systemd, and an empty unified mount. */
const MOUNTINFO = `\
23 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

const PROC_SELF_CGROUP = `\
9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/d3a5
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`;

describe('v1Hierarchies', () => {
  it('finds one hierarchy per mounted controller and ignores named and unified mounts', () => {
    const hs = v1Hierarchies(MOUNTINFO, '/sys/fs/cgroup');
    expect(hs.map((h) => [h.controllers.join(','), h.mountPoint])).toEqual([
      ['cpu', '/sys/fs/cgroup/cpu'],
      ['cpuacct', '/sys/fs/cgroup/cpuacct'],
      ['cpuset', '/sys/fs/cgroup/cpuset'],
      ['memory', '/sys/fs/cgroup/memory'],
      ['devices', '/sys/fs/cgroup/devices'],
      ['freezer', '/sys/fs/cgroup/freezer'],
      ['blkio', '/sys/fs/cgroup/blkio'],
      ['pids', '/sys/fs/cgroup/pids'],
    ]);
    expect(hasUnifiedMount(MOUNTINFO, '/sys/fs/cgroup')).toBe(true);
  });

  it('keeps co-mounted controllers together and skips controllers vzkit does not drive', () => {
    const table = '50 31 0:40 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpuacct,cpu\n' +
      '51 31 0:41 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio\n';
    expect(v1Hierarchies(table, '/sys/fs/cgroup')).toEqual([
      { controllers: ['cpu', 'cpuacct'], mountPoint: '/sys/fs/cgroup/cpu,cpuacct', root: '/' },
    ]);
  });

  it('ignores mounts outside the root, keeps the first of a twice-mounted hierarchy, decodes escapes', () => {
    const table = '60 1 0:32 /lxc/ve /var/lib/vz/root/101/sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n' +
      '61 1 0:32 /a\\040b /srv/cg\\040x/memory rw - cgroup cgroup rw,memory\n' +
      '62 1 0:32 / /srv/cg\\040x/memory2 rw - cgroup cgroup rw,memory\n';
    expect(v1Hierarchies(table, '/srv/cg x')).toEqual([{ controllers: ['memory'], mountPoint: '/srv/cg x/memory', root: '/a b' }]);
  });

  it('reads the /proc/mounts layout too', () => {
    const table = 'cgroup /sys/fs/cgroup/pids cgroup rw,nosuid,nodev,noexec,relatime,pids 0 0\n' +
      'cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n';
    expect(v1Hierarchies(table, '/sys/fs/cgroup')).toEqual([{ controllers: ['pids'], mountPoint: '/sys/fs/cgroup/pids', root: '/' }]);
  });
});

describe('@self resolution', () => {
  const self = parseProcCgroup(PROC_SELF_CGROUP);
  const hs = v1Hierarchies(MOUNTINFO, '/sys/fs/cgroup');
  const h = (c: string) => hs.find((x) => x.controllers.includes(c))!;

  it('parses /proc/self/cgroup without named or unified lines', () => {
    expect(self.get('memory')).toBe('/process_api/d3a5');
    expect(self.get('pids')).toBe('/');
    expect([...self.keys()].sort()).toEqual(['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids']);
  });

  it('puts @self groups below our own cgroup of each hierarchy', () => {
    expect(resolveGroup('@self/vzkit-test-1/101', h('memory'), self)).toEqual({
      base: '/sys/fs/cgroup/memory/process_api/d3a5',
      dir: '/sys/fs/cgroup/memory/process_api/d3a5/vzkit-test-1/101',
      segments: ['vzkit-test-1', '101'],
    });
    expect(resolveGroup('@self/vzkit-test-1/101', h('pids'), self).dir).toBe('/sys/fs/cgroup/pids/vzkit-test-1/101');
  });

  it('puts plain groups at the top of the hierarchy', () => {
    expect(resolveGroup('vzkit/101', h('memory'), self)).toMatchObject({ base: '/sys/fs/cgroup/memory', dir: '/sys/fs/cgroup/memory/vzkit/101' });
  });

  it('strips the mount root inside a container', () => {
    const inCt = { controllers: ['memory'], mountPoint: '/sys/fs/cgroup/memory', root: '/docker/abc' };
    const own = parseProcCgroup('4:memory:/docker/abc/sub\n');
    expect(resolveGroup('@self/x', inCt, own).dir).toBe('/sys/fs/cgroup/memory/sub/x');
  });

  it('refuses refs that name no group below their base', () => {
    for (const bad of ['@self', '', '/', '@self/', 'a/../b', '@self/..', 'a/@self', 'a/./b']) {
      expect(() => parseRef(bad), bad).toThrow(/invalid cgroup/);
    }
    expect(parseRef('/vzkit//101/')).toEqual({ self: false, segments: ['vzkit', '101'] });
  });
});

describe('detectCgroupManager', () => {
  let tmp: string;
  beforeEach(async () => { tmp = await mkdtemp(join(tmpdir(), 'vzkit-cgdetect-')); });
  afterEach(async () => { await rm(tmp, { recursive: true, force: true }); });

  async function detect(table: string) {
    const root = join(tmp, 'cg');
    await mkdir(root, { recursive: true });
    await writeFile(join(tmp, 'mountinfo'), table.replaceAll('/sys/fs/cgroup', root));
    await writeFile(join(tmp, 'cgroup'), PROC_SELF_CGROUP);
    return detectCgroupManager({ root, mountinfo: join(tmp, 'mountinfo'), procSelfCgroup: join(tmp, 'cgroup') });
  }

  it('picks the v1 backend on a hybrid host', async () => {
    const m = await detect(MOUNTINFO);
    expect(m).toBeInstanceOf(CgroupV1Manager);
    expect(m.version).toBe(1);
    expect(await m.controllers()).toEqual(['pids', 'memory', 'cpu', 'cpuacct', 'cpuset', 'freezer', 'devices', 'blkio']);
  });

  it('picks the v2 backend when a cgroup2 mount is all there is', async () => {
    const m = await detect('30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n');
    expect(m).toBeInstanceOf(CgroupV2Manager);
    expect(m.version).toBe(2);
  });

  it('fails with SYSTEM when nothing is mounted', async () => {
    const err = await detect('23 1 0:21 / /sys rw - sysfs sysfs rw\n').catch((e: unknown) => e);
    expect(isVzError(err) && err.code).toBe('SYSTEM');
  });

  it('detects this machine', async () => {
    const m = await detectCgroupManager();
    expect(m.version).toBe(1);
  });
});
