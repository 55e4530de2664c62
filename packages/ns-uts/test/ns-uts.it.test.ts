/** ns-uts on the real kernel: the VE's hostname, at start and live, never the host's. */
import { hostname as hostHostname } from 'node:os';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVzError } from '@vzkit/core';
import { nsUtsPlugin } from '../src/index.js';
import { haltingInit, linuxVe, type LinuxVe } from '@vzkit/linux/testing';

const canRun = process.getuid?.() === 0;
let t: LinuxVe;

describe.skipIf(!canRun)('ns-uts on this kernel', () => {
  const hostName = hostHostname();
  beforeEach(async () => {
    t = await linuxVe([nsUtsPlugin]);
  });
  afterEach(async () => {
    await t.cleanup();
    expect(hostHostname()).toBe(hostName);
  });

  it('starts the VE with its own hostname', async () => {
    const ctid = await t.create(haltingInit('/dev/null'), { HOSTNAME: 'ct-it.example.com' });
    const pid = await t.runtime.start(ctid);
    expect(await t.host.processes.namespaceId(pid, 'uts')).not.toBe(await t.host.processes.namespaceId(process.pid, 'uts'));
    expect(await t.sh(ctid, 'hostname')).toMatchObject({ code: 0, stdout: 'ct-it.example.com\n' });
    expect(hostHostname()).toBe(hostName);
  });

  it('set --hostname changes it live (and /etc/hostname); a bad name changes nothing', async () => {
    const ctid = await t.create(haltingInit('/dev/null'), { HOSTNAME: 'before' });
    const root = join(t.dir, 'var/lib/vzkit/root', String(ctid));
    await mkdir(join(root, 'etc'), { recursive: true });
    await writeFile(join(root, 'etc/hostname'), 'before\n');
    await t.runtime.start(ctid);

    await t.runtime.set(ctid, [{ flag: 'hostname', arg: 'after.example.net' }], { save: true });
    expect((await t.sh(ctid, 'hostname')).stdout).toBe('after.example.net\n');
    expect(await readFile(join(root, 'etc/hostname'), 'utf8')).toBe('after.example.net\n');

    const conf = join(t.dir, 'etc/vzkit/conf', `${ctid}.conf`);
    const saved = await readFile(conf, 'utf8');
    const e = await t.runtime.set(ctid, [{ flag: 'hostname', arg: 'not_valid' }], { save: true }).catch((err: unknown) => err);
    expect(isVzError(e) && e.code).toBe('BAD_HOSTNAME');
    expect((await t.sh(ctid, 'hostname')).stdout).toBe('after.example.net\n');
    expect(await readFile(conf, 'utf8')).toBe(saved);
    expect(hostHostname()).toBe(hostName);
  });
});
