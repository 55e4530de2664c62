import { describe, expect, it } from 'vitest';
import type { StatRow } from '@vzkit/core';
import { graceText, parseDumpe2fs, parseQgroupShow, parseRepquota, renderTable, toJson } from '../src/index.js';

const DUMPE2FS = `dumpe2fs 1.47.0 (5-Feb-2023)
Filesystem volume name:   vzkit-101
Filesystem features:      has_journal ext_attr resize_inode dir_index filetype extent 64bit flex_bg sparse_super large_file huge_file dir_nlink extra_isize metadata_csum
Filesystem state:         clean
Inode count:              5008
Block count:              15360
Reserved block count:     0
Overhead clusters:        1348
Free blocks:              14006
Free inodes:              4997
Block size:               4096
`;

describe('dumpe2fs -h', () => {
  it('reads sizes, overhead and features', () => {
    expect(parseDumpe2fs(DUMPE2FS)).toMatchObject({ blockCount: 15360, overhead: 1348, freeBlocks: 14006, inodeCount: 5008, freeInodes: 4997, blockSize: 4096, state: 'clean' });
    expect(parseDumpe2fs(DUMPE2FS)!.features).toContain('metadata_csum');
  });

  it('without an overhead field (e2fsprogs < 1.46), a fresh filesystem\'s used blocks are overhead', () => {
    expect(parseDumpe2fs(DUMPE2FS.replace(/^Overhead.*\n/m, ''))!.overhead).toBe(15360 - 14006 - 5);
  });

  it('is undefined for anything else', () => {
    expect(parseDumpe2fs('dumpe2fs: Bad magic number in super-block')).toBeUndefined();
  });
});

describe('btrfs qgroup show -rF --raw', () => {
  it('takes the subvolume\'s level-0 qgroup', () => {
    const text = 'Qgroupid    Referenced    Exclusive  Max referenced  Max exclusive   Path \n--------    ----------    ---------  --------------  -------------   ---- \n0/256         20955136     20955136        20971520           none   ve1\n1/1 5 5 none none -\n';
    expect(parseQgroupShow(text)).toEqual({ referenced: 20955136, limit: 20971520 });
    expect(parseQgroupShow(text.replace('20971520', 'none'))).toEqual({ referenced: 20955136, limit: undefined });
    expect(parseQgroupShow('ERROR: can\'t list qgroups')).toBeUndefined();
  });
});

describe('repquota -P -p -n', () => {
  it('reads the project\'s line: usage, hard limits, kernel grace deadlines', () => {
    const text = '*** Report for project quotas on device /dev/loop0\nBlock grace time: 7days; Inode grace time: 7days\n                        Block limits                File limits\nProject         used    soft    hard  grace    used  soft  hard  grace\n----------------------------------------------------------------------\n#0        --      14       0       0              4     0     0       \n#101      +-    2045    1024    2048 1700000000       2     0    10 0\n';
    expect(parseRepquota(text, 101)).toEqual({ spaceUsed: 2045, inodesUsed: 2, spaceLimit: 2048, inodesLimit: 10, spaceGraceEnds: 1700000000 });
    expect(parseRepquota(text, 7)).toBeUndefined();
  });
});

describe('vzquota stat layout', () => {
  const now = 1_700_000_000;
  it('grace: blank, HH:MM under two days, Ndays, none once over', () => {
    expect(graceText(undefined, now)).toBe('');
    expect(graceText(now + 3600 + 120, now)).toBe('01:02');
    expect(graceText(now + 3 * 86400, now)).toBe('3days');
    expect(graceText(now - 1, now)).toBe('none');
  });

  it('prints vzquota\'s table, a star over a limit, and the backend', () => {
    const space: StatRow = { resource: 'diskspace', held: 508400, barrier: 2097152, limit: 2306867, extra: { backend: 'image', backendTitle: 'ext4 image on a loop device', soft: 'enforced' } };
    const inodes: StatRow = { resource: 'diskinodes', held: 150000, barrier: 131072, limit: 144179, status: 'enforced', extra: { graceEnds: now + 7200, soft: 'reported' } };
    expect(renderTable({ ctid: 101, space, inodes, backend: 'image' }, now)).toEqual([
      '   resource          usage       softlimit      hardlimit    grace',
      '  1k-blocks         508400         2097152        2306867         ',
      '     inodes         150000*         131072         144179    02:00',
      'backend: ext4 image on a loop device (inode soft limit reported, not enforced)',
    ]);
    expect(toJson({ ctid: 101, space, inodes, backend: 'image' }, now)).toMatchObject({
      ctid: 101, backend: 'image',
      diskspace: { usage: 508400, softlimit: 2097152, hardlimit: 2306867, grace: null, soft: 'enforced', held: false },
      diskinodes: { usage: 150000, grace: 7200, status: 'enforced' },
    });
  });

  it('says when the soft limit holds as the hard one', () => {
    const space: StatRow = { resource: 'diskspace', held: 60000, barrier: 51200, limit: 61440, extra: { backendTitle: 'ext4 image on a loop device', soft: 'enforced', held: 'soft', graceEnds: now - 5 } };
    const lines = renderTable({ ctid: 101, space, inodes: undefined, backend: 'image' }, now);
    expect(lines[1]).toMatch(/^ {2}1k-blocks +60000\* +51200 +61440 +none$/);
    expect(lines[3]).toBe('backend: ext4 image on a loop device (the grace period is over: the soft limit holds as the hard one)');
    expect(toJson({ ctid: 101, space, inodes: undefined, backend: 'image' }, now)).toMatchObject({ diskspace: { grace: 0, held: true } });
  });
});
