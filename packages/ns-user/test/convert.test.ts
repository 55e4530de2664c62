/**
 * Converting a stopped VE between kinds on FakeHost, whose chown takes setuid bits and
 * file capabilities away as the kernel's does: `set --local_uid auto|N|0 --save` moves
 * the owners of the VE's own files, the ids in their ACLs and the root of their file
 * capabilities, and keeps everything else; refusals change nothing; a conversion that
 * fails, or dies, is undone.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ACL_GROUP, ACL_USER, createRuntime, definePlugin, formatAcl, formatFileCaps, parseAcl, parseFileCaps,
  resolvePaths, XATTR_ACL_ACCESS, XATTR_ACL_DEFAULT, XATTR_CAPS, type Plugin, type Runtime, type VzPaths,
} from '@vzkit/core';
import { FakeHost } from '@vzkit/fake-host';
import { nsFsPlugin } from '@vzkit/ns-fs';
import { templatePlugin } from '@vzkit/template';
import { LOCAL_GID, LOCAL_UID, nsUserPlugin } from '../src/index.js';

const CT = 101;
const namespaces = definePlugin({
  name: 'test-namespaces',
  hooks: { async prepare(_ctx, plan) { plan.namespaces.add('pid'); } },
});

let tmp: string;
let paths: VzPaths;
let fake: FakeHost;
let rt: Runtime;
let upper: string;
let warnings: string[];
let infos: string[];

function runtime(extra: Plugin<any, any>[] = []): Runtime {
  return createRuntime({
    host: fake, plugins: [templatePlugin, nsUserPlugin, nsFsPlugin, namespaces, ...extra], paths,
    log: { debug() {}, info: (m) => infos.push(m), warn: (m) => warnings.push(m) },
  });
}

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vzkit-convert-'));
  paths = resolvePaths(tmp);
  upper = join(paths.private, String(CT), 'fs');
  fake = new FakeHost();
  fake.fs.seed('/bin/busybox', '\x7fELF busybox\0', { mode: 0o755 });
  fake.fs.seed('/etc/passwd', 'root:x:0:0::/:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n');
  fake.fs.seed('/etc/group', 'root:x:0:\nnogroup:x:65534:\n');
  warnings = [];
  infos = [];
  rt = runtime();
});
afterEach(async () => {
  for (const ctid of await rt.ctids()) if ((await rt.status(ctid)).running) await rt.stop(ctid, { fast: true });
  await rm(tmp, { recursive: true, force: true });
});

describe('a composition without ns-user', () => {
  it("refuses to start a VE whose files were made for a user namespace (its root would be the host's)", async () => {
    await rt.create(CT, { ostemplate: 'busybox', values: new Map([['LOCAL_UID', '100000']]) });
    const bare = createRuntime({ host: fake, plugins: [templatePlugin, nsFsPlugin, namespaces], paths, log: { debug() {}, info() {}, warn() {} } });
    await expect(bare.start(CT)).rejects.toMatchObject({
      code: 'UNSUPPORTED', message: `CT ${CT}: the VE's files (${upper}) belong to host uid 100000, made for a user namespace, but no plugin of this runtime maps the VE's ids`,
    });
    expect(fake.hostMounts().filter((m) => m.target.startsWith(tmp))).toEqual([]);
  });
});

const conf = () => readFile(join(paths.confDir, `${CT}.conf`), 'utf8');
const stateFile = () => join(paths.run, String(CT), 'state.json');

/** v2 capabilities (the host root's): cap_net_raw permitted and effective, as ping has. */
const PING_CAPS = formatFileCaps({ effective: true, permitted: [1 << 13, 0], inheritable: [0, 0], rootid: 0 });

/**
 * The files a VE of base `b` (0: the host root's) leaves in its upper layer: owners
 * 0, 33 and 1000 inside; a setuid and a setgid program; ping's capabilities; ACLs on a
 * file and a directory (with a default ACL); a symlink; overlayfs' whiteout (the host
 * root's whatever the VE) and an opaque directory.
 */
function populate(b: number): void {
  const own = (p: string, uid: number, gid = uid) => fake.fs.chownSync(join(upper, p), b + uid, b + gid);
  fake.fs.seed(join(upper, 'root/notes'), 'mine', { mode: 0o600 });
  own('root', 0); own('root/notes', 0);
  fake.fs.seed(join(upper, 'home/u/file'), 'u', { mode: 0o640 });
  own('home', 0); own('home/u', 1000); own('home/u/file', 1000, 33);
  fake.fs.seed(join(upper, 'usr/bin/su'), 'su', { mode: 0o755 });
  own('usr', 0); own('usr/bin', 0); own('usr/bin/su', 0);
  fake.fs.chmodSync(join(upper, 'usr/bin/su'), 0o4755);
  fake.fs.seed(join(upper, 'usr/bin/wall'), 'wall', { mode: 0o755 });
  own('usr/bin/wall', 0, 5);
  fake.fs.chmodSync(join(upper, 'usr/bin/wall'), 0o2755);
  fake.fs.seed(join(upper, 'bin/ping'), 'ping', { mode: 0o755 });
  own('bin', 0); own('bin/ping', 0);
  const caps = b === 0 ? PING_CAPS : formatFileCaps({ ...parseFileCaps(PING_CAPS)!, rootid: b });
  fake.fs.setXattrSync(join(upper, 'bin/ping'), XATTR_CAPS, caps);
  fake.fs.seed(join(upper, 'srv/shared'), 's', { mode: 0o660 });
  own('srv', 0); own('srv/shared', 33);
  const acl = formatAcl([
    { tag: 0x01, perm: 6, id: 0xffffffff }, { tag: ACL_USER, perm: 6, id: b + 1000 }, { tag: 0x04, perm: 6, id: 0xffffffff },
    { tag: ACL_GROUP, perm: 4, id: b + 100 }, { tag: 0x10, perm: 6, id: 0xffffffff }, { tag: 0x20, perm: 0, id: 0xffffffff },
  ]);
  fake.fs.setXattrSync(join(upper, 'srv/shared'), XATTR_ACL_ACCESS, acl);
  fake.fs.setXattrSync(join(upper, 'srv'), XATTR_ACL_DEFAULT, acl);
  fake.fs.symlinkSync('/home/u/file', join(upper, 'home/link'));
  own('home/link', 1000);
  fake.fs.mknodSync(join(upper, 'etc-gone'), 'c', 0, 0, 0);
  fake.fs.mkdirSync(join(upper, 'opt'));
  own('opt', 0);
  fake.fs.setXattrSync(join(upper, 'opt'), 'trusted.overlay.opaque', new TextEncoder().encode('y'));
}

/** Every entry under the upper layer: type, owner (relative to `b`), mode, xattrs with ids read relative to `b`. */
function snapshot(b: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const rel = (id: number) => (id === 0xffffffff ? 'none' : id - b);
  const visit = (path: string, name: string) => {
    const st = fake.fs.statSync(path)!;
    const whiteout = st.type === 'char';
    const xattrs: Record<string, unknown> = {};
    for (const x of fake.fs.listXattrsSync(path)) {
      const v = fake.fs.getXattrSync(path, x)!;
      if (x === XATTR_CAPS) {
        const c = parseFileCaps(v)!;
        xattrs[x] = { ...c, rootid: c.rootid - b };
      } else if (x.startsWith('system.posix_acl')) xattrs[x] = parseAcl(v)!.map((e) => ({ ...e, id: rel(e.id) }));
      else xattrs[x] = new TextDecoder().decode(v);
    }
    out[name] = { type: st.type, uid: whiteout ? st.uid : st.uid - b, gid: whiteout ? st.gid : st.gid - b, mode: st.mode.toString(8), xattrs };
    if (st.type === 'dir') for (const c of fake.fs.readdirSync(path)) visit(join(path, c), name === '.' ? c : `${name}/${c}`);
  };
  visit(upper, '.');
  return out;
}

async function createVe(localUid: string): Promise<void> {
  await rt.create(CT, { ostemplate: 'busybox', values: new Map([['LOCAL_UID', localUid]]) });
  await mkdir(join(paths.private, String(CT)), { recursive: true });
}

const set = (value: string) => rt.set(CT, [{ flag: 'local_uid', arg: value }], { save: true });

describe('vzctl set --local_uid ... --save on a stopped VE', () => {
  it('privileged -> a range -> privileged: owners, ACL ids and capability roots move; modes, setuid bits, whiteouts and opaque markers stay', async () => {
    await createVe('0');
    populate(0);
    const before = snapshot(0);
    await set('200000');
    expect(await conf()).toMatch(/^LOCAL_UID="200000"\nLOCAL_GID="200000"$/m);
    expect(snapshot(200000)).toEqual(before);
    // Seen from the host: the setuid program is the VE's root's and still setuid; ping's capabilities are for that root.
    expect(fake.fs.statSync(join(upper, 'usr/bin/su'))).toMatchObject({ uid: 200000, mode: 0o4755 });
    expect(parseFileCaps(fake.fs.getXattrSync(join(upper, 'bin/ping'), XATTR_CAPS)!)?.rootid).toBe(200000);
    expect(fake.fs.statSync(join(upper, 'etc-gone'))).toMatchObject({ type: 'char', uid: 0, gid: 0 });
    const init = fake.process(await rt.start(CT))!;
    expect(init.uidMap).toEqual([{ inside: 0, outside: 200000, count: 65536 }]);
    await rt.stop(CT, { fast: true });
    await set('0');
    expect(await conf()).toMatch(/^LOCAL_UID="0"$/m);
    expect(snapshot(0)).toEqual(before);
    // v2 again, byte for byte: the host root's capabilities as they were.
    expect(fake.fs.getXattrSync(join(upper, 'bin/ping'), XATTR_CAPS)).toEqual(PING_CAPS);
    expect(fake.process(await rt.start(CT))!.uidMap).toBeUndefined();
    expect(warnings.some((w) => w.includes("the VE's root is the host's root"))).toBe(true);
  });

  it('auto gives a privileged VE a free range; LOCAL_GID follows', async () => {
    await rt.create(102, { ostemplate: 'busybox' });
    await createVe('0');
    populate(0);
    const before = snapshot(0);
    await set('auto');
    expect(await conf()).toMatch(/^LOCAL_UID="165536"\nLOCAL_GID="165536"$/m);
    expect(snapshot(165536)).toEqual(before);
    expect(infos.some((m) => /^CT 101: \d+ files moved from host ids 0\/0 to 165536\/165536$/.test(m))).toBe(true);
  });

  it('auto on a VE that has a range keeps it: nothing moves', async () => {
    await createVe('300000');
    populate(300000);
    const r = await set('auto');
    expect(r.deferred).toEqual([]);
    expect(await conf()).toMatch(/^LOCAL_UID="300000"$/m);
    expect(snapshot(300000)).toMatchObject({ 'usr/bin/su': { uid: 0, mode: '4755' } });
  });

  it('from one range to another', async () => {
    await createVe('300000');
    populate(300000);
    const before = snapshot(300000);
    await set('500000');
    expect(snapshot(500000)).toEqual(before);
  });
});

describe('refusals: one line naming the CT and the key, nothing changed', () => {
  async function unchanged(b: number, what: () => Promise<unknown>, match: object): Promise<void> {
    const before = snapshot(b);
    const text = await conf();
    await expect(what()).rejects.toMatchObject(match);
    expect(snapshot(b)).toEqual(before);
    expect(await conf()).toBe(text);
  }

  it('a running VE, a mounted one, and a change without --save', async () => {
    await createVe('0');
    populate(0);
    await rt.start(CT);
    await unchanged(0, () => set('auto'), { code: 'VE_RUNNING', message: "CT 101 is running: --local_uid, --local_gid changes the VE's files and needs it stopped and unmounted" });
    await rt.stop(CT, { fast: true });
    await rt.mount(CT);
    await unchanged(0, () => set('auto'), { code: 'MOUNTED', message: /^CT 101 is mounted: / });
    await rt.umount(CT);
    await unchanged(0, () => rt.set(CT, [{ flag: 'local_uid', arg: 'auto' }]), { code: 'BAD_PARAM', message: 'CT 101: --local_uid needs --save' });
  });

  it('a file owned outside the ids the VE may have: named, and the conversion undone', async () => {
    await createVe('0');
    populate(0);
    fake.fs.seed(join(upper, 'var/odd'), 'x');
    fake.fs.chownSync(join(upper, 'var/odd'), 70000, 0);
    await unchanged(0, () => set('200000'), {
      code: 'BAD_VALUE', message: `CT 101: LOCAL_UID=200000: ${upper}/var/odd has owner uid 70000, outside the uids the VE's files may have (0-65535): it cannot be moved to the new range`,
    });
    await expect(readFile(stateFile())).rejects.toMatchObject({ code: 'ENOENT' });
    // An ACL entry or a capability root outside the range is refused the same way.
    fake.fs.chownSync(join(upper, 'var/odd'), 0, 0);
    fake.fs.setXattrSync(join(upper, 'var/odd'), XATTR_ACL_ACCESS, formatAcl([{ tag: ACL_USER, perm: 4, id: 90000 }]));
    await unchanged(0, () => set('200000'), { code: 'BAD_VALUE', message: /var\/odd has an ACL entry for uid 90000/ });
  });

  it('a range overlapping the current one, and one holding a host account', async () => {
    await createVe('300000');
    populate(300000);
    await unchanged(300000, () => set('310000'), { code: 'BAD_VALUE', message: /^CT 101: LOCAL_UID=310000: the new range overlaps the one the VE's files are in now/ });
    fake.fs.seed('/etc/passwd', 'root:x:0:0::/:/bin/sh\nsvc:x:500005:500005::/:/bin/sh\n');
    await unchanged(300000, () => set('500000'), { code: 'BAD_VALUE', message: /^CT 101: LOCAL_UID=500000: the host's user 'svc'/ });
    await unchanged(300000, () => set('abc'), { code: 'BAD_VALUE', message: /LOCAL_UID/ });
  });
});

describe('failures and crashes', () => {
  it('a chown failing half-way: the files already moved go back, the config stays', async () => {
    await createVe('0');
    populate(0);
    fake.failNext('fs.chown', 'EIO', { path: join(upper, 'srv/shared') });
    const before = snapshot(0);
    await expect(set('200000')).rejects.toMatchObject({ message: /EIO/ });
    expect(snapshot(0)).toEqual(before);
    expect(await conf()).toMatch(/^LOCAL_UID="0"$/m);
    await expect(readFile(stateFile())).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a conversion whose undo fails too is undone from its record by the next operation, setuid bits and capabilities included', async () => {
    // A plugin after ns-fs fails the conversion and arranges for the undo to fail as well:
    // what stays is the intent record a killed vzctl would leave.
    const breaker = definePlugin({
      name: 'test-breaker',
      watches: [LOCAL_UID.name, LOCAL_GID.name],
      hooks: {
        async convert(_ctx, conv) {
          if (conv.undo) return;
          fake.failNext('fs.chown', 'EIO');
          throw new Error('power cut');
        },
      },
    });
    rt = runtime([breaker]);
    await createVe('0');
    populate(0);
    const before = snapshot(0);
    await expect(set('200000')).rejects.toThrow(/power cut/);
    const st = JSON.parse(await readFile(stateFile(), 'utf8'));
    expect(st).toMatchObject({ phase: 'converting', convert: { overrides: { LOCAL_UID: '200000', LOCAL_GID: '200000' } } });
    // Half moved: the setuid program is the range's and has lost its bit to the chown.
    expect(fake.fs.statSync(join(upper, 'usr/bin/su'))?.uid).toBe(200000);
    // The next vzctl (a new process: a new runtime) finds the record and undoes it.
    rt = runtime();
    expect((await rt.status(CT)).exist).toBe(true);
    expect(snapshot(0)).toEqual(before);
    expect(await conf()).toMatch(/^LOCAL_UID="0"$/m);
    await expect(readFile(stateFile())).rejects.toMatchObject({ code: 'ENOENT' });
    // And the conversion then goes through.
    await set('200000');
    expect(snapshot(200000)).toEqual(before);
  });

  it('a conversion killed after its config was written is complete: the record goes, nothing moves back', async () => {
    await createVe('0');
    populate(0);
    await set('200000');
    const after = snapshot(200000);
    await mkdir(join(paths.run, String(CT)), { recursive: true });
    await writeFile(stateFile(), JSON.stringify({
      version: 1, ctid: CT, phase: 'converting', op: 'set', mounted: ['@vzkit/ns-fs'], prepared: ['@vzkit/ns-fs'], plugins: {},
      convert: { overrides: { LOCAL_UID: '200000', LOCAL_GID: '200000' } },
    }));
    await rt.start(CT);
    expect(snapshot(200000)).toEqual(after);
  });
});
