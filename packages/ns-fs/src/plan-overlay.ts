/**
 * The overlay that is a VE's root: the read-only template tree below, the VE's own files
 * (VE_PRIVATE/fs) above. Its options name the layers relative to their deepest common
 * directory, which the mount resolves from (MountSpec.cwd), so /proc/mounts inside the VE
 * shows `lowerdir=template/busybox` rather than a host path (DECISIONS.md "Filesystems").
 */
import { relative, sep } from 'node:path';
import { vzError, type MountSpec } from '@vzkit/core';

export interface OverlayLayers {
  /** The template tree (read-only). */
  lower: string;
  /** VE_PRIVATE/fs: where the VE's writes land. */
  upper: string;
  /** VE_PRIVATE/work: overlayfs scratch space on the upper's filesystem. */
  work: string;
}

/** The deepest directory that contains every one of the absolute `paths` (`/` at worst). */
export function commonAncestor(paths: readonly string[]): string {
  const split = paths.map((p) => p.split(sep).filter(Boolean));
  const first = split[0] ?? [];
  let n = 0;
  while (n < first.length && split.every((s) => s[n] === first[n])) n++;
  return `/${first.slice(0, n).join('/')}`;
}

// Overlay splits its options at `,` and lowerdir at `:`; `\` escapes. Refuse rather than escape.
const UNSAFE = /[,:\\\n]/;

/** The mount of the overlay at `target`; throws BAD_VALUE for a path overlayfs cannot take. */
export function overlayMount(target: string, layers: OverlayLayers, label: string): MountSpec {
  for (const [what, path] of Object.entries(layers)) {
    if (!path.startsWith('/')) throw vzError('BAD_VALUE', `${label}: overlay ${what}dir ${path} is not absolute`, { about: label });
    if (UNSAFE.test(path)) {
      throw vzError('BAD_VALUE', `${label}: overlay ${what}dir ${path} contains a character overlayfs cannot take (, : \\)`, { about: label, path });
    }
  }
  const cwd = commonAncestor([layers.lower, layers.upper, layers.work]);
  const rel = (p: string) => relative(cwd, p) || '.';
  return {
    source: 'overlay',
    target,
    fstype: 'overlay',
    data: `lowerdir=${rel(layers.lower)},upperdir=${rel(layers.upper)},workdir=${rel(layers.work)}`,
    cwd,
  };
}
