import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeEnv, type Env } from './harness.js';

let env: Env;

beforeEach(async () => {
  env = await makeEnv();
});

afterEach(async () => {
  await env.cleanup();
});

describe('vztmpl (the template plugin\'s tool) through runTool', () => {
  it('lists its commands and the usage of each', async () => {
    const help = await env.tool('vztmpl', '--help');
    expect(help.code).toBe(0);
    for (const c of ['list', 'create', 'remove', 'export', 'import']) expect(help.stdout).toMatch(new RegExp(`^ {2}${c} +\\S`, 'm'));
    const create = await env.tool('vztmpl', 'create', '--help');
    expect(create.stdout).toMatch(/^Usage: vztmpl create NAME \[--mirror URL\] \[--no-cache\] \[-q\]$/m);
    expect((await env.tool('vztmpl')).code).toBe(20);
  });

  it('create, list, and a remove refused while vzctl has a VE of it: one line, the VEs named, exit 92', async () => {
    expect(await env.tool('vztmpl', 'create', 'busybox')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Created OS template busybox in /) });
    expect((await env.tool('vztmpl', 'list')).stdout).toMatch(/^busybox +\S+ +\d{4}-\d\d-\d\d \d\d:\d\d +busybox:\/bin\/busybox$/m);
    expect((await env.vzctl('create', '101', '--ostemplate', 'busybox')).code).toBe(0);
    expect(await env.tool('vztmpl', 'remove', 'busybox')).toEqual({
      code: 92, stdout: '',
      stderr: "vztmpl: OS template 'busybox' is in use by CT 101\n  hint: a VE made from it reads it as the lower layer of its root: destroy those VEs first (vzctl destroy CTID)\n",
    });
    expect((await env.vzctl('destroy', '101')).code).toBe(0);
    expect(await env.tool('vztmpl', 'remove', 'busybox')).toMatchObject({ code: 0, stdout: 'Removed OS template busybox\n' });
  });

  it('bad input: one line naming the template and what is wrong, with its exit number', async () => {
    expect(await env.tool('vztmpl', 'remove', 'nosuch')).toMatchObject({ code: 91, stderr: expect.stringMatching(/^vztmpl: OS template 'nosuch' not found in /) });
    expect(await env.tool('vztmpl', 'create', 'a/b')).toMatchObject({ code: 21, stderr: expect.stringMatching(/^vztmpl: invalid OS template name 'a\/b'\n/) });
    expect(await env.tool('vztmpl', 'list', '-x')).toMatchObject({ code: 20, stderr: "vztmpl: list: unknown option -x\n  hint: see 'vztmpl list --help'\n" });
  });
});
