/**
 * Picking the backend for this host, like youki's get_cgroup_setup_with_root: a cgroup2
 * filesystem at the root means a unified host (CgroupV2Manager); v1 hierarchies under it
 * mean legacy or hybrid (v2 mounted at <root>/unified without controllers), both driven
 * by v1. A cgroup2 mount below the root with no v1 hierarchy beside it holds every
 * controller, so it is driven by v2.
 */
import { readFile, statfs } from 'node:fs/promises';
import { vzError, type CgroupManager } from '@vzkit/core';
import { CgroupV1Manager, type CgroupV1Options } from './v1/manager.js';
import { unifiedMountPoint, v1Hierarchies } from './v1/hierarchy.js';
import { CgroupV2Manager, type CgroupV2Options } from './v2/manager.js';

/** statfs f_type of a cgroup2 mount (linux/magic.h). */
const CGROUP2_SUPER_MAGIC = 0x63677270;

/** Where to look; the tunables are passed on to the manager. */
export type DetectOptions = CgroupV1Options & CgroupV2Options;

/**
 * Returns the CgroupManager for the host's cgroup layout. Fails with SYSTEM when no
 * cgroups are mounted under the root.
 */
export async function detectCgroupManager(opts: DetectOptions = {}): Promise<CgroupManager> {
  const root = opts.root ?? '/sys/fs/cgroup';
  const fsType = await statfs(root).then((s) => s.type, (e: unknown) => {
    throw vzError('SYSTEM', `statfs ${root}: ${(e as { code?: string }).code ?? String(e)}`, { path: root, cause: e });
  });
  if (fsType === CGROUP2_SUPER_MAGIC) return new CgroupV2Manager({ ...opts, root });

  const mountTable = await readFile(opts.mountinfo ?? '/proc/self/mountinfo', 'utf8');
  if (v1Hierarchies(mountTable, root).length > 0) return new CgroupV1Manager({ ...opts, root });
  const unified = unifiedMountPoint(mountTable, root);
  if (unified !== undefined) return new CgroupV2Manager({ ...opts, root: unified });
  throw vzError('SYSTEM', `no cgroup hierarchies are mounted under ${root}`, { path: root });
}
