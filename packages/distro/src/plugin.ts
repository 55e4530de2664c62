/**
 * distro: what OpenVZ's per-distribution scripts did inside the guest and no namespace
 * plugin owns. /etc/hosts names the VE on its first address (following HOSTNAME and
 * IP_ADDRESS, which ns-uts and ns-net own, at start and live); `--userpasswd` sets a
 * password by the guest's own tools; a VE gets its own ssh host keys at its first start.
 * The guest's network needs no script: venet0 is
 * configured from the host, and a stanza for it in /etc/network/interfaces would let
 * the guest's `ifdown -a` cut the VE off.
 */
import { definePlugin, readGuestFile, skipIfRefused, vzError, writeGuestFile, type HookContext } from '@vzkit/core';
import { distroError } from './errors.js';
import { USERPASSWD } from './config.js';
import { editHosts } from './plan.js';
import { ensureSshHostKeys } from './ssh-keys.js';
import { SET_PASSWORDS_SCRIPT, type UserPassword } from './userpasswd.js';

/** The keys whose changes rewrite /etc/hosts. */
const HOSTS_KEYS = ['HOSTNAME', 'IP_ADDRESS'];

/** The first address of IP_ADDRESS without its prefix. */
function firstAddress(ctx: HookContext): string | undefined {
  return ctx.ve.config.raw('IP_ADDRESS')?.split(/[\s,]+/).find(Boolean)?.split('/')[0];
}

/** /etc/hosts may be a large block list: read up to this much of it. */
const HOSTS_READ_LIMIT = 16 << 20;

async function writeHosts(ctx: HookContext): Promise<void> {
  const hostname = ctx.ve.config.raw('HOSTNAME');
  if (!hostname) return;
  await skipIfRefused(ctx, 'the hostname was not written into it', async () => {
    const current = (await readGuestFile(ctx, 'etc/hosts', { maxBytes: HOSTS_READ_LIMIT })) ?? '';
    await writeGuestFile(ctx, 'etc/hosts', editHosts(current, hostname, firstAddress(ctx)), { create: true });
  });
}

async function setPasswords(ctx: HookContext, list: readonly UserPassword[]): Promise<void> {
  const input = list.map((u) => `${u.user}:${u.password}\n`).join('');
  const users = [...new Set(list.map((u) => u.user))];
  const r = await ctx.exec({ argv: ['/bin/sh', '-c', SET_PASSWORDS_SCRIPT, 'sh', ...users], stdio: 'pipe', input, timeoutMs: 60_000 });
  if (r.code !== 0) {
    const why = (r.stderr ?? '').trim().split('\n').pop() || `exit status ${r.code}`;
    throw distroError('CHANGEPASS', `${ctx.ve.label}: setting the password of ${list.map((u) => u.user).join(', ')} failed: ${why}`, { about: ctx.ve.label });
  }
}

/** The distro plugin: /etc/hosts and --userpasswd. */
export const distroPlugin = definePlugin({
  name: '@vzkit/distro',
  // The guest files it edits follow HOSTNAME and IP_ADDRESS, which ns-uts and ns-net apply first.
  after: ['@vzkit/ns-fs', '@vzkit/ns-uts', '@vzkit/ns-net'],
  configKeys: [USERPASSWD],
  watches: HOSTS_KEYS,
  hooks: {
    async prepare(ctx) {
      await writeHosts(ctx);
      await ensureSshHostKeys(ctx);
    },

    async update(ctx, changes) {
      if (changes.has(...HOSTS_KEYS)) await writeHosts(ctx);
      const pw = changes.of(USERPASSWD)?.after;
      if (pw?.length) await setPasswords(ctx, pw);
    },
  },
});
