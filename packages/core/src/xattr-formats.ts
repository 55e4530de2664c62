/**
 * The kernel's on-disk formats of the extended attributes that carry ids: POSIX ACLs
 * (`system.posix_acl_access`, `system.posix_acl_default`: linux/posix_acl_xattr.h) and
 * file capabilities (`security.capability`: linux/capability.h, struct vfs_cap_data and
 * vfs_ns_cap_data). All little-endian. Parsers answer undefined for what the kernel
 * would refuse (EINVAL).
 */

export const XATTR_ACL_ACCESS = 'system.posix_acl_access';
export const XATTR_ACL_DEFAULT = 'system.posix_acl_default';
export const XATTR_CAPS = 'security.capability';

const ACL_VERSION = 2;
/** e_tag values; ACL_USER and ACL_GROUP are the entries that name an id. */
export const ACL_USER_OBJ = 0x01;
export const ACL_USER = 0x02;
export const ACL_GROUP_OBJ = 0x04;
export const ACL_GROUP = 0x08;
export const ACL_MASK = 0x10;
export const ACL_OTHER = 0x20;
const ACL_TAGS = new Set([ACL_USER_OBJ, ACL_USER, ACL_GROUP_OBJ, ACL_GROUP, ACL_MASK, ACL_OTHER]);

export interface AclEntry {
  tag: number;
  perm: number;
  /** Meaningful for ACL_USER (a uid) and ACL_GROUP (a gid). */
  id: number;
}

/** The entries of an ACL xattr, or undefined when the kernel would not take it. */
export function parseAcl(value: Uint8Array): AclEntry[] | undefined {
  if (value.length < 4 || (value.length - 4) % 8 !== 0) return undefined;
  const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
  if (v.getUint32(0, true) !== ACL_VERSION) return undefined;
  const out: AclEntry[] = [];
  for (let off = 4; off < value.length; off += 8) {
    const tag = v.getUint16(off, true);
    if (!ACL_TAGS.has(tag)) return undefined;
    out.push({ tag, perm: v.getUint16(off + 2, true), id: v.getUint32(off + 4, true) });
  }
  return out;
}

export function formatAcl(entries: readonly AclEntry[]): Uint8Array {
  const out = new Uint8Array(4 + 8 * entries.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, ACL_VERSION, true);
  entries.forEach((e, i) => {
    v.setUint16(4 + 8 * i, e.tag, true);
    v.setUint16(6 + 8 * i, e.perm, true);
    // Entries without an id carry ACL_UNDEFINED_ID (-1) on disk; keep what was there.
    v.setUint32(8 + 8 * i, e.id, true);
  });
  return out;
}

const VFS_CAP_REVISION_MASK = 0xff000000;
const VFS_CAP_REVISION_1 = 0x01000000;
const VFS_CAP_REVISION_2 = 0x02000000;
const VFS_CAP_REVISION_3 = 0x03000000;
const VFS_CAP_FLAGS_EFFECTIVE = 0x000001;

export interface FileCaps {
  effective: boolean;
  /** permitted and inheritable, low word then high word (revision 1 has the low word only). */
  permitted: [number, number];
  inheritable: [number, number];
  /**
   * Host uid of the root the capabilities are for (revision 3, written by the root of a
   * user namespace); 0 for revisions 1 and 2, which hold for the host's root.
   */
  rootid: number;
}

/** A `security.capability` value, or undefined when the kernel would not take it. */
export function parseFileCaps(value: Uint8Array): FileCaps | undefined {
  if (value.length < 4) return undefined;
  const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const magic = v.getUint32(0, true);
  const revision = (magic & VFS_CAP_REVISION_MASK) >>> 0;
  const size = revision === VFS_CAP_REVISION_1 ? 12 : revision === VFS_CAP_REVISION_2 ? 20 : revision === VFS_CAP_REVISION_3 ? 24 : -1;
  if (value.length !== size) return undefined;
  const word = (i: number) => v.getUint32(4 + 4 * i, true);
  const wide = revision !== VFS_CAP_REVISION_1;
  return {
    effective: (magic & VFS_CAP_FLAGS_EFFECTIVE) !== 0,
    permitted: [word(0), wide ? word(2) : 0],
    inheritable: [word(1), wide ? word(3) : 0],
    rootid: revision === VFS_CAP_REVISION_3 ? word(4) : 0,
  };
}

/** Revision 2 for the host's root (rootid 0), as the kernel itself shows those; revision 3 otherwise. */
export function formatFileCaps(caps: FileCaps): Uint8Array {
  const v3 = caps.rootid !== 0;
  const out = new Uint8Array(v3 ? 24 : 20);
  const v = new DataView(out.buffer);
  v.setUint32(0, ((v3 ? VFS_CAP_REVISION_3 : VFS_CAP_REVISION_2) | (caps.effective ? VFS_CAP_FLAGS_EFFECTIVE : 0)) >>> 0, true);
  v.setUint32(4, caps.permitted[0], true);
  v.setUint32(8, caps.inheritable[0], true);
  v.setUint32(12, caps.permitted[1], true);
  v.setUint32(16, caps.inheritable[1], true);
  if (v3) v.setUint32(20, caps.rootid, true);
  return out;
}
