/**
 * The templates vzkit makes itself, by name: `busybox` from the host's busybox-static (no
 * download, instant) and `debian-<release>-<machine>` for the host's own machine by
 * mmdebstrap (downloads, under a minute; kept in the machine's template cache).
 */
import type { Host } from '@vzkit/core';
import { BUSYBOX_TEMPLATE, busyboxBuilder } from './busybox.js';
import type { TemplateBuilder } from './build.js';
import { buildableDebian, debianBuilder } from './debian.js';
import type { Progress } from './progress.js';

export interface BuilderOptions {
  /** Debian mirror; default the host's apt sources', else deb.debian.org. */
  mirror?: string;
  progress?: Progress;
}

/**
 * The builder of template `name`; undefined when vzkit cannot make a template of that
 * name. Throws TEMPLATE_NOT_FOUND for a name of a known family this host cannot build.
 */
export async function findBuilder(host: Host, name: string, opts: BuilderOptions = {}): Promise<TemplateBuilder | undefined> {
  if (name === BUSYBOX_TEMPLATE) return busyboxBuilder(host);
  return debianBuilder(host, name, { ...(opts.mirror ? { mirror: opts.mirror } : {}), ...(opts.progress ? { progress: opts.progress } : {}) });
}

/** The names this host can build. */
export async function buildableNames(host: Host): Promise<string[]> {
  return [BUSYBOX_TEMPLATE, ...(await buildableDebian(host))];
}
