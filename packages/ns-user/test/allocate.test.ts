/**
 * LOCAL_UID=auto, the default: every new VE gets a range of 65536 host ids no one else
 * has, written into its config, on FakeHost (its /etc/passwd, /etc/group, /etc/subuid,
 * /etc/subgid are the fake's).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { definePlugin } from '@vzkit/core';
import { fakeVe, type FakeVe } from '@vzkit/fake-host';
import { firstFree, FIRST_AUTO_BASE, IDMAP_SIZE, KIND_FIELDS, MAX_ID_BASE, nsUserPlugin, parseSubIds } from '../src/index.js';

const namespaces = definePlugin({
  name: 'test-namespaces',
  hooks: { async prepare(_ctx, plan) { plan.namespaces.add('mnt').add('pid'); } },
});

let t: FakeVe;
afterEach(async () => {
  await t?.cleanup();
});

async function setup(files: { passwd?: string; group?: string; subuid?: string; subgid?: string } = {}): Promise<FakeVe> {
  t = await fakeVe([nsUserPlugin, namespaces]);
  t.fake.fs.seed('/etc/passwd', files.passwd ?? 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/:/usr/sbin/nologin\n');
  t.fake.fs.seed('/etc/group', files.group ?? 'root:x:0:\nnogroup:x:65534:\n');
  if (files.subuid !== undefined) t.fake.fs.seed('/etc/subuid', files.subuid);
  if (files.subgid !== undefined) t.fake.fs.seed('/etc/subgid', files.subgid);
  return t;
}

const conf = (ctid: number) => readFile(join(t.runtime.paths.confDir, `${ctid}.conf`), 'utf8');
/** LOCAL_UID and LOCAL_GID as the VE's config records them. */
async function range(ctid: number): Promise<[number, number]> {
  const text = await conf(ctid);
  return [Number(/^LOCAL_UID="(\d+)"$/m.exec(text)?.[1]), Number(/^LOCAL_GID="(\d+)"$/m.exec(text)?.[1])];
}
const disjoint = (bases: number[]) => bases.every((a, i) => bases.every((b, j) => i === j || Math.abs(a - b) >= IDMAP_SIZE));

async function writeGlobal(text: string): Promise<void> {
  await mkdir(dirname(t.runtime.paths.globalConf), { recursive: true });
  await writeFile(t.runtime.paths.globalConf, text);
}

describe('the search for a free range', () => {
  it('packs ranges from 100000 up, right after what is taken', () => {
    expect(firstFree([], IDMAP_SIZE)).toBe(FIRST_AUTO_BASE);
    expect(firstFree([{ base: 100000, count: IDMAP_SIZE }], IDMAP_SIZE)).toBe(165536);
    // A gap too small is skipped; one big enough is used.
    expect(firstFree([{ base: 100000, count: 10 }, { base: 130000, count: 1 }], IDMAP_SIZE)).toBe(130001);
    expect(firstFree([{ base: 300000, count: 5 }, { base: 100000, count: IDMAP_SIZE }], IDMAP_SIZE)).toBe(165536);
    // What lies below the start does not matter; what straddles it does.
    expect(firstFree([{ base: 1000, count: 1 }, { base: 90000, count: 20000 }], IDMAP_SIZE)).toBe(110000);
  });

  it('ends below 2^32 - 1 and says when nothing is left', () => {
    expect(firstFree([{ base: 100000, count: MAX_ID_BASE - 100000 }], IDMAP_SIZE)).toBe(MAX_ID_BASE);
    expect(firstFree([{ base: 100000, count: MAX_ID_BASE - 100000 + 1 }], IDMAP_SIZE)).toBeUndefined();
    expect(MAX_ID_BASE + IDMAP_SIZE).toBe(2 ** 32 - 1);
  });

  it('reads /etc/subuid lines by owner, skipping what is not one', () => {
    expect(parseSubIds('alice:100000:65536\n# comment\n1001:200000:1000\nbroken\n')).toEqual([
      { owner: 'alice', base: 100000, count: 65536 },
      { owner: '1001', base: 200000, count: 1000 },
    ]);
  });
});

describe('LOCAL_UID=auto (the default)', () => {
  it('gives each new VE a range of its own, recorded in its config, uid and gid alike', async () => {
    await setup();
    await t.create(101);
    await t.create(102);
    expect(await range(101)).toEqual([100000, 100000]);
    expect(await range(102)).toEqual([165536, 165536]);
    const init = t.fake.process(await t.runtime.start(102))!;
    expect(init.uidMap).toEqual([{ inside: 0, outside: 165536, count: IDMAP_SIZE }]);
    expect(init.gidMap).toEqual([{ inside: 0, outside: 165536, count: IDMAP_SIZE }]);
  });

  it("never meets another VE's range, one chosen by hand included", async () => {
    await setup();
    await t.create(101, { LOCAL_UID: '120000' });
    await t.create(102);
    await t.create(103);
    expect((await range(102))[0]).toBe(185536);
    expect((await range(103))[0]).toBe(251072);
  });

  it("never holds a host account's uid or gid", async () => {
    await setup({
      passwd: 'root:x:0:0::/:/bin/sh\nsvc:x:100500:100500::/:/bin/sh\n',
      group: 'root:x:0:\nbig:x:170000:\n',
    });
    await t.create(101);
    await t.create(102);
    expect((await range(101))[0]).toBe(100501);
    // 166037 would hold gid 170000: the next range starts after it.
    expect((await range(102))[0]).toBe(170001);
  });

  it("never meets another user's subordinate ids; root's own are vzkit's to use", async () => {
    await setup({
      subuid: 'root:100000:65536\nalice:100000:131072\n',
      subgid: 'bob:231072:65536\n0:500000:65536\n',
    });
    await t.create(101);
    expect((await range(101))[0]).toBe(296608);
  });

  it('two creates at the same moment get disjoint ranges', async () => {
    await setup();
    const ctids = [101, 102, 103, 104, 105, 106];
    await Promise.all(ctids.map((id) => t.runtime.create(id, { ostemplate: 'test' })));
    const bases = await Promise.all(ctids.map(async (id) => (await range(id))[0]));
    expect(new Set(bases).size).toBe(ctids.length);
    expect(disjoint(bases)).toBe(true);
    // Each create dropped its reservation once its config held the range.
    expect(t.fake.fs.tree(join(t.runtime.paths.run, 'ns-user'))).toEqual(['ranges/']);
  });

  it("skips a range reserved by a create that is still running; a dead one's reservation is ignored and removed", async () => {
    await setup();
    const dir = join(t.runtime.paths.run, 'ns-user/ranges');
    const start = await t.fake.processes.startTime(t.fake.selfPid);
    t.fake.fs.seed(join(dir, '900'), JSON.stringify({ pid: t.fake.selfPid, startTime: start, uid: { base: 100000, count: IDMAP_SIZE }, gid: { base: 100000, count: IDMAP_SIZE } }));
    t.fake.fs.seed(join(dir, '901'), JSON.stringify({ pid: 4_000_000, startTime: 1, uid: { base: 165536, count: IDMAP_SIZE }, gid: { base: 165536, count: IDMAP_SIZE } }));
    await t.create(101);
    expect((await range(101))[0]).toBe(165536);
    expect(t.fake.fs.tree(dir)).toEqual(['900']);
  });

  it("a destroyed VE's range is free again", async () => {
    await setup();
    await t.create(101);
    await t.create(102);
    await t.runtime.destroy(101);
    await t.create(103);
    expect((await range(103))[0]).toBe(100000);
  });

  it('a create that fails after choosing leaves no reservation and no config', async () => {
    await setup();
    const failing = definePlugin({ name: 'test-fail', hooks: { async create() { throw new Error('disk on fire'); } } });
    const t2 = await fakeVe([nsUserPlugin, failing]);
    try {
      t2.fake.fs.seed('/etc/passwd', 'root:x:0:0::/:/bin/sh\n');
      await expect(t2.runtime.create(101, { ostemplate: 'test' })).rejects.toThrow(/disk on fire/);
      expect(await t2.runtime.ctids()).toEqual([]);
      expect(t2.fake.fs.tree(join(t2.runtime.paths.run, 'ns-user'))).toEqual(['ranges/']);
    } finally {
      await t2.cleanup();
    }
  });

  it('the whole 32-bit space taken: RESOURCE naming the CT, nothing made', async () => {
    await setup({ subuid: `alice:${FIRST_AUTO_BASE}:${MAX_ID_BASE}\n` });
    await expect(t.runtime.create(101, { ostemplate: 'test' })).rejects.toMatchObject({
      code: 'RESOURCE', exit: 6,
      message: /^CT 101: LOCAL_UID=auto: no free range of 65536 host ids is left/,
    });
    expect(await t.runtime.ctids()).toEqual([]);
  });

  it('LOCAL_GID given by hand is kept; LOCAL_UID is chosen', async () => {
    await setup();
    await t.create(101, { LOCAL_GID: '700000' });
    expect(await range(101)).toEqual([100000, 700000]);
  });

  it("a range given by hand that another VE has is the administrator's choice, with a warning", async () => {
    await setup();
    await t.create(101);
    await t.create(102, { LOCAL_UID: '100000' });
    expect(await range(102)).toEqual([100000, 100000]);
    expect(t.warnings).toContain("CT 102 [ns-user]: LOCAL_UID=100000: the VE's ids 100000-165535 meet CT 101: their files and processes are one owner on the host");
  });

  it('vz.conf LOCAL_UID=0 makes new VEs the host root\'s; a VE made before auto (no LOCAL_UID of its own) is one too', async () => {
    await setup();
    await writeGlobal('LOCAL_UID=0\n');
    await t.create(101);
    expect(await conf(101)).toMatch(/^LOCAL_UID="0"$/m);
    await writeGlobal('LOCAL_UID=auto\n');
    const old = join(t.runtime.paths.confDir, '102.conf');
    await writeFile(old, `OSTEMPLATE="test"\nVE_PRIVATE="${join(t.runtime.paths.private, '102')}"\n`);
    t.fake.fs.seedDir(join(t.runtime.paths.private, '102'));
    expect(t.fake.process(await t.runtime.start(102))!.uidMap).toBeUndefined();
  });

  it('vzlist shows the kind of each VE', async () => {
    await setup();
    await t.create(101);
    await t.create(102, { LOCAL_UID: '0' });
    const rows = await t.runtime.list();
    const kind = KIND_FIELDS.find((f) => f.name === 'kind')!;
    expect(rows.map((r) => [r.ctid, kind.get(r)])).toEqual([[101, 'unprivileged'], [102, 'privileged']]);
    expect(t.runtime.listFields.map((f) => f.name)).toEqual(expect.arrayContaining(['kind', 'unprivileged']));
  });
});
