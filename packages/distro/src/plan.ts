/**
 * The guest's /etc/hosts as OpenVZ's set_hostname scripts keep it: a localhost line,
 * and the VE's name on its first address under a marker comment, so that the line is
 * found and replaced the next time and everything else the guest has stays.
 */

export const HOSTS_MARKER = '# Auto-generated hostname. Please do not remove this comment.';

/** `IP FQDN SHORT` (or `IP NAME` for a name without a dot). */
export function hostnameLine(ip: string, hostname: string): string {
  const short = hostname.split('.')[0]!;
  return short === hostname ? `${ip} ${hostname}` : `${ip} ${hostname} ${short}`;
}

/**
 * The new /etc/hosts: the marked line for `hostname` on `ip` (127.0.1.1 without an
 * address, as Debian does), a localhost line when there is none. Lines naming the
 * host elsewhere are left: the guest may have put them there.
 */
export function editHosts(current: string, hostname: string, ip: string | undefined): string {
  const lines = current.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    // The marker and the line after it are ours.
    if (lines[i] === HOSTS_MARKER) {
      i++;
      continue;
    }
    out.push(lines[i]!);
  }
  if (!out.some((l) => /^\s*127\.0\.0\.1\s.*\blocalhost\b/.test(l))) out.unshift('127.0.0.1 localhost.localdomain localhost');
  out.push(HOSTS_MARKER, hostnameLine(ip ?? '127.0.1.1', hostname));
  return `${out.join('\n')}\n`;
}
