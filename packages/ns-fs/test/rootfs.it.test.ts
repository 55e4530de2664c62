/**
 * A busybox VE on the real kernel: template + ns-fs, with a test-only plugin for the
 * PID, IPC and (optionally) UTS namespaces, so the check stays on the root filesystem.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, definePlugin, resolvePaths, type ExecResult, type Host, type Runtime } from '@vzkit/core';
import { createLinuxHost } from '@vzkit/linux';
import { templatePlugin } from '@vzkit/template';
import { nsFsPlugin } from '../src/index.js';

let host: Host;
let tmp: string | undefined;
let parent: string | undefined;
let runtime: Runtime | undefined;
const made: number[] = [];

/** Namespaces besides mnt; `uts` also makes kernel/hostname writable, as ns-uts does. */
function testNamespaces(opts: { uts: boolean; net?: boolean }) {
  return definePlugin({
    name: 'test-namespaces',
    hooks: {
      async prepare(_ctx, plan) {
        plan.namespaces.add('pid');
        plan.namespaces.add('ipc');
        // A network namespace of its own keeps the VE's httpd off the host's port 80.
        if (opts.net) plan.namespaces.add('net');
        if (opts.uts) {
          plan.namespaces.add('uts');
          plan.writableProcSys.add('kernel/hostname');
        }
      },
    },
  });
}

async function mountTargets(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text.split('\n').filter(Boolean).map((l) => l.split(' ')[4]!.replace(/\\040/g, ' '));
}

async function newVe(opts: { uts: boolean; net?: boolean }): Promise<{ rt: Runtime; ctid: number }> {
  tmp = await mkdtemp(join(tmpdir(), 'vzkit-nsfs-it-'));
  parent = `@self/vzkit-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  runtime = createRuntime({ host, plugins: [templatePlugin, nsFsPlugin, testNamespaces(opts)], paths: resolvePaths(tmp), cgroupParent: parent });
  const ctid = 100_000 + Math.floor(Math.random() * 1_000_000_000);
  made.push(ctid);
  await runtime.create(ctid, { ostemplate: 'busybox' });
  return { rt: runtime, ctid };
}

async function sh(rt: Runtime, ctid: number, script: string): Promise<ExecResult> {
  return rt.exec(ctid, { argv: ['/bin/sh', '-c', script], stdio: 'pipe', timeoutMs: 10_000 });
}

async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    if (await check()) return true;
  }
  return check();
}

beforeAll(async () => {
  execFileSync('make', ['-s', '-C', fileURLToPath(new URL('../../linux/native', import.meta.url))], { stdio: 'inherit' });
  host = await createLinuxHost();
});

afterEach(async () => {
  const rt = runtime;
  const dir = tmp;
  runtime = undefined;
  tmp = undefined;
  try {
    for (const ctid of made.splice(0)) {
      if (!rt) break;
      const st = await rt.status(ctid).catch(() => undefined);
      if (st?.running) await rt.stop(ctid, { fast: true }).catch(() => undefined);
      await rt.destroy(ctid).catch(() => undefined);
    }
  } finally {
    if (dir) {
      // Whatever a failed test left mounted goes before the files, deepest first.
      const left = (await mountTargets()).filter((t) => t.startsWith(`${dir}/`)).reverse();
      for (const t of left) execFileSync('umount', ['-l', t]);
      await rm(dir, { recursive: true, force: true });
      expect(left).toEqual([]);
    }
    if (parent) await host.cgroups.destroy(parent);
    parent = undefined;
  }
});

describe('a busybox VE on its own root', () => {
  it('runs from an overlay of the template, shows no host path and keeps its writes in VE_PRIVATE/fs', async () => {
    const { rt, ctid } = await newVe({ uts: true, net: true });
    const paths = { priv: join(tmp!, 'var/lib/vzkit/private', String(ctid)), root: join(tmp!, 'var/lib/vzkit/root', String(ctid)) };
    // Put before the start into the VE's own layer: rcS starts httpd when /var/www exists.
    await mkdir(join(paths.priv, 'fs/var/www'), { recursive: true });
    await writeFile(join(paths.priv, 'fs/var/www/index.html'), 'served from the VE\n');
    await rt.start(ctid);

    const overlay = (await host.mounts.list()).find((m) => m.target === paths.root);
    expect(overlay?.fstype).toBe('overlay');
    expect(overlay?.options).toContain('lowerdir=template/busybox');
    expect(overlay?.options).not.toContain(tmp!);

    const mounts = await sh(rt, ctid, 'cat /proc/mounts');
    expect(mounts.code).toBe(0);
    expect(mounts.stdout).toMatch(/^overlay \/ overlay /m);
    for (const t of ['/proc', '/sys', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue']) expect(mounts.stdout).toContain(` ${t} `);
    expect(mounts.stdout).not.toContain(tmp!);
    expect(mounts.stdout).not.toMatch(/ \/work\b/);

    const ls = await sh(rt, ctid, 'ls /');
    expect(ls.stdout!.split(/\s+/)).toEqual(expect.arrayContaining(['bin', 'etc', 'sbin', 'proc', 'sys', 'dev', 'tmp', 'root']));

    // Every applet link names an applet the binary has.
    const applets = new Set((await sh(rt, ctid, 'busybox --list')).stdout!.split('\n').filter(Boolean));
    const links = (await sh(rt, ctid, 'ls /bin /sbin /usr/bin')).stdout!.split(/\s+/).filter((n) => n && !n.endsWith(':') && n !== 'busybox');
    expect(links.length).toBeGreaterThan(100);
    expect(links.filter((n) => !applets.has(n))).toEqual([]);

    // busybox init ran rcS: syslogd is up, and init is PID 1 of the VE.
    expect(await eventually(async () => (await sh(rt, ctid, 'pidof syslogd')).code === 0)).toBe(true);
    expect((await sh(rt, ctid, 'cat /proc/1/comm')).stdout).toBe('init\n');
    expect(await eventually(async () => (await sh(rt, ctid, 'pidof httpd')).code === 0)).toBe(true);
    const page = await sh(rt, ctid, 'ip link set lo up && wget -q -O - http://127.0.0.1/');
    expect(page).toMatchObject({ code: 0, stdout: 'served from the VE\n' });

    expect((await sh(rt, ctid, 'echo hello > /root/note')).code).toBe(0);
    expect(await readFile(join(paths.priv, 'fs/root/note'), 'utf8')).toBe('hello\n');
    await expect(stat(join(tmp!, 'var/lib/vzkit/template/busybox/root/note'))).rejects.toThrow(/ENOENT/);

    // Masked: /dev/null over what this kernel has of them (this one may lack kcore).
    const masked = ['kcore', 'keys', 'timer_list'].filter((f) => existsSync(`/proc/${f}`));
    expect(masked.length).toBeGreaterThan(0);
    for (const f of masked) expect((await sh(rt, ctid, `wc -c < /proc/${f}`)).stdout!.trim(), f).toBe('0');
    const swappiness = await sh(rt, ctid, 'echo 10 > /proc/sys/vm/swappiness');
    expect(swappiness.code).not.toBe(0);
    expect(swappiness.stderr).toMatch(/Read-only file system/);
    const hostname = await sh(rt, ctid, 'echo ve-nsfs-it > /proc/sys/kernel/hostname && hostname');
    expect(hostname).toMatchObject({ code: 0, stdout: 've-nsfs-it\n' });
    expect((await sh(rt, ctid, 'ls /dev')).stdout!.split(/\s+/)).toEqual(
      expect.arrayContaining(['null', 'zero', 'full', 'random', 'urandom', 'tty', 'console', 'ptmx', 'pts', 'shm', 'mqueue', 'fd']),
    );

    await rt.stop(ctid, { fast: true });
    expect((await mountTargets()).filter((t) => t.startsWith(`${tmp}/`))).toEqual([]);
    expect(await readFile(join(paths.priv, 'fs/root/note'), 'utf8')).toBe('hello\n');

    await rt.destroy(ctid);
    await expect(stat(paths.priv)).rejects.toThrow(/ENOENT/);
    await expect(stat(paths.root)).rejects.toThrow(/ENOENT/);
    expect((await rt.status(ctid)).exist).toBe(false);
  });

  it('keeps /proc/sys/kernel/hostname read-only when no UTS namespace owns it', async () => {
    const { rt, ctid } = await newVe({ uts: false });
    await rt.start(ctid);
    // Writing the host's own name back: harmless even if the protection failed.
    const r = await sh(rt, ctid, 'cat /proc/sys/kernel/hostname > /proc/sys/kernel/hostname');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Read-only file system/);
    await rt.stop(ctid, { fast: true });
  });

  it('mounts and unmounts the root without starting (vzctl mount / umount)', async () => {
    const { rt, ctid } = await newVe({ uts: false });
    const root = join(tmp!, 'var/lib/vzkit/root', String(ctid));
    await rt.mount(ctid);
    expect(await host.mounts.isMountPoint(root)).toBe(true);
    expect(await readFile(join(root, 'etc/inittab'), 'utf8')).toContain('::sysinit:/etc/init.d/rcS');
    await rt.umount(ctid);
    expect(await host.mounts.isMountPoint(root)).toBe(false);
  });
});
