/**
 * The lifecycle's contract with plugins, tested with toy plugins that fail at every hook
 * in turn: what runs, in which order; which undo hooks run when a step fails (the
 * reverse of what began, nothing that did not); which error the caller gets (the first
 * failure, with undo failures attached, never replaced); what is left on record (nothing
 * after a clean undo, enough to finish the job after a failed one).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { definePlugin, vzError, type Plugin, type PluginHooks, type VzError } from '../src/index.js';
import { fakeVe, type FakeVe } from '@vzkit/fake-host';

type Hook = keyof PluginHooks;
const NAMES = ['a', 'b', 'c'] as const;
const HOOKS: Hook[] = ['validate', 'create', 'created', 'mount', 'prepare', 'attach', 'started', 'update', 'stop', 'cleanup', 'umount', 'destroy'];

let log: string[] = [];
let failing: Set<string> = new Set();

/** A plugin that records each hook it runs as `name.hook` and fails where `failing` says. */
function toy(name: string, requires?: string): Plugin {
  const hooks: Record<string, (...a: unknown[]) => Promise<void>> = {};
  for (const hook of HOOKS) {
    hooks[hook] = async () => {
      log.push(`${name}.${hook}`);
      if (failing.has(`${name}.${hook}`)) throw vzError('TOY', `toy ${name} failed in ${hook}`);
    };
  }
  return definePlugin({ name, ...(requires ? { requires: [requires] } : {}), hooks: hooks as PluginHooks });
}

const plugins = () => [toy('c', 'b'), toy('a'), toy('b', 'a')];
let t: FakeVe;

beforeEach(async () => {
  log = [];
  failing = new Set();
  t = await fakeVe(plugins());
});
afterEach(async () => {
  failing = new Set();
  await t.cleanup();
});

const calls = (hook: Hook, order: readonly string[] = NAMES) => order.map((n) => `${n}.${hook}`);
const reverse = (names: readonly string[]) => [...names].reverse();
const statePath = (ctid: number) => join(t.runtime.paths.run, String(ctid), 'state.json');
const upTo = (name: string) => NAMES.slice(0, NAMES.indexOf(name as (typeof NAMES)[number]) + 1);

async function failure(p: Promise<unknown>): Promise<VzError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e, 'the operation should have failed').toBeDefined();
  return e as VzError;
}

describe('the order of hooks', () => {
  it('create, start and stop run the plugins in order and undo in reverse', async () => {
    await t.create(101);
    // validate runs again once the plugins have assigned what the config left open (assign).
    expect(log).toEqual([...calls('validate'), ...calls('validate'), ...calls('create'), ...calls('created')]);
    log = [];
    await t.runtime.start(101);
    expect(log).toEqual([...calls('validate'), ...calls('mount'), ...calls('prepare'), ...calls('attach'), ...calls('started')]);
    log = [];
    await t.runtime.stop(101);
    expect(log).toEqual([...calls('stop', reverse(NAMES)), ...calls('cleanup', reverse(NAMES)), ...calls('umount', reverse(NAMES))]);
    log = [];
    await t.runtime.destroy(101);
    expect(log).toEqual(calls('destroy', reverse(NAMES)));
  });
});

describe('a start that fails at any hook of any plugin', () => {
  const cases: Array<[string, Hook]> = NAMES.flatMap((n) => (['validate', 'mount', 'prepare', 'attach', 'started'] as Hook[]).map((h): [string, Hook] => [n, h]));

  it.each(cases)('%s.%s: undoes what began, in reverse, reports that failure, leaves no record, and the next start works', async (name, hook) => {
    await t.create(101);
    log = [];
    failing.add(`${name}.${hook}`);
    const e = await failure(t.runtime.start(101));
    expect(e.code).toBe('TOY');
    expect(e.message).toContain(`toy ${name} failed in ${hook}`);
    expect(e.cleanupErrors).toEqual([]);
    const at = log.indexOf(`${name}.${hook}`);
    const undo = log.slice(at + 1);
    // What began: every mount up to the failing one; every prepare up to the failing one.
    const mounted = hook === 'validate' ? [] : hook === 'mount' ? upTo(name) : [...NAMES];
    const prepared = ['validate', 'mount'].includes(hook) ? [] : hook === 'prepare' ? upTo(name) : [...NAMES];
    expect(undo).toEqual([...calls('cleanup', reverse(prepared)), ...calls('umount', reverse(mounted))]);
    expect(existsSync(statePath(101))).toBe(false);
    expect(await t.fake.cgroups.exists('vzkit/101')).toBe(false);
    expect((await t.runtime.status(101)).running).toBe(false);
    failing.clear();
    await t.runtime.start(101);
    expect((await t.runtime.status(101)).running).toBe(true);
  });

  it('an undo that fails too is attached to the first failure, and the record stays for the next operation to finish', async () => {
    await t.create(101);
    failing.add('c.attach').add('b.cleanup');
    const e = await failure(t.runtime.start(101));
    expect(e.message).toContain('toy c failed in attach');
    expect(e.cleanupErrors.map((x) => (x as Error).message)).toEqual([expect.stringContaining('toy b failed in cleanup')]);
    // a's cleanup still ran after b's failed.
    expect(log.slice(log.indexOf('c.attach') + 1)).toEqual([...calls('cleanup', reverse(NAMES)), ...calls('umount', reverse(NAMES))]);
    expect(existsSync(statePath(101))).toBe(true);
    failing.clear();
    log = [];
    // The recorded run is reconciled first (init is gone): the cleanup is finished, then the start runs.
    await t.runtime.start(101);
    expect(log).toContain('b.cleanup');
    expect((await t.runtime.status(101)).running).toBe(true);
  });
});

describe('a VE whose private area is gone', () => {
  it('start and mount refuse it before any plugin mounts anything (vzctl exit 43), and leave no record', async () => {
    await t.create(101);
    const priv = join(t.runtime.paths.private, '101');
    t.fake.fs.removeSync(priv, { recursive: true });
    log = [];
    for (const op of [() => t.runtime.start(101), () => t.runtime.mount(101)]) {
      const e = await failure(op());
      expect(e).toMatchObject({ code: 'PRIVATE_NOT_FOUND', exit: 43, message: `CT 101: private area ${priv} does not exist` });
    }
    expect(log.filter((l) => !l.endsWith('.validate'))).toEqual([]);
    expect(await t.fake.fs.exists(priv)).toBe(false);
    expect(existsSync(statePath(101))).toBe(false);
    // Moved elsewhere and linked back: an administrator's choice, and it starts.
    t.fake.fs.seedDir('/srv/ct101');
    t.fake.fs.seedLink(priv, '/srv/ct101');
    await t.runtime.start(101);
    expect((await t.runtime.status(101)).running).toBe(true);
  });
});

describe('a create that fails in a plugin', () => {
  it.each(NAMES.map((n) => [n]))('%s.create: the creates that began are undone by destroy in reverse; no config, no record', async (name) => {
    failing.add(`${name}.create`);
    const e = await failure(t.create(101));
    expect(e.message).toContain(`toy ${name} failed in create`);
    expect(log.slice(log.indexOf(`${name}.create`) + 1)).toEqual(calls('destroy', reverse(upTo(name))));
    expect(log).not.toContain(`${name}.created`);
    expect(existsSync(join(t.runtime.paths.confDir, '101.conf'))).toBe(false);
    expect(existsSync(statePath(101))).toBe(false);
  });

  it('a failing created hook is a warning: the VE exists', async () => {
    failing.add('b.created');
    await t.create(101);
    expect(log).toContain('c.created');
    expect(t.warnings).toEqual([expect.stringContaining('toy b failed in created')]);
    expect(existsSync(join(t.runtime.paths.confDir, '101.conf'))).toBe(true);
  });
});

describe('a stop or destroy that fails in a plugin', () => {
  it.each(NAMES.map((n) => [n]))('%s.stop: the others still stop, the VE is killed and cleaned up, the failure is reported', async (name) => {
    await t.create(101);
    await t.runtime.start(101);
    log = [];
    failing.add(`${name}.stop`);
    const e = await failure(t.runtime.stop(101));
    expect(e.message).toContain(`toy ${name} failed in stop`);
    expect(log).toEqual([...calls('stop', reverse(NAMES)), ...calls('cleanup', reverse(NAMES)), ...calls('umount', reverse(NAMES))]);
    expect((await t.runtime.status(101)).running).toBe(false);
  });

  it('a failed cleanup keeps the record; the next stop finishes it', async () => {
    await t.create(101);
    await t.runtime.start(101);
    failing.add('a.cleanup');
    await failure(t.runtime.stop(101));
    expect(existsSync(statePath(101))).toBe(true);
    failing.clear();
    log = [];
    await t.runtime.stop(101).catch(() => undefined);
    expect(log).toContain('a.cleanup');
    expect(existsSync(statePath(101))).toBe(false);
  });

  it.each(NAMES.map((n) => [n]))('%s.destroy: every other destroy runs, the config stays for another try', async (name) => {
    await t.create(101);
    log = [];
    failing.add(`${name}.destroy`);
    const e = await failure(t.runtime.destroy(101));
    expect(e.code).toBe('DESTROY_FAILED');
    expect(log).toEqual(calls('destroy', reverse(NAMES)));
    expect(existsSync(join(t.runtime.paths.confDir, '101.conf'))).toBe(true);
    failing.clear();
    await t.runtime.destroy(101);
    expect(existsSync(join(t.runtime.paths.confDir, '101.conf'))).toBe(false);
  });
});

describe('composition', () => {
  it('plugins given in any order run in their declared order', async () => {
    expect(t.runtime.plugins.map((p) => p.name).filter((n) => NAMES.includes(n as (typeof NAMES)[number]))).toEqual([...NAMES]);
  });
});
