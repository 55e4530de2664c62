/**
 * The host programs the quota drives, played on FakeHost: e2fsprogs (mkfs.ext4 makes a
 * sized filesystem in the image file, dumpe2fs reports it, resize2fs resizes it offline
 * or online through its loop device, refusing without CAP_SYS_RESOURCE as the kernel
 * does), btrfs (subvolumes, quotas, qgroup limits and usage), chattr, setquota and
 * repquota (project limits), find (running chattr), cp, du and sync. Each keeps what it made in `state`, so tests assert
 * the resulting disks, not the command lines.
 */
import { join } from 'node:path';
import type { FakeHost, RunHandler } from '@vzkit/fake-host';

export interface FakeImage {
  blockCount: number;
  overhead: number;
  inodesPerGroup: number;
  features: Set<string>;
}

export interface ToolState {
  images: Map<string, FakeImage>;
  subvolumes: Set<string>;
  btrfsQuota: boolean;
  qgroupLimits: Map<string, number>;
  projects: Map<string, number>;
  projectLimits: Map<number, number[]>;
  projectGrace: number[] | undefined;
  /** Every run, as `prog arg...`, for the few tests that care about order. */
  runs: string[];
}

const GROUP = 32768;
const groups = (blocks: number) => Math.max(1, Math.ceil(blocks / GROUP));
/** A fake ext4's own blocks: the journal, and bitmaps and inode table per group. */
const overheadOf = (blocks: number, journal: number, ipg: number) => journal + groups(blocks) * (2 + Math.ceil(ipg / 16)) + 16;

function opts(argv: string[], withValue: string): { flags: Map<string, string[]>; rest: string[] } {
  const flags = new Map<string, string[]>();
  const rest: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('-') && a.length === 2 && withValue.includes(a[1]!)) {
      flags.set(a, [...(flags.get(a) ?? []), argv[++i]!]);
    } else if (a.startsWith('-')) flags.set(a, []);
    else rest.push(a);
  }
  return { flags, rest };
}

async function hasCapSysResource(fake: FakeHost): Promise<boolean> {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(await fake.fs.readFile('/proc/self/status'))?.[1] ?? '0';
  return ((BigInt(`0x${hex}`) >> 24n) & 1n) === 1n;
}

/** Bytes of the files below `dir` (what a qgroup or a project would count). */
function bytesUnder(fake: FakeHost, dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 1;
  for (const entry of fake.fs.tree(dir)) {
    files++;
    const path = join(dir, entry.replace(/\/$/, '').replace(/ -> .*$/, ''));
    const st = fake.fs.statSync(path);
    if (st?.type === 'file') bytes += st.size;
  }
  return { bytes, files };
}

export function installQuotaTools(fake: FakeHost): ToolState {
  const state: ToolState = {
    images: new Map(), subvolumes: new Set(), btrfsQuota: false, qgroupLimits: new Map(),
    projects: new Map(), projectLimits: new Map(), projectGrace: undefined, runs: [],
  };
  const on = (name: string, fn: RunHandler) => fake.onRun(name, (argv, ctx) => {
    state.runs.push(argv.join(' '));
    return fn(argv, ctx);
  });

  const format = (path: string, img: FakeImage) => {
    const visible = img.blockCount - img.overhead;
    fake.formatImage(path, 'ext4', { blockSize: 4096, blocks: visible, files: groups(img.blockCount) * img.inodesPerGroup });
    state.images.set(path, img);
  };

  on('mkfs.ext4', async (argv) => {
    const { flags, rest } = opts(argv, 'bImNLJOE');
    const [image, count] = rest;
    const size = (await fake.fs.stat(image!))?.size ?? 0;
    const blocks = count ? Number(count) : Math.floor(size / 4096);
    if (blocks * 4096 > size) return { code: 1, stderr: `mkfs.ext4: Filesystem larger than apparent device size.\n` };
    const journalMb = /size=(\d+)/.exec((flags.get('-J') ?? [])[0] ?? '')?.[1];
    const features = new Set((flags.get('-O') ?? []).flatMap((o) => o.split(',')));
    const journal = features.has('^has_journal') ? 0 : journalMb ? Number(journalMb) * 256 : 1024;
    const ipg = Math.ceil(Number((flags.get('-N') ?? ['4096'])[0]) / groups(blocks) / 16) * 16;
    format(image!, { blockCount: blocks, overhead: overheadOf(blocks, journal, ipg), inodesPerGroup: ipg, features });
    return 0;
  });

  on('dumpe2fs', (argv) => {
    const path = argv[argv.length - 1]!;
    const img = state.images.get(path);
    const fs = fake.imageOf(path);
    if (!img || !fs) return { code: 1, stderr: `dumpe2fs: Bad magic number in super-block while trying to open ${path}\n` };
    const inodes = fs.capacity.files;
    return {
      stdout: [
        `Filesystem features:      ${[...img.features].filter((f) => !f.startsWith('^')).join(' ')}`,
        'Filesystem state:         clean',
        `Inode count:              ${inodes}`,
        `Block count:              ${img.blockCount}`,
        `Overhead clusters:        ${img.overhead}`,
        `Free blocks:              ${fs.capacity.blocks - fs.used.blocks}`,
        `Free inodes:              ${inodes - fs.used.files - 10}`,
        'Block size:               4096',
        `Inodes per group:         ${img.inodesPerGroup}`,
        '',
      ].join('\n'),
    };
  });

  on('e2fsck', () => 0);

  on('tune2fs', (argv) => {
    const img = state.images.get(argv[argv.length - 1]!);
    if (!img) return 1;
    const i = argv.indexOf('-O');
    if (i > 0) for (const f of argv[i + 1]!.split(',')) img.features.add(f);
    return 0;
  });

  on('resize2fs', async (argv) => {
    const [, target, count] = argv;
    const loop = fake.loopDevices().find((l) => l.device === target);
    const path = loop ? loop.file : target!;
    const img = state.images.get(path);
    const fs = fake.imageOf(path);
    if (!img || !fs) return { code: 1, stderr: `resize2fs: Bad magic number in super-block\n` };
    if (loop && !(await hasCapSysResource(fake))) return { code: 1, stderr: 'resize2fs: Permission denied to resize filesystem\n' };
    const room = Math.floor((loop ? loop.size : ((await fake.fs.stat(path))?.size ?? 0)) / 4096);
    const blocks = count ? Number(count) : room;
    if (blocks > room) return { code: 1, stderr: 'resize2fs: New size larger than the device\n' };
    if (loop && blocks < img.blockCount) return { code: 1, stderr: 'resize2fs: On-line shrinking not supported\n' };
    const journal = img.overhead - groups(img.blockCount) * (2 + Math.ceil(img.inodesPerGroup / 16)) - 16;
    const overhead = overheadOf(blocks, journal, img.inodesPerGroup);
    if (blocks - overhead < fs.used.blocks) return { code: 1, stderr: 'resize2fs: No space left on device while trying to resize\n' };
    Object.assign(img, { blockCount: blocks, overhead });
    fs.capacity.blocks = blocks - overhead;
    fs.capacity.files = groups(blocks) * img.inodesPerGroup;
    return 0;
  });

  // cp -R --no-dereference --preserve=mode,ownership,timestamps,links,xattr: each entry
  // made, then its owner (which drops set-id bits and capabilities on a real kernel and
  // on FakeHost), then its extended attributes, then its mode, as GNU cp does.
  on('cp', async (argv) => {
    const [src, dst] = argv.slice(-2).map((p) => p.replace(/\/\.?$/, ''));
    const attrs = async (from: string, to: string) => {
      const st = fake.fs.statSync(from)!;
      await fake.fs.chown(to, st.uid, st.gid);
      if (st.type === 'symlink') return;
      for (const name of await fake.fs.listXattrs(from)) await fake.fs.setXattr(to, name, (await fake.fs.getXattr(from, name))!);
      await fake.fs.chmod(to, st.mode);
    };
    for (const entry of fake.fs.tree(src!)) {
      const rel = entry.replace(/\/$/, '').replace(/ -> .*$/, '').replace(/ [cb] \d+:\d+$/, '');
      const from = join(src!, rel);
      const to = join(dst!, rel);
      const st = fake.fs.statSync(from);
      if (st?.type === 'dir') await fake.fs.mkdir(to, { recursive: true });
      else if (st?.type === 'file') await fake.fs.writeFile(to, fake.fs.read(from));
      else if (st?.type === 'symlink') await fake.fs.symlink(await fake.fs.readlink(from), to);
      else return { code: 1, stderr: `cp: cannot create special file '${to}': not modelled\n` };
    }
    // Attributes after the contents, deepest first: a directory's mode may close it to writes.
    for (const entry of fake.fs.tree(src!).reverse()) {
      const rel = entry.replace(/\/$/, '').replace(/ -> .*$/, '');
      await attrs(join(src!, rel), join(dst!, rel));
    }
    await attrs(src!, dst!);
    return 0;
  });

  // du -s -x -k DIR / du -s -x --inodes DIR
  on('du', (argv) => {
    const dir = argv[argv.length - 1]!;
    const u = bytesUnder(fake, dir);
    return { stdout: `${argv.includes('--inodes') ? u.files : Math.ceil(u.bytes / 1024) + u.files * 4}\t${dir}\n` };
  });

  on('sync', () => 0);

  on('btrfs', async (argv) => {
    const [, group, verb, ...rest] = argv;
    const path = rest[rest.length - 1]!;
    const where = `${group} ${verb}`;
    if (where === 'subvolume create') {
      await fake.fs.mkdir(path);
      state.subvolumes.add(path);
    } else if (where === 'subvolume delete') {
      if (!state.subvolumes.delete(path)) return { code: 1, stderr: `ERROR: Not a Btrfs subvolume: ${path}\n` };
      await fake.fs.remove(path, { recursive: true });
    } else if (where === 'subvolume show') {
      if (!state.subvolumes.has(path)) return { code: 1, stderr: `ERROR: Not a Btrfs subvolume: ${path}\n` };
    } else if (where === 'quota enable') state.btrfsQuota = true;
    else if (where === 'qgroup limit') {
      if (!state.btrfsQuota) return { code: 1, stderr: 'ERROR: quotas not enabled\n' };
      if (rest[0] === 'none') state.qgroupLimits.delete(path);
      else state.qgroupLimits.set(path, Number(rest[0]));
    } else if (where.startsWith('qgroup show')) {
      if (!state.btrfsQuota) return { code: 1, stderr: 'ERROR: can\'t list qgroups: quotas not enabled\n' };
      const used = bytesUnder(fake, path).bytes;
      return { stdout: `Qgroupid    Referenced    Exclusive  Max referenced  Max exclusive   Path\n0/256  ${used}  ${used}  ${state.qgroupLimits.get(path) ?? 'none'}  none  ve\n` };
    } else return { code: 1, stderr: `btrfs: unknown ${where}\n` };
    return 0;
  });

  // find DIR -xdev -type d|f -exec chattr -p ID [+P|-P] {} +: the directory's project.
  on('find', (argv) => {
    const i = argv.indexOf('-p');
    if (argv.includes('chattr') && argv[argv.indexOf('-type') + 1] === 'd') state.projects.set(argv[1]!, Number(argv[i + 1]));
    return 0;
  });

  on('chattr', (argv) => {
    const i = argv.indexOf('-p');
    state.projects.set(argv[argv.length - 1]!, Number(argv[i + 1]));
    return 0;
  });

  on('setquota', (argv) => {
    if (argv.includes('-t')) state.projectGrace = argv.slice(3, 5).map(Number);
    else state.projectLimits.set(Number(argv[2]), argv.slice(3, 7).map(Number));
    return 0;
  });

  on('repquota', () => {
    const lines = ['*** Report for project quotas on device /dev/vdb', 'Project         used    soft    hard  grace    used  soft  hard  grace', '----------------------------------------------------------------------'];
    for (const [id, l] of state.projectLimits) {
      const dir = [...state.projects].find(([, p]) => p === id)?.[0];
      const u = dir ? bytesUnder(fake, dir) : { bytes: 0, files: 0 };
      lines.push(`#${id}      --  ${Math.ceil(u.bytes / 1024)}  ${l[0]}  ${l[1]}  0  ${u.files}  ${l[2]}  ${l[3]}  0`);
    }
    return { stdout: `${lines.join('\n')}\n` };
  });

  return state;
}
