/**
 * Host programs the backends drive (mkfs.ext4, resize2fs, btrfs, setquota ...), run
 * through the Host: a non-zero exit is a quota failure under the caller's exit code,
 * naming the program and its last line of complaint; a missing program says which
 * package brings it.
 */
import { isVzError, type Host, type RunResult } from '@vzkit/core';
import { quotaError, type QuotaErrorCode } from './errors.js';

const PACKAGE_OF: Record<string, string> = {
  'mkfs.ext4': 'e2fsprogs', resize2fs: 'e2fsprogs', e2fsck: 'e2fsprogs', dumpe2fs: 'e2fsprogs', tune2fs: 'e2fsprogs', chattr: 'e2fsprogs',
  btrfs: 'btrfs-progs', setquota: 'quota', repquota: 'quota', cp: 'coreutils', du: 'coreutils', sync: 'coreutils', find: 'findutils',
};

export interface ToolRun {
  /** What the step is for, as the error says it: `CT 101: make the disk image`. */
  what: string;
  code: QuotaErrorCode;
  /** Exit statuses that are not failures (e2fsck's 1: errors corrected). */
  ok?: readonly number[];
  timeoutMs?: number;
}

/** Runs a program to its end; anything but success is a quota error naming the step. */
export async function runTool(host: Host, argv: string[], step: ToolRun): Promise<RunResult> {
  let r: RunResult;
  try {
    r = await host.processes.run(argv, { ...(step.timeoutMs !== undefined ? { timeoutMs: step.timeoutMs } : {}), env: { LC_ALL: 'C' } });
  } catch (e) {
    if (isVzError(e) && e.errno === 'ENOENT') {
      const pkg = PACKAGE_OF[argv[0]!];
      throw quotaError(step.code, `${step.what}: ${argv[0]} is not installed`, { cause: e, ...(pkg ? { hint: `install ${pkg}` } : {}) });
    }
    throw quotaError(step.code, `${step.what}: ${argv[0]}: ${(e as Error).message}`, { cause: e });
  }
  if (r.code !== 0 && !(step.ok ?? []).includes(r.code)) {
    const said = lastLine(r.stderr) ?? lastLine(r.stdout) ?? '';
    throw quotaError(step.code, `${step.what}: ${argv[0]} exited with ${r.code}${said ? `: ${said}` : ''}`);
  }
  return r;
}

function lastLine(text: string): string | undefined {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).pop();
}
