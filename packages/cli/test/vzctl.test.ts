import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { createRuntime, resolvePaths } from '@vzkit/core';
import { Readable } from 'node:stream';
import { runVzctl, type CliIo } from '../src/index.js';
import { statusLine } from '../src/vzctl/status.js';
import { makeEnv, type Env } from './harness.js';

let env: Env;

beforeEach(async () => {
  env = await makeEnv();
});

afterEach(async () => {
  await env.cleanup();
});

async function created(ctid = 101, ...extra: string[]) {
  const r = await env.vzctl('create', String(ctid), '--ostemplate', 'busybox', '--hostname', `ct${ctid}`, ...extra);
  expect(r).toMatchObject({ code: 0, stderr: '' });
}

async function running(ctid = 101) {
  await created(ctid);
  expect((await env.vzctl('start', String(ctid))).code).toBe(0);
}

describe('vzctl create / start / stop / destroy', () => {
  it('creates a container from the busybox template with OpenVZ messages and its config', async () => {
    const r = await env.vzctl('create', '101', '--ostemplate', 'busybox', '--hostname', 'ct101', '--name', 'web');
    expect(r).toEqual({ code: 0, stdout: 'Creating container private area (busybox)\nContainer private area was created\n', stderr: '' });
    const conf = await env.conf(101);
    expect(conf).toMatch(/^OSTEMPLATE="busybox"$/m);
    expect(conf).toMatch(/^HOSTNAME="ct101"$/m);
    expect(conf).toMatch(/^NAME="web"$/m);
    expect((await env.vzctl('status', 'web')).stdout).toBe('CTID 101 exist unmounted down\n');
  });

  it('starts, runs commands inside, stops and destroys', async () => {
    await created();
    expect(await env.vzctl('start', '101')).toEqual({ code: 0, stdout: 'Starting container...\nContainer start in progress...\n', stderr: '' });
    expect((await env.vzctl('status', '101')).stdout).toBe('CTID 101 exist mounted running\n');

    const ps = await env.vzctl('exec', '101', 'ps');
    expect(ps.code).toBe(0);
    const pids = ps.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    expect(pids[0]).toEqual(['1', 'root', '/sbin/init']);
    expect(await env.vzctl('exec', '101', 'hostname')).toEqual({ code: 0, stdout: 'ct101\n', stderr: '' });

    expect(await env.vzctl('stop', '101')).toEqual({ code: 0, stdout: 'Stopping container ...\nContainer was stopped\nContainer is unmounted\n', stderr: '' });
    expect((await env.vzctl('status', '101')).stdout).toBe('CTID 101 exist unmounted down\n');

    const d = await env.vzctl('destroy', '101');
    expect(d.code).toBe(0);
    expect(d.stdout).toBe(`Destroying container private area: ${env.root}/var/lib/vzkit/private/101\nContainer private area was destroyed\n`);
    await expect(readFile(env.confPath(101))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await env.vzctl('status', '101')).stdout).toBe('CTID 101 deleted unmounted down\n');
  });

  it('restarts with the stop and start messages in order', async () => {
    await running();
    const initPid = async () => (JSON.parse(await readFile(`${env.root}/run/vzkit/101/state.json`, 'utf8')) as { pid: number }).pid;
    const before = await initPid();
    const r = await env.vzctl('restart', '101');
    expect(r.stdout).toBe('Restarting container\nStopping container ...\nContainer was stopped\nContainer is unmounted\nStarting container...\nContainer start in progress...\n');
    expect(r.code).toBe(0);
    expect((await env.vzctl('status', '101')).stdout).toBe('CTID 101 exist mounted running\n');
    expect(await initPid()).not.toBe(before);
    expect(env.fake.process(before)?.alive).toBe(false);
  });

  it('mounts and unmounts a stopped container', async () => {
    await created();
    expect(await env.vzctl('mount', '101')).toMatchObject({ code: 0, stdout: 'Container is mounted\n' });
    expect((await env.vzctl('status', '101')).stdout).toBe('CTID 101 exist mounted down\n');
    expect(await env.vzctl('umount', '101')).toMatchObject({ code: 0, stdout: 'Container is unmounted\n' });
    expect((await env.vzctl('status', '101')).stdout).toBe('CTID 101 exist unmounted down\n');
  });

  it('is silent with --quiet but still fails loudly', async () => {
    expect(await env.vzctl('--quiet', 'create', '101', '--ostemplate', 'busybox')).toEqual({ code: 0, stdout: '', stderr: '' });
    const r = await env.vzctl('--quiet', 'stop', '101');
    expect(r.code).toBe(31);
    expect(r.stderr).toBe('vzctl: CT 101 is not running\n');
  });
});

describe('vzctl status', () => {
  it('prints the OpenVZ line and exits 0 for any valid CTID', async () => {
    expect(await env.vzctl('status', '4242')).toEqual({ code: 0, stdout: 'CTID 4242 deleted unmounted down\n', stderr: '' });
    expect(statusLine({ ctid: 101, exist: true, mounted: true, running: true, busy: false, pid: 5 })).toBe('CTID 101 exist mounted running');
  });
});

describe('vzctl set', () => {
  it('changes the hostname live with --save and keeps the comments of the config file', async () => {
    await running();
    await writeFile(env.confPath(101), `# written by hand: keep me\n${await env.conf(101)}# trailing note\n`);
    const r = await env.vzctl('set', '101', '--hostname', 'x', '--save');
    expect(r).toEqual({ code: 0, stdout: 'Saved parameters for CT 101\n', stderr: '' });
    expect((await env.vzctl('exec', '101', 'hostname')).stdout).toBe('x\n');
    const conf = await env.conf(101);
    expect(conf).toMatch(/^# written by hand: keep me\n/);
    expect(conf).toMatch(/^HOSTNAME="x"$/m);
    expect(conf).toMatch(/# trailing note\n$/);
  });

  it('applies a live change without --save, warns that it will be lost, and leaves the file alone', async () => {
    await running();
    const before = await env.conf(101);
    const r = await env.vzctl('set', '101', '--demo-level', '4');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('WARNING: Settings were not saved to config (use --save flag) and will be lost after CT restart\n');
    expect((await env.vzctl('exec', '101', 'cat', '/etc/demo-level')).stdout).toBe('4\n');
    expect(await env.conf(101)).toBe(before);
  });

  it('says when a key can only apply at the next start', async () => {
    await running();
    const r = await env.vzctl('set', '101', '--demo-mode', 'busy', '--save');
    expect(r.stdout).toBe('DEMO_MODE (--demo-mode) cannot change on a running container: it will apply at the next start\nSaved parameters for CT 101\n');
    expect(await env.conf(101)).toMatch(/^DEMO_MODE="busy"$/m);
  });

  it('applies repeated edit flags in order', async () => {
    await created();
    expect((await env.vzctl('set', '101', '--demo-tag-add', 'a', '--demo-tag-add', 'b', '--demo-tag-add', 'c', '--demo-tag-del', 'b', '--save')).code).toBe(0);
    expect(await env.conf(101)).toMatch(/^DEMO_TAGS="a c"$/m);
  });

  it('on a stopped container saves with --save and refuses without (31)', async () => {
    await created();
    expect((await env.vzctl('set', '101', '--demo-level', '2', '--save')).stdout).toBe('Saved parameters for CT 101\n');
    const before = await env.conf(101);
    const r = await env.vzctl('set', '101', '--demo-level', '3');
    expect(r.code).toBe(31);
    expect(await env.conf(101)).toBe(before);
  });
});

describe('vzctl exec, exec2, enter', () => {
  it('exec exits 8 with a message when the command fails; exec2 passes its status on', async () => {
    await running();
    const r = await env.vzctl('exec', '101', 'cat', '/nonexistent');
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/No such file or directory\n/);
    expect(r.stderr).toMatch(/^vzctl: CT 101: command failed with exit status 1$/m);
    expect((await env.vzctl('exec2', '101', 'false')).code).toBe(1);
    expect((await env.vzctl('exec2', '101', 'exit', '3')).code).toBe(3);
    expect(await env.vzctl('exec2', '101', 'echo', 'a', 'b')).toEqual({ code: 0, stdout: 'a b\n', stderr: '' });
  });

  it('exec - reads the commands from stdin', async () => {
    await running();
    expect(await env.vzctlIn('hostname\necho done\n', 'exec', '101', '-')).toEqual({ code: 0, stdout: 'ct101\ndone\n', stderr: '' });
  });

  it('enter runs a shell inside on stdin, --exec first', async () => {
    await running();
    const r = await env.vzctlIn('hostname\n', 'enter', '101');
    expect(r).toEqual({ code: 0, stdout: 'entered into CT 101\nct101\nexited from CT 101\n', stderr: '' });
    const e = await env.vzctlIn('echo after\n', 'enter', '101', '--exec', 'echo', 'first');
    expect(e.stdout).toBe('entered into CT 101\nfirst\nafter\nexited from CT 101\n');
  });

  it('refuses exec on a stopped container (31) and without a command (20)', async () => {
    await created();
    expect((await env.vzctl('exec', '101', 'true')).code).toBe(31);
    expect((await env.vzctl('exec', '101')).code).toBe(20);
  });
});

describe('bad input: exit codes, one line, nothing changed', () => {
  it('maps each kind of bad input to its OpenVZ exit code and leaves the config byte for byte', async () => {
    await running();
    const before = await readFile(env.confPath(101));
    const cases: Array<[string[], number, RegExp]> = [
      [['start', '4242'], 14, /^vzctl: CT 4242 does not exist/],
      [['status', '0'], 20, /^vzctl: CT ID 0 /],
      [['status', 'abc'], 20, /^vzctl: CT ID "abc" is invalid/],
      [['start', '101', '--bogus'], 20, /--bogus/],
      [['set', '101', '--hostname'], 20, /--hostname needs an argument/],
      [['set', '101', '--bogus-flag', '1', '--save'], 20, /--bogus-flag/],
      [['set', '101', '--root', '/x', '--save'], 20, /--root/],
      [['set', '101', '--save'], 20, /no parameters/],
      [['set', '101', '--demo-level', '99', '--save'], 21, /DEMO_LEVEL \(--demo-level\).*99 is out of range/],
      [['set', '101', '--onboot', 'maybe', '--save'], 21, /--onboot/],
      [['set', '101', '--demo-tag-del', 'zzz', '--save'], 21, /--demo-tag-del.*no tag 'zzz'/],
      [['set', '101', '--name', 'web'], 20, /--name needs --save/],
      [['start', '101'], 32, /already running/],
      [['destroy', '101'], 32, /running/],
      [['mount', '101'], 32, /running/],
      [['create', '101', '--ostemplate', 'busybox'], 44, /already exists/],
      [['frobnicate', '101'], 20, /unknown command 'frobnicate'/],
      [['start'], 20, /CT ID is not given/],
      [['start', '101', '102'], 20, /unexpected argument '102'/],
      [[], 20, /no command given/],
      [['--bogus'], 20, /--bogus/],
    ];
    for (const [argv, exit, message] of cases) {
      const r = await env.vzctl(...argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: exit });
      expect(r.stderr).toMatch(message);
      // One line, and a hint line when there is one.
      expect(r.stderr.split('\n').filter(Boolean).every((l, i) => (i === 0 ? l.startsWith('vzctl: ') : l.startsWith('  hint: ')))).toBe(true);
      expect(r.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(2);
    }
    expect(await readFile(env.confPath(101))).toEqual(before);
    expect((await env.vzctl('status', '101')).stdout).toBe('CTID 101 exist mounted running\n');
  });

  it('stopping a stopped container is 31, and changes nothing', async () => {
    await created();
    const before = await readFile(env.confPath(101));
    const r = await env.vzctl('stop', '101');
    expect(r.code).toBe(31);
    expect(await readFile(env.confPath(101))).toEqual(before);
  });

  it('a malformed create changes nothing on disk', async () => {
    const r = await env.vzctl('create', '102', '--ostemplate', 'busybox', '--onboot', 'yes');
    expect(r.code).toBe(20);
    const bad = await env.vzctl('create', '102', '--ostemplate', 'busybox', '--hostname', 'bad host!');
    expect(bad.code).toBe(70);
    const noTemplate = await env.vzctl('create', '102', '--ostemplate', 'nosuchtemplate');
    expect(noTemplate.code).toBe(91);
    expect((await env.vzctl('status', '102')).stdout).toBe('CTID 102 deleted unmounted down\n');
    await expect(readFile(env.confPath(102))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('any other failure is exit 3 with one line; the stack only with VZKIT_DEBUG=1', async () => {
    let stderr = '';
    const io: CliIo = { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, stdin: Readable.from([]), isTTY: false };
    const broken = async () => {
      throw new TypeError('boom');
    };
    expect(await runVzctl(['status', '101'], io, broken)).toBe(3);
    expect(stderr).toBe('vzctl: boom\n');
    const saved = process.env.VZKIT_DEBUG;
    process.env.VZKIT_DEBUG = '1';
    try {
      stderr = '';
      expect(await runVzctl(['status', '101'], io, broken)).toBe(3);
      expect(stderr).toMatch(/^vzctl: boom\nTypeError: boom\n\s+at /);
    } finally {
      if (saved === undefined) delete process.env.VZKIT_DEBUG;
      else process.env.VZKIT_DEBUG = saved;
    }
  });
});

describe('global flags', () => {
  it('--version prints the version without building a runtime', async () => {
    const never = async () => {
      throw new Error('no runtime needed');
    };
    let out = '';
    const io: CliIo = { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, stdin: Readable.from([]), isTTY: false };
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await runVzctl(['--version'], io, never)).toBe(0);
    expect(out).toBe(`vzctl version ${pkg.version}\n`);
  });

  it('--root DIR moves every path under DIR', async () => {
    const other = `${env.root}/other`;
    expect((await env.vzctl('--root', other, 'create', '103', '--ostemplate', 'busybox')).code).toBe(0);
    await expect(readFile(`${other}/etc/vzkit/conf/103.conf`, 'utf8')).resolves.toMatch(/OSTEMPLATE="busybox"/);
    expect((await env.vzctl('status', '103')).stdout).toBe('CTID 103 deleted unmounted down\n');
  });

  it('uses no host for help: the factory is asked for declarations only', async () => {
    const asked: boolean[] = [];
    const factory = async (req: Parameters<typeof env.factory>[0]) => {
      asked.push(req.hostNeeded);
      return env.factory(req);
    };
    const io: CliIo = { stdout: { write: () => true }, stderr: { write: () => true }, stdin: Readable.from([]), isTTY: false };
    expect(await runVzctl(['set', '--help'], io, factory)).toBe(0);
    expect(await runVzctl(['--help'], io, factory)).toBe(0);
    expect(asked).toEqual([false, false]);
  });

  it('runs on a runtime built by the caller, as an embedder would', async () => {
    const rt = createRuntime({ host: env.fake, plugins: [], paths: resolvePaths(env.root) });
    let out = '';
    const io: CliIo = { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, stdin: Readable.from([]), isTTY: false };
    expect(await runVzctl(['status', '77'], io, async () => rt)).toBe(0);
    expect(out).toBe('CTID 77 deleted unmounted down\n');
  });
});
