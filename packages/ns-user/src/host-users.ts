/**
 * Users and groups of the host that a VE's id range must not contain: a VE whose root
 * were host uid 1000 would own that user's files. Read from the host's /etc/passwd and
 * /etc/group (ids are host-wide, so never from under a VZKIT_ROOT).
 */
import { isVzError, sharedWhileRunning, type Host } from '@vzkit/core';

export interface HostAccount {
  name: string;
  id: number;
}

/** `name:x:id:...` lines of passwd(5) or group(5); malformed lines are skipped. */
export function parseAccounts(text: string): HostAccount[] {
  const out: HostAccount[] = [];
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id !== undefined && /^\d+$/.test(id)) out.push({ name, id: Number(id) });
  }
  return out;
}

const reads = { '/etc/passwd': sharedWhileRunning<Host, HostAccount[]>(), '/etc/group': sharedWhileRunning<Host, HostAccount[]>() };

const missing = (e: unknown) => {
  const errno = isVzError(e) ? e.errno : (e as NodeJS.ErrnoException | undefined)?.code;
  return errno === 'ENOENT' || errno === 'ENOTDIR';
};

/**
 * The accounts in `file` (none when it does not exist). The starts of a bulk run that ask
 * while a read is under way share it (a file read is four thread-pool round trips); none
 * is kept once read, so an account added meanwhile is seen by the next start.
 */
export function hostAccounts(host: Host, file: '/etc/passwd' | '/etc/group'): Promise<HostAccount[]> {
  return reads[file](host, () => host.fs.readFile(file).then(parseAccounts, (e: unknown) => {
    if (missing(e)) return [];
    throw e;
  }));
}

/** The first account whose id lies in [base, base + count). */
export function accountInRange(accounts: readonly HostAccount[], base: number, count: number): HostAccount | undefined {
  return accounts.find((a) => a.id >= base && a.id < base + count);
}
