import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultPlugins } from '../src/index.js';
import { makeEnv, type Env } from './harness.js';

let env: Env;

beforeEach(async () => {
  env = await makeEnv();
});

afterEach(async () => {
  await env.cleanup();
});

describe('generated help', () => {
  it('vzctl set --help lists every set flag from the key declarations, by plugin, with when it applies', async () => {
    const r = await env.vzctl('set', '--help');
    expect(r.code).toBe(0);
    const text = r.stdout;
    expect(text).toMatch(/^Usage: vzctl set CTID \[--save\] PARAMETER\.\.\./);
    expect(text).toMatch(/^ {2}--save +also write the parameters/m);
    // A plugin the CLI does not know brings its flags, their arguments and descriptions.
    expect(text).toMatch(/^ {2}@test\/demo:$/m);
    expect(text).toMatch(/^ {4}--demo-level N +Demo level, written to \/etc\/demo-level inside \[live\]$/m);
    expect(text).toMatch(/^ {4}--demo-mode calm\|busy +Demo mode, read at start \[next start\]$/m);
    expect(text).toMatch(/^ {4}--demo-tag-add TAG +add a demo tag \[live\]$/m);
    // The default plugins' and the core's keys are there too.
    expect(text).toMatch(/^ {4}--hostname NAME +.*\[live\]$/m);
    expect(text).toMatch(/^ {4}--name STRING +Symbolic name.*\[live, needs --save\]$/m);
    // Create-only keys are not.
    expect(text).not.toMatch(/--private/);
  });

  it('vzctl --help lists the verbs, the plugin verbs, the other tools and every parameter', async () => {
    const r = await env.vzctl('--help');
    expect(r.code).toBe(0);
    for (const verb of ['create', 'destroy|delete', 'start', 'stop', 'restart', 'status', 'set', 'exec', 'exec2', 'enter', 'mount', 'umount']) {
      expect(r.stdout).toMatch(new RegExp(`^ {2}${verb.replace('|', '\\|')} +\\S`, 'm'));
    }
    expect(r.stdout).toMatch(/^ {2}demo-hello +Greet a container$/m);
    expect(r.stdout).toMatch(/^ {2}vzdemo vzdemo +The demo tool$/m);
    expect(r.stdout).toMatch(/^ {4}--private PATH +.*\[create only\]$/m);
    expect(r.stdout).toMatch(/^ {4}--demo-mode calm\|busy +.*\[next start, set only\]$/m);
    expect(r.stdout).toMatch(/^ {4}--hostname NAME +.*\[live\]$/m);
  });

  it('vzctl create --help lists the create parameters', async () => {
    const r = await env.vzctl('create', '--help');
    expect(r.stdout).toMatch(/^ {2}--config NAME +apply the sample config/m);
    expect(r.stdout).toMatch(/^ {4}--ostemplate NAME /m);
    expect(r.stdout).toMatch(/^ {4}--root PATH /m);
    expect(r.stdout).not.toMatch(/--demo-mode/);
  });

  it('names every flag the default composition adds to set', async () => {
    const r = await env.vzctl('set', '--help');
    for (const p of defaultPlugins()) {
      for (const k of p.configKeys ?? []) {
        if (k.flag && (!k.scope || k.scope.includes('set'))) expect(r.stdout).toContain(`--${k.flag} `);
      }
    }
  });
});

describe('plugin commands', () => {
  it('dispatches a vzctl verb a plugin declares', async () => {
    expect((await env.vzctl('create', '101', '--ostemplate', 'busybox')).code).toBe(0);
    expect(await env.vzctl('demo-hello', '101')).toEqual({ code: 0, stdout: 'hello CT 101, you are down\n', stderr: '' });
    expect((await env.vzctl('demo-hello', '--help')).stdout).toBe('Usage: vzctl demo-hello CTID\nGreet a container\n');
  });

  it('runs a tool a plugin declares through the generic entry, with its exit status', async () => {
    expect((await env.vzctl('create', '101', '--ostemplate', 'busybox')).code).toBe(0);
    expect(await env.tool('vzdemo', 'a', 'b')).toEqual({ code: 0, stdout: 'vzdemo sees 1 container(s), args: a b\n', stderr: '' });
    expect(await env.tool('vzdemo', '--fail')).toEqual({ code: 7, stdout: 'vzdemo sees 1 container(s), args: --fail\n', stderr: 'vzdemo: asked to fail\n' });
    const none = await env.tool('vznothing');
    expect(none.code).toBe(20);
    expect(none.stderr).toBe('vznothing: no plugin of this composition provides the tool vznothing\n');
  });

  it('a plugin command failing with a VzError exits with its code', async () => {
    const r = await env.vzctl('demo-hello', 'nosuchname');
    expect(r.code).toBe(20);
    expect(r.stderr).toMatch(/^vzctl: CT ID "nosuchname" is invalid/);
  });
});
