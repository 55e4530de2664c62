/**
 * Where the tools get their runtime. Tests pass a factory that composes a runtime on
 * FakeHost; the binaries use the default composition, loaded on first use so that
 * `--version` loads nothing and `--help` no kernel-facing code.
 */
import type { Logger, Runtime } from '@vzkit/core';

export interface RuntimeRequest {
  /** `--root DIR`, when given. */
  root: string | undefined;
  log: Logger;
  /**
   * False when the runtime is only asked for its declarations (help, verb lookup): no
   * VE is touched, so no host needs to be loaded.
   */
  hostNeeded: boolean;
}

export type RuntimeFactory = (req: RuntimeRequest) => Promise<Runtime>;

export const defaultRuntimeFactory: RuntimeFactory = async (req) => {
  const { createDefaultRuntime } = await import('./composition.js');
  const { describeOnlyHost } = await import('./no-host.js');
  return createDefaultRuntime({
    ...(req.root !== undefined ? { root: req.root } : {}),
    log: req.log,
    ...(req.hostNeeded ? {} : { host: describeOnlyHost }),
  });
};
