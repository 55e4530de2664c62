/**
 * Runtime.hold (a VE held still while its files are read: vzdump) and create's `fill`
 * (a private area filled from elsewhere: vzrestore), with toy plugins on FakeHost: what
 * each does to the VE, what is left when the holder or the filler fails, and what the
 * next operation undoes after one that died.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineKey, definePlugin, integer, vzError, type Conversion, type HeldVe, type Plugin, type VzError } from '../src/index.js';
import { fakeVe, type FakeVe } from '@vzkit/fake-host';

let log: string[] = [];
let converts: Conversion[] = [];
let t: FakeVe;

/** A key a toy owns, standing for the ids a VE's files are made under (ns-user's LOCAL_UID). */
const TOY_IDS = defineKey({ name: 'TOY_IDS', type: integer(), live: false, description: 'ids of the files' });

/** Records the hooks that matter here; its convert records what it was asked. */
function toy(name: string): Plugin {
  const hooks: Record<string, (...a: unknown[]) => Promise<void>> = {};
  for (const hook of ['create', 'destroy', 'mount', 'umount', 'stop', 'cleanup']) {
    hooks[hook] = async () => void log.push(`${name}.${hook}`);
  }
  hooks.convert = async (_ctx, conv) => {
    log.push(`${name}.convert`);
    converts.push(conv as Conversion);
  };
  return definePlugin({ name, hooks, ...(name === 'a' ? { configKeys: [TOY_IDS] } : {}) });
}

const CT = 101;
const statePath = () => join(t.runtime.paths.run, String(CT), 'state.json');
const group = () => `vzkit/${CT}`;
const pidOf = async () => (await t.runtime.status(CT)).pid;

beforeEach(async () => {
  log = [];
  converts = [];
  t = await fakeVe([toy('a'), toy('b')]);
  await t.create(CT);
});
afterEach(async () => {
  await t.cleanup();
});

async function failure(p: Promise<unknown>): Promise<VzError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e, 'the operation should have failed').toBeDefined();
  return e as VzError;
}

describe('Runtime.hold', () => {
  it('suspend: a running VE is frozen while fn runs and thawed after; it keeps its init', async () => {
    await t.runtime.start(CT);
    const pid = await pidOf();
    const seen = await t.runtime.hold(CT, { mode: 'suspend', op: 'test' }, async (held) => {
      expect(held).toMatchObject({ was: 'running', how: 'frozen' });
      return t.fake.cgroups.isFrozen(group());
    });
    expect(seen).toBe(true);
    expect(t.fake.cgroups.isFrozen(group())).toBe(false);
    expect(await pidOf()).toBe(pid);
    expect(JSON.parse(await readFile(statePath(), 'utf8')).hold).toBeUndefined();
  });

  it('stop: a running VE is stopped (its root left mounted) while fn runs and started again after', async () => {
    await t.runtime.start(CT);
    const pid = await pidOf();
    log = [];
    await t.runtime.hold(CT, { mode: 'stop', op: 'test' }, async (held) => {
      expect(held).toMatchObject({ was: 'running', how: 'stopped' });
      expect(await t.fake.processes.alive(pid!)).toBe(false);
      expect(log).not.toContain('a.umount');
    });
    expect(log.filter((l) => l.endsWith('.mount') || l.endsWith('.umount'))).toEqual([]);
    const now = await t.runtime.status(CT);
    expect(now.running).toBe(true);
    expect(now.pid).not.toBe(pid);
    expect(JSON.parse(await readFile(statePath(), 'utf8')).hold).toBeUndefined();
  });

  it('a stopped VE is mounted for fn and unmounted after, whatever the mode; fn failing changes nothing of that', async () => {
    for (const mode of ['stop', 'suspend'] as const) {
      log = [];
      await t.runtime.hold(CT, { mode, op: 'test' }, async (held) => {
        expect(held).toMatchObject({ was: 'stopped', how: 'none' });
        expect(log).toEqual(['a.mount', 'b.mount']);
      });
      expect(log).toEqual(['a.mount', 'b.mount', 'b.umount', 'a.umount']);
      expect(existsSync(statePath())).toBe(false);
    }
    const e = await failure(t.runtime.hold(CT, { mode: 'stop', op: 'test' }, async () => {
      throw vzError('TOY', 'toy reader failed');
    }));
    expect(e.message).toBe('toy reader failed');
    expect(existsSync(statePath())).toBe(false);
  });

  it('files fn leaves on record are removed when it fails, kept once forgotten', async () => {
    await t.runtime.start(CT);
    const partial = join(t.runtime.paths.prefix, 'partial');
    const done = join(t.runtime.paths.prefix, 'done');
    await failure(t.runtime.hold(CT, { mode: 'suspend', op: 'test' }, async (held: HeldVe) => {
      await held.leave(partial);
      await t.fake.fs.writeFile(partial, 'half');
      throw vzError('TOY', 'toy reader failed');
    }));
    expect(await t.fake.fs.exists(partial)).toBe(false);
    await t.runtime.hold(CT, { mode: 'stop', op: 'test' }, async (held: HeldVe) => {
      await held.leave(done);
      await t.fake.fs.writeFile(done, 'whole');
      await held.forget(done);
    });
    expect(await t.fake.fs.exists(done)).toBe(true);
    expect(t.fake.cgroups.isFrozen(group())).toBe(false);
  });

  it('the VE is locked while held: another operation is refused (LOCKED)', async () => {
    await t.runtime.start(CT);
    await t.runtime.hold(CT, { mode: 'suspend', op: 'test' }, async () => {
      const e = await failure(t.runtime.stop(CT));
      expect(e.code).toBe('LOCKED');
    });
  });

  /** Runs a hold and keeps the state as it was inside fn, as a holder killed there leaves it. */
  async function killedInside(mode: 'stop' | 'suspend', partial: string): Promise<string> {
    let snapshot = '';
    await t.runtime.hold(CT, { mode, op: 'vzdump' }, async (held) => {
      await held.leave(partial);
      snapshot = await readFile(statePath(), 'utf8');
    });
    return snapshot;
  }

  it('a holder killed while the VE was frozen: the next operation (even vzlist\'s status) thaws it and removes its file', async () => {
    await t.runtime.start(CT);
    const partial = join(t.runtime.paths.prefix, 'archive.partial-1');
    const snapshot = await killedInside('suspend', partial);
    await writeFile(statePath(), snapshot);
    t.fake.fs.seed(partial, 'half');
    await t.fake.cgroups.freeze(group());
    expect((await t.runtime.status(CT)).running).toBe(true);
    expect(t.fake.cgroups.isFrozen(group())).toBe(false);
    expect(await t.fake.fs.exists(partial)).toBe(false);
    expect(JSON.parse(await readFile(statePath(), 'utf8')).hold).toBeUndefined();
  });

  it('a holder killed while the VE was stopped for it: unmounted, said so, not started again', async () => {
    await t.runtime.start(CT);
    const snapshot = await killedInside('stop', join(t.runtime.paths.prefix, 'p'));
    expect(JSON.parse(snapshot)).toMatchObject({ phase: 'mounted', hold: { stopped: true, mounted: true } });
    await t.runtime.stop(CT, { skipUmount: true });
    await writeFile(statePath(), snapshot);
    log = [];
    expect((await t.runtime.status(CT)).running).toBe(false);
    expect(log).toEqual(['b.umount', 'a.umount']);
    expect(existsSync(statePath())).toBe(false);
    expect(t.warnings.join('\n')).toMatch(/CT 101 was stopped for vzdump, which did not finish; start it again with 'vzctl start 101'/);
  });
});

describe('create with fill', () => {
  const filled = (run: () => Promise<void>) => ({ madeFor: new Map([['TOY_IDS', '100000']]), run });

  it('fills after the create hooks, then every convert from the files\' ids to the VE\'s, then the config', async () => {
    log = [];
    const conf = join(t.runtime.paths.confDir, '102.conf');
    await t.runtime.create(102, {
      file: 'OSTEMPLATE="test"\nHOSTNAME="from-archive"\nTOY_IDS="0"\n',
      fill: filled(async () => {
        expect(existsSync(conf)).toBe(false);
        log.push('fill');
      }),
    });
    expect(log).toEqual(['a.create', 'b.create', 'fill', 'a.convert', 'b.convert', 'b.umount', 'a.umount']);
    expect(converts[0]!.changes.map((c) => [c.key.name, c.before, c.after])).toEqual([['TOY_IDS', 100000, 0]]);
    expect(await readFile(conf, 'utf8')).toMatch(/^HOSTNAME="from-archive"$/m);
    expect(existsSync(join(t.runtime.paths.run, '102'))).toBe(false);
  });

  it('a fill that fails undoes the create: destroy hooks, no config, no record', async () => {
    log = [];
    const e = await failure(t.runtime.create(102, { file: 'OSTEMPLATE="test"\n', fill: filled(async () => { throw vzError('TOY', 'toy fill failed'); }) }));
    expect(e.message).toBe('toy fill failed');
    expect(log).toEqual(['a.create', 'b.create', 'b.destroy', 'a.destroy']);
    expect(existsSync(join(t.runtime.paths.confDir, '102.conf'))).toBe(false);
    expect(existsSync(join(t.runtime.paths.run, '102'))).toBe(false);
  });

  it('a config given that does not parse is refused before anything is made', async () => {
    log = [];
    const e = await failure(t.runtime.create(102, { file: 'NOT A CONFIG LINE\n' }));
    expect(e.code).toBe('BAD_CONFIG');
    expect(log).toEqual([]);
  });
});
