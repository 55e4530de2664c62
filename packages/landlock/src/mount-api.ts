/**
 * The mount calls Landlock does not refuse. Landlock stops mount(2), umount2(2),
 * pivot_root(2), move_mount(2) and a superblock reconfigured through fsconfig(2), but a
 * task in a domain can still build a detached mount with fsopen + fsconfig + fsmount
 * and open files through it (a fresh procfs with the host's kernel.core_pattern), or
 * clear a mount's read-only flag with mount_setattr(2) (the VE's /proc/sys). Measured on
 * Linux 6.18 (docs/decisions.md). A VE whose root may not mount loses these calls too;
 * they fail with EPERM, as mount(2) does under Landlock.
 */
export interface MountCall {
  name: string;
  why: string;
}

export const MOUNT_API: readonly MountCall[] = [
  { name: 'fsopen', why: 'starts a filesystem of any type (a fresh procfs, sysfs, cgroup, tracefs ...)' },
  { name: 'fsconfig', why: 'configures and creates the superblock fsopen started, or reconfigures one fspick picked' },
  { name: 'fsmount', why: 'makes a detached mount whose files can be opened without ever attaching it' },
  { name: 'fspick', why: 'picks a mounted filesystem to reconfigure' },
  { name: 'open_tree', why: 'clones a mount tree (OPEN_TREE_CLONE) whose flags can then be changed' },
  { name: 'mount_setattr', why: 'clears a mount\'s read-only flag (/proc/sys, /sys): no LSM hook sees it' },
  { name: 'move_mount', why: 'attaches a detached mount (Landlock refuses it too; kept for kernels without Landlock)' },
];
