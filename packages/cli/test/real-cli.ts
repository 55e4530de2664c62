/**
 * The bundled tools (dist/vzctl.js, dist/vzubc.js ...) on the real kernel, as an
 * administrator runs them, with every path under a temp VZKIT_ROOT and every cgroup
 * below our own. `setup` builds the launcher and the bundle; `teardown` stops and
 * destroys every CTID handed out and removes the rest.
 */
import { execFile, execFileSync } from 'node:child_process';
import { access, chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { createLinuxHost, type LinuxHost } from '@vzkit/linux';

export interface Run { code: number; signal: string | null; stdout: string; stderr: string }

const pkg = fileURLToPath(new URL('..', import.meta.url));

export const exists = (p: string) => access(p).then(() => true, () => false);

export class RealCli {
  /** Cgroup parent of this file's VEs. */
  readonly parent: string;
  /** First CTID of this file's range (40 in all). */
  readonly base = 200000 + Math.floor(Math.random() * 700000);
  root = '';
  host!: LinuxHost;

  constructor(tag: string) {
    this.parent = `@self/vzkit-test-${process.pid}-${tag}`;
  }

  async setup(): Promise<void> {
    execFileSync('make', ['-s', '-C', join(pkg, '../linux/native')], { stdio: 'inherit' });
    execFileSync(process.execPath, [join(pkg, 'build.mjs')], { stdio: 'inherit' });
    this.root = await mkdtemp(join(tmpdir(), 'vzkit-cli-it-'));
    // Like /var/lib: a user-namespaced VE's root must be able to pass through to its VE_ROOT.
    await chmod(this.root, 0o711);
    this.host = await createLinuxHost();
  }

  /**
   * A network namespace (/run/netns/NAME) the tools run in, as their "host" network:
   * tests that route, forward and filter do it there, never in the machine's own.
   */
  netns: string | undefined;

  /** Runs a bundled tool (`vzctl`, `vzlist`, `vzubc`); `input`, when given, is its stdin. */
  tool(name: string, argv: string[], env: Record<string, string> = {}, timeoutMs = 50_000, input?: string): Promise<Run> {
    const cmd = [process.execPath, join(pkg, `dist/${name}.js`), ...argv];
    // nsenter --net only: the tools keep the machine's mount namespace, where VE roots are mounted.
    if (this.netns) cmd.unshift('nsenter', `--net=/run/netns/${this.netns}`, '--');
    return new Promise((resolve) => {
      const child = execFile(cmd[0]!, cmd.slice(1),
        { env: { ...process.env, VZKIT_ROOT: this.root, VZKIT_CGROUP_PARENT: this.parent, VZKIT_DEBUG: '', ...env }, timeout: timeoutMs },
        (err, stdout, stderr) => {
          const e = err as (Error & { code?: number; signal?: string }) | null;
          resolve({ code: e ? (typeof e.code === 'number' ? e.code : 128) : 0, signal: e?.signal ?? null, stdout, stderr });
        });
      if (input !== undefined) child.stdin!.end(input);
    });
  }

  vzctl(argv: string[], env: Record<string, string> = {}): Promise<Run> {
    return this.tool('vzctl', argv, env);
  }

  async initPid(ctid: number): Promise<number> {
    return JSON.parse(await readFile(join(this.root, 'run/vzkit', String(ctid), 'state.json'), 'utf8')).pid as number;
  }

  /** Nothing of the VE is left on the host: mount, cgroup, run directory, lock, private area, config, init. */
  async expectClean(ctid: number, pid?: number): Promise<void> {
    const root = this.root;
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    expect(mounts).not.toContain(`${root}/var/lib/vzkit/root/${ctid} `);
    expect(mounts).not.toContain(`${root}/var/lib/vzkit/private/${ctid} `);
    expect(await this.host.cgroups.exists(`${this.parent}/${ctid}`)).toBe(false);
    expect(await exists(join(root, 'run/vzkit', String(ctid)))).toBe(false);
    expect(await exists(join(root, 'run/vzkit', `${ctid}.lck`))).toBe(false);
    expect(await exists(join(root, 'var/lib/vzkit/private', String(ctid)))).toBe(false);
    expect(await exists(join(root, 'etc/vzkit/conf', `${ctid}.conf`))).toBe(false);
    if (pid) expect(await this.host.processes.alive(pid)).toBe(false);
  }

  async cleanupVe(ctid: number): Promise<void> {
    await this.vzctl(['stop', String(ctid), '--fast']);
    await this.vzctl(['destroy', String(ctid)]);
  }

  async teardown(): Promise<void> {
    for (let i = 0; i < 40; i++) await this.cleanupVe(this.base + i).catch(() => undefined);
    await this.host?.cgroups.destroy(this.parent).catch(() => undefined);
    if (this.root) await rm(this.root, { recursive: true, force: true });
  }
}
