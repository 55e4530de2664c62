/**
 * The VE's /etc/resolv.conf from NAMESERVER and SEARCHDOMAIN, as OpenVZ's set_dns.sh
 * edits it: the lines a setting replaces go, everything else (options, comments) stays.
 */
import { readGuestFile, writeGuestFile, type HostFs } from '@vzkit/core';

/** The host's own nameservers, for `--nameserver inherit`. */
export function nameserversOf(resolvConf: string): string[] {
  return resolvConf.split('\n').map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((x): x is string => !!x);
}

/** The new text; `servers`/`search` undefined leave those lines as they are. */
export function editResolvConf(current: string, servers: readonly string[] | undefined, search: readonly string[] | undefined): string {
  let lines = current.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (search) lines = lines.filter((l) => !/^\s*(search|domain)(\s|$)/.test(l));
  if (servers) lines = lines.filter((l) => !/^\s*nameserver(\s|$)/.test(l));
  const head = search && search.length ? [`search ${search.join(' ')}`] : [];
  const tail = servers ? servers.map((s) => `nameserver ${s}`) : [];
  const out = [...head, ...lines, ...tail];
  return out.length ? `${out.join('\n')}\n` : '';
}

/**
 * Writes the VE's resolv.conf; `inherit` is replaced by the host's servers. Returns
 * false when the guest's file is not a regular file (a link to a resolver's stub).
 */
export async function writeResolvConf(fs: HostFs, root: string, servers: readonly string[] | undefined, search: readonly string[] | undefined): Promise<boolean> {
  let list = servers;
  if (servers?.includes('inherit')) {
    const host = nameserversOf(await fs.readFile('/etc/resolv.conf').catch(() => ''));
    list = servers.flatMap((s) => (s === 'inherit' ? host : [s]));
  }
  const current = (await readGuestFile(fs, root, 'etc/resolv.conf')) ?? '';
  return writeGuestFile(fs, root, 'etc/resolv.conf', editResolvConf(current, list, search), { create: true });
}
