import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, definePlugin, resolvePaths } from '@vzkit/core';
import { fakeVe, type FakeVe } from '@vzkit/fake-host';
import { accountInRange, nsUserPlugin, parseAccounts } from '../src/index.js';

/** The mount and pid namespaces the other plugins would add. */
const namespaces = definePlugin({
  name: 'test-namespaces',
  hooks: { async prepare(_ctx, plan) { plan.namespaces.add('mnt').add('pid'); } },
});

let t: FakeVe;
afterEach(async () => {
  await t?.cleanup();
});

async function setup(hostOptions = {}): Promise<FakeVe> {
  t = await fakeVe([nsUserPlugin, namespaces], hostOptions);
  t.fake.fs.seed('/etc/passwd', 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/:/usr/sbin/nologin\nalice:x:1000:1000::/home/alice:/bin/sh\n');
  t.fake.fs.seed('/etc/group', 'root:x:0:\nnogroup:x:65534:\nstaff:x:450000:\n');
  return t;
}

const conf = async (ctid: number) => readFile(join(t.runtime.paths.confDir, `${ctid}.conf`), 'utf8');

/** vz.conf: the defaults every VE of the root starts from. */
async function writeGlobal(text: string): Promise<void> {
  const global = t.runtime.paths.globalConf;
  await mkdir(dirname(global), { recursive: true });
  await writeFile(global, text);
}

describe('a VE with LOCAL_UID', () => {
  it('runs init in its own user namespace, ids 0-65535 mapped to the host range', async () => {
    await setup();
    await t.create(101, { LOCAL_UID: '100000', LOCAL_GID: '200000' });
    const pid = await t.runtime.start(101);
    const init = t.fake.process(pid)!;
    expect(init.namespaces.user).not.toBe(t.fake.process(t.fake.selfPid)!.namespaces.user);
    expect(init.uidMap).toEqual([{ inside: 0, outside: 100000, count: 65536 }]);
    expect(init.gidMap).toEqual([{ inside: 0, outside: 200000, count: 65536 }]);
    expect(t.plan()!.namespaces).toContain('user');
  });

  it('records the range in the VE config at create; LOCAL_GID defaults to LOCAL_UID', async () => {
    await setup();
    await t.create(101, { LOCAL_UID: '300000' });
    expect(await conf(101)).toMatch(/^LOCAL_UID="300000"$/m);
    expect(await conf(101)).toMatch(/^LOCAL_GID="300000"$/m);
    expect(t.fake.process(await t.runtime.start(101))!.gidMap).toEqual([{ inside: 0, outside: 300000, count: 65536 }]);
  });

  it("takes vz.conf's LOCAL_UID as a default and keeps it in the VE's config, so a later vz.conf change does not move the VE", async () => {
    await setup();
    await writeGlobal('LOCAL_UID=100000\n');
    await t.create(101);
    await writeGlobal('LOCAL_UID=700000\n');
    expect(await conf(101)).toMatch(/^LOCAL_UID="100000"$/m);
    expect(t.fake.process(await t.runtime.start(101))!.uidMap).toEqual([{ inside: 0, outside: 100000, count: 65536 }]);
  });

  it('--local_uid 0 turns it off for one VE when vz.conf gives every VE a range', async () => {
    await setup();
    await writeGlobal('LOCAL_UID=100000\nLOCAL_GID=100000\n');
    await t.create(101, { LOCAL_UID: '0' });
    const init = t.fake.process(await t.runtime.start(101))!;
    expect(init.uidMap).toBeUndefined();
    expect(await conf(101)).toMatch(/^LOCAL_UID="0"$/m);
  });

  it('LOCAL_UID=0: the VE shares the host user namespace, and every start says what that means', async () => {
    await setup();
    await t.create(101, { LOCAL_UID: '0' });
    for (let i = 0; i < 2; i++) {
      const init = t.fake.process(await t.runtime.start(101))!;
      expect(init.namespaces.user).toBe(t.fake.process(t.fake.selfPid)!.namespaces.user);
      expect(init.uidMap).toBeUndefined();
      await t.runtime.stop(101, { fast: true });
    }
    expect(await conf(101)).toMatch(/^LOCAL_UID="0"$/m);
    expect(await conf(101)).not.toMatch(/LOCAL_GID/);
    const warned = t.warnings.filter((w) => w.includes("the VE's root is the host's root"));
    expect(warned).toHaveLength(2);
    expect(warned[0]).toBe("CT 101 [ns-user]: the VE's root is the host's root (LOCAL_UID=0): a hostile root inside can reach the host (docs/security.md); make it unprivileged with 'vzctl stop 101 && vzctl set 101 --local_uid auto --save'");
  });

  it('an unprivileged start says nothing of the kind', async () => {
    await setup();
    await t.create(101);
    await t.runtime.start(101);
    expect(t.warnings.filter((w) => w.includes("host's root"))).toEqual([]);
  });
});

describe('refusals: one line naming the CT and the key, nothing made', () => {
  const refused = async (values: Record<string, string>, code: string, message: RegExp) => {
    await expect(t.create(101, values)).rejects.toMatchObject({ code, message });
    expect(await t.runtime.ctids()).toEqual([]);
  };

  it('a range holding a host account', async () => {
    await setup();
    await refused({ LOCAL_UID: '1000' }, 'BAD_VALUE', /^CT 101: LOCAL_UID=1000: the host's user 'alice' \(uid 1000\) lies in the VE's range 1000-66535$/);
    await refused({ LOCAL_UID: '400000' }, 'BAD_VALUE', /^CT 101: LOCAL_GID=400000: the host's group 'staff' \(gid 450000\)/);
  });

  it('LOCAL_GID=0 with a range, and values out of range', async () => {
    await setup();
    await refused({ LOCAL_GID: '0' }, 'BAD_VALUE', /^CT 101: LOCAL_GID=0 with LOCAL_UID=auto/);
    await refused({ LOCAL_UID: '100000', LOCAL_GID: '0' }, 'BAD_VALUE', /^CT 101: LOCAL_GID=0 with LOCAL_UID=100000/);
    await refused({ LOCAL_UID: String(2 ** 32 - 65536) }, 'BAD_VALUE', /LOCAL_UID/);
    await refused({ LOCAL_UID: '-5' }, 'BAD_VALUE', /LOCAL_UID/);
  });

  it('a host with user namespaces turned off: UNSUPPORTED at start, saying so, and nothing left running', async () => {
    await setup({ maxUserNamespaces: 0 });
    await t.create(101, { LOCAL_UID: '100000' });
    await expect(t.runtime.start(101)).rejects.toMatchObject({
      code: 'UNSUPPORTED', message: 'CT 101: LOCAL_UID is set, but user namespaces are turned off on this host (user.max_user_namespaces = 0)',
    });
    expect((await t.runtime.status(101)).running).toBe(false);
    expect(t.fake.processes.list().filter((p) => p.pid !== t.fake.selfPid && p.pid !== 1)).toEqual([]);
  });

  it('a mapping without a user namespace: the core refuses to start the VE as the host root', async () => {
    await setup();
    await t.create(101, { LOCAL_UID: '100000' });
    // ns-user's service without its hooks: the ids are mapped, nothing makes the namespace.
    const mapsOnly = definePlugin({ name: 'test-maps-only', configKeys: nsUserPlugin.configKeys, provides: nsUserPlugin.provides, hooks: {} });
    const bare = createRuntime({ host: t.fake, plugins: [mapsOnly, namespaces], paths: resolvePaths(dirname(dirname(dirname(t.runtime.paths.confDir)))) });
    await expect(bare.start(101)).rejects.toMatchObject({
      code: 'UNSUPPORTED', message: 'CT 101: its ids map to host ids from 100000, but no plugin of this runtime gives the VE a user namespace',
    });
  });
});

describe('host accounts', () => {
  it('parses passwd and group lines and finds one in a range', () => {
    const accounts = parseAccounts('root:x:0:0::/:/bin/sh\nbroken line\n+nis::\nbob:x:100005:100005::/:/bin/sh\n');
    expect(accounts).toEqual([{ name: 'root', id: 0 }, { name: 'bob', id: 100005 }]);
    expect(accountInRange(accounts, 100000, 65536)).toEqual({ name: 'bob', id: 100005 });
    expect(accountInRange(accounts, 200000, 65536)).toBeUndefined();
  });

});
