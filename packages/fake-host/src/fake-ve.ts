/**
 * A runtime on FakeHost with the plugins under test and VEs ready to start: config
 * written by `create`, private area made in the fake (without ns-fs nobody makes it),
 * /sbin/init in the fake root. What a plugin's unit tests start from.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, definePlugin, resolvePaths, type ChildOp, type Logger, type Namespace, type Plugin, type Runtime } from '@vzkit/core';
import { FakeHost } from './fake-host.js';
import type { FakeHostOptions } from './fake-kernel.js';

/** The launch plan of the last start, as every plugin left it. */
export interface PlanSeen {
  namespaces: Namespace[];
  ops: ChildOp[];
  writableProcSys: Set<string>;
}

export interface FakeVe {
  fake: FakeHost;
  runtime: Runtime;
  warnings: string[];
  plan(): PlanSeen | undefined;
  /** `vzctl create` from template `test`; `config` names the sample (CONFIGFILE of vz.conf when absent). */
  create(ctid: number, values?: Record<string, string>, opts?: { config?: string }): Promise<void>;
  cleanup(): Promise<void>;
}

/** A fresh FakeHost runtime of `plugins` in a temporary VZKIT_ROOT; call `cleanup()` after each test. */
export async function fakeVe(plugins: Plugin<any, any>[], hostOptions: Partial<FakeHostOptions> = {}): Promise<FakeVe> {
  const dir = await mkdtemp(join(tmpdir(), 'vzkit-test-'));
  const fake = new FakeHost(hostOptions);
  fake.fs.seed('/sbin/init', '', { mode: 0o755 });
  const warnings: string[] = [];
  const log: Logger = { info() {}, debug() {}, warn: (m) => warnings.push(m) };
  let seen: PlanSeen | undefined;
  const planView = definePlugin({
    name: 'test-plan-view',
    hooks: {
      async prepare(_ctx, plan) {
        // Finalizers run after every plugin's prepare: this is the plan the launcher gets.
        plan.finalize((p) => {
          seen = { namespaces: [...p.namespaces], ops: p.ops(), writableProcSys: new Set(p.writableProcSys) };
        });
      },
    },
  });
  const runtime = createRuntime({ host: fake, plugins: [...plugins, planView], paths: resolvePaths(dir), log });
  return {
    fake, runtime, warnings,
    plan: () => seen,
    async create(ctid, values = {}, opts = {}) {
      await runtime.create(ctid, { ostemplate: 'test', values: new Map(Object.entries(values)), ...(opts.config !== undefined ? { config: opts.config } : {}) });
      fake.fs.seedDir(join(runtime.paths.private, String(ctid)));
    },
    async cleanup() {
      for (const ctid of await runtime.ctids()) {
        if ((await runtime.status(ctid)).running) await runtime.stop(ctid, { fast: true });
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
