/**
 * Moving a VE's files between filesystems (onto its disk and back) with nothing lost:
 * GNU cp with the attributes it must keep named one by one, so that a failure to keep
 * any of them fails the copy (`cp -a` gives up extended attributes silently), and du for
 * what the files take before a copy is tried. The VE is stopped while they run: nothing
 * inside changes the tree under them.
 */
import type { Host } from '@vzkit/core';
import { quotaError, type QuotaErrorCode } from './errors.js';
import { runTool } from './tools.js';

/**
 * cp's arguments to copy the contents and the attributes of `from` (a directory) into the
 * existing directory `to`:
 * - `-R --no-dereference`: links are copied as links, never followed; device nodes,
 *   FIFOs and sockets are made again (overlayfs whiteouts are 0:0 character devices);
 * - `--preserve=mode,ownership,timestamps,links,xattr`: numeric owners (an unprivileged
 *   VE's ids stay in its range), modes with set-id bits, access and default ACLs,
 *   hard links within the tree, and every extended attribute — file capabilities
 *   (`security.capability`, revision 3 with its root uid too) and overlayfs' own
 *   (`trusted.overlay.opaque`, `.redirect`, ...). Naming xattr makes cp fail where it
 *   cannot keep one;
 * - `--sparse=always`: holes stay holes.
 * cp sets a file's capabilities after its owner (a chown drops them), which the test of
 * the conversion checks on the real kernel.
 */
export function copyArgv(from: string, to: string): string[] {
  return ['cp', '-R', '--no-dereference', '--preserve=mode,ownership,timestamps,links,xattr', '--sparse=always', `${from}/.`, `${to}/`];
}

export async function copyTree(host: Host, from: string, to: string, what: string, code: QuotaErrorCode): Promise<void> {
  await runTool(host, copyArgv(from, to), { what, code, timeoutMs: 6 * 3600_000 });
}

/** What the files below `dir` take: 1 KiB blocks allocated and inodes (du -s, one filesystem). */
export interface TreeUsage {
  kb: number;
  inodes: number;
}

function firstNumber(text: string, what: string, code: QuotaErrorCode): number {
  const n = Number(/^\s*(\d+)/.exec(text)?.[1]);
  if (!Number.isFinite(n)) throw quotaError(code, `${what}: du printed no number`);
  return n;
}

export async function treeUsage(host: Host, dir: string, what: string, code: QuotaErrorCode): Promise<TreeUsage> {
  const kb = await runTool(host, ['du', '-s', '-x', '-k', dir], { what, code });
  const inodes = await runTool(host, ['du', '-s', '-x', '--inodes', dir], { what, code });
  return { kb: firstNumber(kb.stdout, what, code), inodes: firstNumber(inodes.stdout, what, code) };
}

/**
 * Flushes the filesystem holding `path` to its disk (syncfs): before the originals of a
 * copy go, the copy must be on disk. For a loop-mounted image the flush reaches the
 * image file, which the loop driver syncs.
 */
export async function syncFs(host: Host, path: string, what: string, code: QuotaErrorCode): Promise<void> {
  await runTool(host, ['sync', '-f', path], { what, code });
}
