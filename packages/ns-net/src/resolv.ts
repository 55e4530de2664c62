/**
 * The VE's /etc/resolv.conf from NAMESERVER and SEARCHDOMAIN, as OpenVZ's set_dns.sh
 * edits it: the lines a setting replaces go, everything else (options, comments) stays.
 */
import { readGuestFile, writeGuestFile, type GuestCtx, type HostFs } from '@vzkit/core';

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
 * Writes the VE's resolv.conf; `inherit` is replaced by the host's servers (the host's
 * own file, read through HostFs). The guest's file goes through the guest-file API: one
 * that is not a regular file (a link to a local resolver's stub, or anything the VE
 * swapped in) is refused, never followed.
 */
export async function writeResolvConf(ctx: GuestCtx & { readonly host: { readonly fs: HostFs } }, servers: readonly string[] | undefined, search: readonly string[] | undefined): Promise<void> {
  let list = servers;
  if (servers?.includes('inherit')) {
    const host = nameserversOf(await ctx.host.fs.readFile('/etc/resolv.conf').catch(() => ''));
    list = servers.flatMap((s) => (s === 'inherit' ? host : [s]));
  }
  const current = (await readGuestFile(ctx, 'etc/resolv.conf')) ?? '';
  await writeGuestFile(ctx, 'etc/resolv.conf', editResolvConf(current, list, search), { create: true });
}
