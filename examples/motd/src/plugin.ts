/**
 * motd: each VE's /etc/motd from its config (MOTD, `--motd`). Written at every start,
 * before init runs, and at once by `vzctl set --motd` on a running VE. A VE without the
 * key (or with `MOTD=""`, which the core reads as no value) gets nothing written; taking
 * the key away leaves the file as it was last written, the guest's own from then on.
 * The file is reached through the guest-file API only, so a VE that made /etc/motd a
 * symlink to a host file cannot have vzkit write there.
 */
import { definePlugin, skipIfRefused, writeGuestFile, type HookContext, type ListField } from '@vzkit/core';
import { MOTD } from './config.js';
import { motdError } from './errors.js';
import { motdFileText, motdProblem } from './motd.js';

/**
 * Replaces (or makes) the VE's /etc/motd. A file the VE made unsafe (a symlink, a FIFO,
 * a directory) is left alone with one warning: the VE broke its own file, and MOTD in
 * its config still holds.
 */
async function writeMotd(ctx: HookContext, value: string): Promise<void> {
  await skipIfRefused(ctx, 'MOTD was not written into it', async () => {
    const written = await writeGuestFile(ctx, 'etc/motd', motdFileText(value), { create: true });
    if (!written) ctx.log.warn('the VE has no /etc: MOTD was not written');
  });
}

const motdField: ListField = {
  name: 'motd',
  header: 'MOTD',
  width: -32,
  get: (row) => row.config.get(MOTD),
};

/** The motd plugin: MOTD, the VE's /etc/motd, the `motd` vzlist column. */
export const motdPlugin = definePlugin({
  name: '@vzkit/example-motd',
  configKeys: [MOTD],
  listFields: [motdField],
  hooks: {
    validate(ctx) {
      const value = ctx.ve.config.get(MOTD);
      if (value === undefined) return;
      const problem = motdProblem(value);
      if (problem) throw motdError('BAD_MOTD', `${ctx.ve.label}: invalid MOTD (--motd): ${problem}`, { about: ctx.ve.label });
    },

    // Every plugin's `mount` has run: the VE's root is on the host, init not yet started.
    async prepare(ctx) {
      const value = ctx.ve.config.get(MOTD);
      if (value !== undefined) await writeMotd(ctx, value);
    },

    async update(ctx, changes) {
      // Typed by the key: a string, or undefined when the key was taken away.
      const value = changes.of(MOTD)?.after;
      // Taken away: the file stays as last written (there is no guest-file removal).
      if (value !== undefined) await writeMotd(ctx, value);
    },
  },
});
