/**
 * What a valid VE hostname is: RFC 1123 host names (dot-separated labels of letters,
 * digits and inner hyphens, each 1–63 characters), no longer than the kernel keeps in a
 * UTS namespace (`__NEW_UTS_LEN`, 64 bytes).
 */

/** The kernel's limit on a hostname (include/uapi/linux/utsname.h). */
export const MAX_HOSTNAME_LENGTH = 64;
const MAX_LABEL_LENGTH = 63;

/** Why `name` is not a valid hostname, or undefined when it is. */
export function hostnameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_HOSTNAME_LENGTH) return `it is longer than ${MAX_HOSTNAME_LENGTH} characters`;
  for (const label of name.split('.')) {
    if (label.length === 0) return 'it has an empty label (a leading, trailing or double dot)';
    if (label.length > MAX_LABEL_LENGTH) return `label '${label}' is longer than ${MAX_LABEL_LENGTH} characters`;
    if (!/^[A-Za-z0-9-]+$/.test(label)) return `label '${label}' may hold only letters, digits and '-'`;
    if (label.startsWith('-') || label.endsWith('-')) return `label '${label}' starts or ends with '-'`;
  }
  return undefined;
}
