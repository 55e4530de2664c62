/**
 * ns-uts: the VE's own UTS namespace. The hostname is set by the launcher before init
 * runs, and on a running VE from inside (`hostname NAME`), so the change is made by the
 * guest's own tool in the guest's namespace.
 */
import { definePlugin, vzError, type HookContext, type ListField } from '@vzkit/core';
import { utsError } from './errors.js';
import { HOSTNAME } from './config.js';
import { writeEtcHostname } from './etc-hostname.js';
import { hostnameProblem } from './hostname.js';

const hostnameField: ListField = {
  name: 'hostname',
  header: 'HOSTNAME',
  width: -32,
  get: (row) => row.config.get(HOSTNAME),
};

/** Sets the hostname of the running VE from inside it. */
async function setLiveHostname(ctx: HookContext, name: string): Promise<void> {
  const r = await ctx.exec({ argv: ['hostname', name], stdio: 'pipe', timeoutMs: 30_000 });
  if (r.code !== 0) {
    const why = (r.stderr ?? '').trim().split('\n').pop() || `exit status ${r.code}`;
    throw vzError('EXEC_FAILED', `${ctx.ve.label}: 'hostname ${name}' inside the VE failed: ${why}`, { about: ctx.ve.label });
  }
}

/** The ns-uts plugin: UTS namespace, HOSTNAME, the `hostname` vzlist column. */
export const nsUtsPlugin = definePlugin({
  name: '@vzkit/ns-uts',
  configKeys: [HOSTNAME],
  listFields: [hostnameField],
  hooks: {
    validate(ctx) {
      const name = ctx.ve.config.get(HOSTNAME);
      if (name === undefined) return;
      const problem = hostnameProblem(name);
      if (problem) throw utsError('BAD_HOSTNAME', `${ctx.ve.label}: invalid hostname '${name}' (--hostname): ${problem}`, { about: ctx.ve.label });
    },

    async prepare(ctx, plan) {
      plan.namespaces.add('uts');
      plan.writableProcSys.add('kernel/hostname');
      plan.writableProcSys.add('kernel/domainname');
      const name = ctx.ve.config.get(HOSTNAME);
      if (name === undefined) return;
      plan.add('early', { op: 'sethostname', name });
      // The guest's init sets the hostname from /etc/hostname at boot: keep them the same.
      await writeEtcHostname(ctx, name);
    },

    async update(ctx, changes) {
      const name = changes.of(HOSTNAME)?.after;
      // Removing HOSTNAME leaves the running VE's hostname as it is (vzctl does the same).
      if (name === undefined) return;
      await setLiveHostname(ctx, name);
      await writeEtcHostname(ctx, name);
    },
  },
});
