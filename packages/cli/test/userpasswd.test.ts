/**
 * `vzctl set CTID --userpasswd USER`: the password comes from stdin (a line of a pipe,
 * or typed twice without echo on a terminal) and reaches the guest's chpasswd on a pipe;
 * no process, on the host or in the VE, ever has it in its argv. `USER:PASSWORD` still
 * works, with a warning.
 */
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandContext } from '@vzkit/fake-host';
import { runVzctl, type CliIo } from '../src/index.js';
import { makeEnv, type Env } from './harness.js';

let env: Env;
/** argv of every process alive while the guest's chpasswd ran (host and VE). */
let argvs: string[][];

/** The guest's shell running the distro plugin's script: chpasswd writes stdin's pairs into /etc/shadow. */
function fakeChpasswd(ctx: CommandContext) {
  argvs = env.fake.processes.list().map((p) => p.argv);
  if (ctx.argv[1] !== '-c' || !ctx.argv[2]?.includes('exec chpasswd')) return { code: 2, stderr: 'sh: unexpected use\n' };
  const shadow = ctx.input.split('\n').filter(Boolean).map((l) => {
    const [user, ...pw] = l.split(':');
    return `${user}:$fake$${pw.join(':')}:19000:0:99999:7:::`;
  });
  ctx.fs.writeSync('/etc/shadow', `${shadow.join('\n')}\n`);
  return { code: 0 };
}

beforeEach(async () => {
  env = await makeEnv();
  argvs = [];
  expect((await env.vzctl('create', '101', '--ostemplate', 'busybox')).code).toBe(0);
  expect((await env.vzctl('start', '101')).code).toBe(0);
  env.fake.commands.register('sh', fakeChpasswd);
});
afterEach(async () => {
  await env.cleanup();
});

/** The VE's /etc/shadow, read on the host through its mounted root. */
const shadow = async () => env.fake.fs.read(`${env.root}/var/lib/vzkit/root/101/etc/shadow`);

describe('vzctl set --userpasswd', () => {
  it('USER reads the password from stdin: one line, spaces kept, never in an argv', async () => {
    const before = await shadow();
    const r = await env.vzctlIn('s3cret pass:word\nnext line\n', 'set', '101', '--userpasswd', 'root');
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    const after = await shadow();
    expect(after).not.toBe(before);
    expect(after).toBe('root:$fake$s3cret pass:word:19000:0:99999:7:::\n');
    expect(argvs.length).toBeGreaterThan(1);
    for (const argv of argvs) expect(argv.join(' ')).not.toContain('s3cret');
  });

  it('several users take one line each, in order', async () => {
    const r = await env.vzctlIn('pw-one\r\npw-two', 'set', '101', '--userpasswd', 'root', '--userpasswd', 'web');
    expect(r.code, r.stderr).toBe(0);
    expect(await shadow()).toBe('root:$fake$pw-one:19000:0:99999:7:::\nweb:$fake$pw-two:19000:0:99999:7:::\n');
  });

  it('USER:PASSWORD still works, and warns that ps shows it', async () => {
    const r = await env.vzctl('set', '101', '--userpasswd', 'root:inline-pw');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('WARNING: the password for root given in --userpasswd was visible to every user of the host (ps) while vzctl ran; ' +
      'give --userpasswd without it and the password for root on stdin\n');
    expect(r.stderr).not.toContain('inline-pw');
    expect(await shadow()).toContain('root:$fake$inline-pw:');
  });

  it('no line or an empty one on stdin: refused in one line (21), nothing changed', async () => {
    const before = await shadow();
    expect(await env.vzctlIn('', 'set', '101', '--userpasswd', 'root')).toEqual({
      code: 21, stdout: '', stderr: 'vzctl: CT 101: invalid value for --userpasswd: no password for root on stdin\n',
    });
    expect(await env.vzctlIn('\n', 'set', '101', '--userpasswd', 'root')).toMatchObject({
      code: 21, stderr: 'vzctl: CT 101: invalid value for --userpasswd: the password for root is empty\n',
    });
    expect(argvs).toEqual([]);
    expect(await shadow()).toBe(before);
  });

  it('asks nothing for a VE that does not exist; a stopped one is refused (31)', async () => {
    expect(await env.vzctlIn('', 'set', '999', '--userpasswd', 'root')).toMatchObject({ code: 14, stderr: expect.stringMatching(/^vzctl: CT 999 does not exist/) });
    expect((await env.vzctl('stop', '101', '--fast')).code).toBe(0);
    expect(await env.vzctlIn('pw\n', 'set', '101', '--userpasswd', 'root', '--save')).toMatchObject({
      code: 31, stderr: expect.stringMatching(/^vzctl: CT 101 is not running: --userpasswd acts on a running VE\n/),
    });
  });
});

describe('vzctl set --userpasswd on a terminal', () => {
  /** A terminal on stdin: what is typed arrives in raw mode (no echo) once vzctl asks. */
  async function typed(keys: string[], ...argv: string[]) {
    const stdin = Object.assign(new PassThrough(), { raw: false, setRawMode(raw: boolean) { this.raw = raw; } });
    let stdout = '';
    let stderr = '';
    const io: CliIo = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, stdin, isTTY: true };
    const run = runVzctl(argv, io, env.factory);
    for (const k of keys) {
      // Each answer once vzctl is waiting for it, in raw mode, as a terminal would deliver it.
      for (let i = 0; i < 200 && !(stdin.raw && stdin.listenerCount('data') > 0); i++) await new Promise((r) => setTimeout(r, 5));
      expect(stdin.raw).toBe(true);
      stdin.write(k);
      await new Promise((r) => setTimeout(r, 5));
    }
    const code = await run;
    return { code, stdout, stderr, raw: stdin.raw };
  }

  it('asks twice without echo, as passwd does', async () => {
    const r = await typed(['tty-pw\r', 'tty-pw\r'], 'set', '101', '--userpasswd', 'root');
    expect(r).toEqual({ code: 0, stdout: '', stderr: 'Enter password for root: \nRetype password for root: \n', raw: false });
    expect(await shadow()).toBe('root:$fake$tty-pw:19000:0:99999:7:::\n');
  });

  it('refuses two entries that differ, and a Ctrl-C, changing nothing', async () => {
    expect((await typed(['one\r', 'two\r'], 'set', '101', '--userpasswd', 'root')).stderr).toMatch(/the two entries of the password for root differ\n$/);
    const c = await typed(['abc\u0003'], 'set', '101', '--userpasswd', 'root');
    expect([c.code, c.raw]).toEqual([21, false]);
    expect(c.stderr).toMatch(/CT 101: --userpasswd: cancelled\n$/);
    expect(argvs).toEqual([]);
  });
});
