/**
 * A VE's own ssh host keys, made at its first start: a template carries none (every VE
 * of it would share one identity), and without keys the guest's sshd does not start.
 * The host's ssh-keygen makes them in a directory of the VE's run directory, and they
 * are copied in as guest files (never through a guest symlink). The guest's own
 * binaries are never run on the host.
 */
import { join } from 'node:path';
import { skipIfRefused, statGuestFile, writeGuestFile, type HookContext } from '@vzkit/core';

const KEY_TYPES = ['rsa', 'ecdsa', 'ed25519'] as const;

/** True when the guest has an sshd config but no host key at all (anything at a key's name counts as one). */
async function needsKeys(ctx: HookContext): Promise<boolean> {
  if ((await statGuestFile(ctx, 'etc/ssh/sshd_config'))?.type !== 'file') return false;
  for (const t of KEY_TYPES) if ((await statGuestFile(ctx, `etc/ssh/ssh_host_${t}_key`)) !== undefined) return false;
  return true;
}

/**
 * Makes the VE's ssh host keys when it has none. A guest /etc/ssh that is unsafe to
 * write into (a symlink on the way, a FIFO at a key's name, ...) gets no keys and one
 * warning; the start goes on.
 */
export async function ensureSshHostKeys(ctx: HookContext): Promise<void> {
  await skipIfRefused(ctx, 'no ssh host keys were made; sshd inside will not start', () => makeKeys(ctx));
}

async function makeKeys(ctx: HookContext): Promise<void> {
  if (!(await needsKeys(ctx))) return;
  const { fs, processes } = ctx.host;
  const work = join(ctx.ve.paths.runDir, 'ssh-keys');
  await fs.mkdir(join(work, 'etc/ssh'), { recursive: true, mode: 0o700 });
  try {
    let r;
    try {
      // -A makes every default type under the -f prefix; the comment names the VE.
      r = await processes.run(['ssh-keygen', '-A', '-f', work], { timeoutMs: 60_000 });
    } catch (e) {
      ctx.log.warn(`no ssh host keys made: ${e instanceof Error ? e.message : String(e)} (install openssh-client on the host); sshd inside will not start`);
      return;
    }
    if (r.code !== 0) {
      ctx.log.warn(`no ssh host keys made: ssh-keygen -A exited with ${r.code}: ${r.stderr.trim().split('\n').pop() ?? ''}`);
      return;
    }
    for (const name of (await fs.readdir(join(work, 'etc/ssh'))).filter((n) => n.startsWith('ssh_host_'))) {
      const text = await fs.readFile(join(work, 'etc/ssh', name));
      await writeGuestFile(ctx, `etc/ssh/${name}`, text, { create: true, mode: name.endsWith('.pub') ? 0o644 : 0o600 });
    }
    ctx.log.info(`${ctx.ve.label}: made its ssh host keys`);
  } finally {
    await fs.remove(work, { recursive: true });
  }
}
