/**
 * What a Debian build takes from the host's own apt configuration, so that a template
 * downloads the way the host's `apt-get` does: the Debian mirrors of its sources (a local
 * mirror or a caching proxy's address) and its `Acquire::` settings (proxies, timeouts,
 * retries, TLS and validity checks). mmdebstrap runs apt with a configuration of its own
 * that reads none of the host's files except the trusted keys, so these are handed to it.
 */
import { isVzError, type Host } from '@vzkit/core';

/** Debian suite names a main-archive entry may carry (with `-updates`, `-backports`, ...). */
const DEBIAN_SUITE = /^(buster|bullseye|bookworm|trixie|forky|duke|sid|stable|testing|unstable|oldstable|oldoldstable)(-updates|-backports|-proposed-updates)?$/;
const DEBIAN_SECURITY_SUITE = /^(buster|bullseye|bookworm|trixie|forky|duke|stable|testing|oldstable|oldoldstable)(-security|\/updates)$/;

/** The Debian mirrors the host's apt uses; either may be missing. */
export interface HostMirrors {
  /** The main archive (`http://deb.debian.org/debian`). */
  archive?: string;
  /** The security archive (`http://deb.debian.org/debian-security`). */
  security?: string;
}

interface SourceEntry {
  uri: string;
  suites: string[];
}

/** `deb [opts] URI SUITE COMPONENTS...` lines (sources.list). */
export function parseOneLineSources(text: string): SourceEntry[] {
  const out: SourceEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').replace(/\[[^\]]*\]/, ' ').trim();
    const [type, uri, suite] = line.split(/\s+/);
    if (type === 'deb' && uri && suite) out.push({ uri, suites: [suite] });
  }
  return out;
}

/** deb822 stanzas (`*.sources`): Types, URIs, Suites, Enabled. */
export function parseDeb822Sources(text: string): SourceEntry[] {
  const out: SourceEntry[] = [];
  const noComments = text.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
  for (const stanza of noComments.split(/\n\s*\n/)) {
    const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(stanza)?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
    if (!field('Types').includes('deb') || field('Enabled')[0]?.toLowerCase() === 'no') continue;
    for (const uri of field('URIs')) out.push({ uri, suites: field('Suites') });
  }
  return out;
}

/** The first main-archive and security URIs among `entries`, without trailing slashes. */
export function debianMirrorsOf(entries: readonly SourceEntry[]): HostMirrors {
  const clean = (uri: string) => uri.replace(/\/+$/, '');
  const archive = entries.find((e) => e.suites.some((s) => DEBIAN_SUITE.test(s)));
  const security = entries.find((e) => e.suites.some((s) => DEBIAN_SECURITY_SUITE.test(s)));
  return { ...(archive ? { archive: clean(archive.uri) } : {}), ...(security ? { security: clean(security.uri) } : {}) };
}

async function readIfFile(host: Host, path: string): Promise<string> {
  return (await host.fs.stat(path))?.type === 'file' ? host.fs.readFile(path) : '';
}

/** The Debian mirrors of the host's /etc/apt/sources.list and sources.list.d. */
export async function hostDebianMirrors(host: Host, etcApt = '/etc/apt'): Promise<HostMirrors> {
  const entries = parseOneLineSources(await readIfFile(host, `${etcApt}/sources.list`));
  const dir = `${etcApt}/sources.list.d`;
  if ((await host.fs.stat(dir))?.type === 'dir') {
    for (const name of (await host.fs.readdir(dir)).sort()) {
      if (name.endsWith('.list')) entries.push(...parseOneLineSources(await readIfFile(host, `${dir}/${name}`)));
      else if (name.endsWith('.sources')) entries.push(...parseDeb822Sources(await readIfFile(host, `${dir}/${name}`)));
    }
  }
  return debianMirrorsOf(entries);
}

/**
 * The host's `Acquire::` settings as apt.conf lines, from `apt-config dump`: those an
 * administrator sets for the network (proxies, retries, timeouts, TLS, validity); the
 * index targets and cdrom settings describe the host's own sources and stay out. Empty
 * when the host has no apt.
 */
export function acquireSettings(dump: string): string {
  return dump.split('\n')
    // `Key "";` lines are the tree's inner nodes, which apt prints with no value.
    .filter((l) => /^Acquire::\S+ ".+";$/.test(l) && !/^Acquire::(IndexTargets|cdrom)(::|\s)/i.test(l))
    .map((l) => `${l}\n`).join('');
}

/** {@link acquireSettings} of this host ('' without apt-config). */
export async function hostAcquireSettings(host: Host): Promise<string> {
  try {
    const r = await host.processes.run(['apt-config', 'dump', 'Acquire']);
    return r.code === 0 ? acquireSettings(r.stdout) : '';
  } catch (e) {
    if (isVzError(e) && e.errno === 'ENOENT') return '';
    throw e;
  }
}
