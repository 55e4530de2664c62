/**
 * Where vzkit keeps things. OpenVZ's layout under /etc/vzkit, /var/lib/vzkit and
 * /run/vzkit; everything moves under one prefix with `VZKIT_ROOT` (or `--root DIR`),
 * which is how tests and benchmarks run beside the host's own VEs.
 */
import { join } from 'node:path';

export interface VzPaths {
  /** The prefix ('' for the real system). */
  prefix: string;
  etc: string;
  globalConf: string;
  confDir: string;
  lib: string;
  private: string;
  root: string;
  template: string;
  run: string;
}

export function resolvePaths(prefix = ''): VzPaths {
  const p = prefix.replace(/\/+$/, '');
  const at = (s: string) => (p ? join(p, s) : s);
  const lib = at('/var/lib/vzkit');
  return {
    prefix: p,
    etc: at('/etc/vzkit'),
    globalConf: at('/etc/vzkit/vz.conf'),
    confDir: at('/etc/vzkit/conf'),
    lib,
    private: join(lib, 'private'),
    root: join(lib, 'root'),
    template: join(lib, 'template'),
    run: at('/run/vzkit'),
  };
}

/** Paths of one VE. */
export interface VePaths {
  /** The vzkit root (VZKIT_ROOT, `--root`); '' on the real system, where host-wide settings may be changed. */
  prefix: string;
  /** `<confDir>/<ctid>.conf` */
  conf: string;
  /** VE_PRIVATE with $VEID substituted. */
  private: string;
  /** VE_ROOT with $VEID substituted. */
  root: string;
  /** `<run>/<ctid>`: state.json and per-VE runtime files. */
  runDir: string;
  state: string;
  /** `<run>/<ctid>.lck`: exists only while an operation holds the VE. */
  lock: string;
  template: string;
}

/** `$VEID` / `$CTID` in VE_ROOT and VE_PRIVATE stand for the CTID (kept literal in files). */
export function substituteCtid(path: string, ctid: number): string {
  return path.replace(/\$(VEID|CTID)\b|\$\{(VEID|CTID)\}/g, String(ctid));
}
