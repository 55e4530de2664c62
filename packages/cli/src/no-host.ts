/**
 * A host for runtimes that only describe themselves (`--help`): the plugins' declarations
 * are all `--help` needs, so the kernel-facing host is not even loaded. Any use of it is
 * a bug in the CLI and says so.
 */
import { vzError, type Host } from '@vzkit/core';

function refuse(path: string): never {
  throw vzError('SYSTEM', `internal error: host.${path} used while only describing the tools`);
}

function refusing(path: string): unknown {
  return new Proxy(() => undefined, {
    get: (_t, prop) => (typeof prop === 'symbol' ? undefined : refusing(`${path}.${prop}`)),
    apply: () => refuse(path),
  });
}

export const describeOnlyHost: Host = refusing('') as Host;
