import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, resolvePaths, type VzPaths } from '@vzkit/core';
import { FakeHost } from '@vzkit/fake-host';
import {
  buildBusyboxTemplate, ensureTemplate, listTemplates, templatePath, templatePlugin, treeSize, TEMPLATE_STAMP,
} from '../src/index.js';
import { fakeBusybox } from './fake-busybox.js';
import { privateArea } from './private-area.js';

const DIR = '/var/lib/vzkit/template';
// A busybox built without nohup (Debian's is): no link may point at a missing applet.
const APPLETS = ['[', 'ash', 'cat', 'echo', 'env', 'halt', 'httpd', 'init', 'ls', 'mount', 'poweroff', 'reboot', 'sh', 'syslogd', 'vi'];
const BINARY = fakeBusybox(APPLETS);

let fake: FakeHost;

beforeEach(() => {
  fake = new FakeHost();
  fake.fs.seed('/bin/busybox', BINARY, { mode: 0o755 });
});

/** Entries of the template directory besides complete templates: partial builds, leftovers. */
async function dirEntries(): Promise<string[]> {
  return (await fake.fs.exists(DIR)) ? fake.fs.readdirSync(DIR) : [];
}

describe('the busybox template', () => {
  it('is built from the host busybox into <dir>/busybox, stamped', async () => {
    const path = await buildBusyboxTemplate(fake, DIR);
    expect(path).toBe(`${DIR}/busybox`);
    expect(await dirEntries()).toEqual(['busybox']);

    expect(fake.fs.read(`${path}/bin/busybox`)).toBe(BINARY);
    expect((await fake.fs.stat(`${path}/bin/busybox`))?.mode).toBe(0o755);
    const tree = fake.fs.tree(path);
    expect(tree).toEqual(expect.arrayContaining([
      'bin/sh -> busybox', 'bin/cat -> busybox', 'bin/[ -> busybox', 'sbin/init -> ../bin/busybox',
      'sbin/httpd -> ../bin/busybox', 'usr/bin/env -> ../../bin/busybox', 'etc/mtab -> /proc/mounts',
      'proc/', 'sys/', 'dev/', 'run/', 'var/log/', 'var/run/', 'home/', 'mnt/', 'usr/sbin/',
    ]));
    expect(tree).not.toContain('bin/nohup -> busybox');
    expect(tree.filter((e) => e.endsWith('-> busybox') || e.endsWith('-> ../bin/busybox'))).toHaveLength(APPLETS.length);
    expect((await fake.fs.stat(`${path}/tmp`))?.mode).toBe(0o1777);
    expect((await fake.fs.stat(`${path}/root`))?.mode).toBe(0o700);

    const inittab = fake.fs.read(`${path}/etc/inittab`);
    expect(inittab).toContain('::sysinit:/etc/init.d/rcS');
    expect(inittab).toContain('::shutdown:/etc/init.d/rcK');
    expect(inittab.split('\n').filter((l) => !l.startsWith('#')).join('\n')).not.toMatch(/respawn|askfirst/);
    expect((await fake.fs.stat(`${path}/etc/init.d/rcS`))?.mode).toBe(0o755);
    expect(fake.fs.read(`${path}/etc/init.d/rcS`)).toMatch(/^syslogd$/m);
    expect(fake.fs.read(`${path}/etc/init.d/rcS`)).toContain('httpd -h /var/www');
    expect(fake.fs.read(`${path}/etc/passwd`)).toMatch(/^root:x:0:0:root:\/root:\/bin\/sh$/m);
    expect(fake.fs.read(`${path}/etc/shadow`)).toMatch(/^root:!:/m);
    expect(fake.fs.read(`${path}/etc/hosts`)).toMatch(/^127\.0\.0\.1\tlocalhost$/m);
    expect(fake.fs.read(`${path}/etc/resolv.conf`)).toBe('');

    const stamp = JSON.parse(fake.fs.read(`${path}/${TEMPLATE_STAMP}`));
    expect(stamp).toMatchObject({ name: 'busybox', source: 'busybox:/bin/busybox' });
    expect(Date.parse(stamp.created)).not.toBeNaN();
    // The size is taken before the stamp is written.
    expect(stamp.size).toBe((await treeSize(fake, path)) - fake.fs.read(`${path}/${TEMPLATE_STAMP}`).length);
    expect(stamp.size).toBeGreaterThan(BINARY.length);
    expect(await listTemplates(fake, DIR)).toEqual([{ name: 'busybox', path, created: stamp.created, source: 'busybox:/bin/busybox', size: stamp.size }]);
  });

  it('is built once: later calls, also concurrent ones, reuse the tree', async () => {
    const [a, b] = await Promise.all([ensureTemplate(fake, DIR, 'busybox'), ensureTemplate(fake, DIR, 'busybox')]);
    expect(a).toBe(b);
    await fake.fs.writeFile(`${a}/etc/motd`, 'kept\n');
    await ensureTemplate(fake, DIR, 'busybox');
    expect(fake.fs.read(`${a}/etc/motd`)).toBe('kept\n');
    expect(await dirEntries()).toEqual(['busybox']);
  });

  it('a failed copy leaves no template and no partial directory', async () => {
    fake.failNext('fs.copyFile', 'ENOSPC');
    await expect(buildBusyboxTemplate(fake, DIR)).rejects.toMatchObject({ errno: 'ENOSPC' });
    expect(await dirEntries()).toEqual([]);
    expect(await listTemplates(fake, DIR)).toEqual([]);
  });

  it('a failure after the stamp was written still leaves nothing', async () => {
    fake.failNext('fs.rename', 'EIO');
    await expect(buildBusyboxTemplate(fake, DIR)).rejects.toMatchObject({ errno: 'EIO' });
    expect(await dirEntries()).toEqual([]);
    // And the next attempt builds it.
    await buildBusyboxTemplate(fake, DIR);
    expect(await dirEntries()).toEqual(['busybox']);
  });

  it('removes partial directories of dead builds before building', async () => {
    fake.fs.seed(`${DIR}/busybox.partial-999999/bin/busybox`, 'half');
    fake.fs.seed(`${DIR}/other.partial-999998/x`, 'half');
    await buildBusyboxTemplate(fake, DIR);
    expect(await dirEntries()).toEqual(['busybox']);
  });

  it('refuses to replace a tree without a stamp', async () => {
    fake.fs.seed(`${DIR}/busybox/etc/passwd`, 'someone else\n');
    await expect(buildBusyboxTemplate(fake, DIR)).rejects.toMatchObject({ code: 'BAD_TEMPLATE' });
    expect(fake.fs.read(`${DIR}/busybox/etc/passwd`)).toBe('someone else\n');
    expect(await listTemplates(fake, DIR)).toEqual([]);
  });

  it('cannot be built without the host busybox: TEMPLATE_NOT_FOUND naming the package', async () => {
    await fake.fs.remove('/bin/busybox');
    await expect(ensureTemplate(fake, DIR, 'busybox', { label: 'CT 101' })).rejects.toMatchObject({
      code: 'TEMPLATE_NOT_FOUND', exit: 91, message: expect.stringMatching(/^CT 101: OS template 'busybox' cannot be built/),
      hint: expect.stringContaining('busybox-static'),
    });
    expect(await dirEntries()).toEqual([]);
  });
});

describe('ensureTemplate', () => {
  it('finds any stamped tree and ignores unstamped ones', async () => {
    fake.fs.seed(`${DIR}/debian-12/${TEMPLATE_STAMP}`, '{"name":"debian-12","created":"2025-01-01T00:00:00Z","source":"debootstrap"}');
    fake.fs.seed(`${DIR}/half/etc/passwd`, '');
    expect(await ensureTemplate(fake, DIR, 'debian-12')).toBe(`${DIR}/debian-12`);
    await expect(ensureTemplate(fake, DIR, 'half')).rejects.toMatchObject({ code: 'TEMPLATE_NOT_FOUND' });
    expect((await listTemplates(fake, DIR)).map((t) => t.name)).toEqual(['debian-12']);
  });

  it('says which templates exist when the one asked for does not', async () => {
    fake.fs.seed(`${DIR}/debian-12/${TEMPLATE_STAMP}`, '{}');
    const err = await ensureTemplate(fake, DIR, 'centos-7', { label: 'CT 101' }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'TEMPLATE_NOT_FOUND', exit: 91,
      message: `CT 101: OS template 'centos-7' not found in ${DIR}`,
      hint: 'available templates: debian-12, busybox (built on first use), debian-12-x86_64 (built on first use)',
    });
  });

  it('refuses names that are paths', () => {
    for (const bad of ['../etc', 'a/b', '.hidden', 'busybox.partial-12', '']) {
      expect(() => templatePath(DIR, bad), bad).toThrow(expect.objectContaining({ code: 'BAD_VALUE' }));
    }
  });
});

describe('vzctl create with the template plugin', () => {
  let tmp: string;
  let paths: VzPaths;

  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'vzkit-template-'));
    paths = resolvePaths(tmp);
  });

  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('builds busybox on first use', async () => {
    const rt = createRuntime({ host: fake, plugins: [privateArea, templatePlugin], paths });
    await rt.create(101, { ostemplate: 'busybox' });
    expect(await fake.fs.exists(join(paths.template, 'busybox', TEMPLATE_STAMP))).toBe(true);
    expect(await fake.fs.exists(join(paths.private, '101'))).toBe(true);
    expect(existsSync(join(paths.confDir, '101.conf'))).toBe(true);
  });

  it('fails with TEMPLATE_NOT_FOUND for a missing template and leaves no config and no private area', async () => {
    const rt = createRuntime({ host: fake, plugins: [privateArea, templatePlugin], paths });
    await expect(rt.create(101, { ostemplate: 'nosuch' })).rejects.toMatchObject({
      code: 'TEMPLATE_NOT_FOUND', exit: 91, message: expect.stringContaining(`OS template 'nosuch' not found in ${paths.template}`),
    });
    expect(existsSync(join(paths.confDir, '101.conf'))).toBe(false);
    expect(await fake.fs.exists(join(paths.private, '101'))).toBe(false);
    expect(existsSync(join(paths.run, '101', 'state.json'))).toBe(false);
    expect((await rt.status(101)).exist).toBe(false);
  });
});
