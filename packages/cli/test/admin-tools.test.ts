/**
 * The OpenVZ administrator's companion tools on FakeHost (issue 20, items 5 and 6):
 * vzpid, vzps, vztop, vzctl console, vzlist's uptime and DNS columns, set --applyconfig,
 * --setmode and --reset_ub, vz restart, vzcfgvalidate and vzubc's relative and
 * incremental modes, driven as an administrator would and checked by what they print,
 * their exit codes and the state they leave.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runVzctl, type CliIo } from '../src/index.js';
import { makeEnv, type Env } from './harness.js';

let env: Env;

beforeEach(async () => {
  env = await makeEnv();
});

afterEach(async () => {
  await env.cleanup();
});

async function running(ctid: number, ...extra: string[]): Promise<number> {
  expect((await env.vzctl('create', String(ctid), '--ostemplate', 'busybox', ...extra)).code).toBe(0);
  expect((await env.vzctl('start', String(ctid))).code).toBe(0);
  return initPid(ctid);
}

async function initPid(ctid: number): Promise<number> {
  return JSON.parse(await readFile(join(env.root, 'run/vzkit', String(ctid), 'state.json'), 'utf8')).pid as number;
}

describe('vzpid', () => {
  it('prints Pid, VEID and Name per process, 0 for the host, nothing for what is no process', async () => {
    const pid = await running(101);
    const host = env.fake.selfPid;
    const r = await env.tool('vzpid', String(pid), String(host), '999999', 'abc');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('Pid\tVEID\tName');
    expect(lines[1]).toMatch(new RegExp(`^${pid}\\t101\\t\\S+$`));
    expect(lines[2]).toMatch(new RegExp(`^${host}\\t0\\t`));
    expect(lines).toHaveLength(3);
  });

  it('-p adds the pid inside the VE; - reads the pids from stdin', async () => {
    const pid = await running(101);
    const r = await env.toolIn(`${pid}\n`, 'vzpid', '-p', '-');
    expect(r.stdout).toBe(`Pid\tVEID\tName\tVPid\n${pid}\t101\t${r.stdout.split('\n')[1]!.split('\t')[2]}\t1\n`);
    expect(await env.tool('vzpid')).toMatchObject({ code: 1, stderr: expect.stringMatching(/^vzpid: no pid given\n {2}hint: Usage: vzpid/) });
  });
});

describe('vzps and vztop', () => {
  /** A ps that prints every process it knows, whatever it was asked: vzps must drop the others. */
  function fakePs(extra: number[]): { argv: string[] } {
    const seen = { argv: [] as string[] };
    env.fake.onRun('ps', (argv) => {
      seen.argv = argv;
      const asked = (argv[argv.indexOf('-p') + 1] ?? '').split(',').filter(Boolean).map(Number);
      const rows = [...asked, ...extra].map((p) => `${String(p).padStart(5)} ?        00:00:00 prog${p}`);
      return { stdout: `  PID TTY          TIME CMD\n${rows.join('\n')}\n` };
    });
    return seen;
  }

  it('vzps -E CTID hands ps the VE\'s pids and keeps only their rows; ps\'s options pass through', async () => {
    const pid = await running(101);
    const seen = fakePs([env.fake.selfPid]);
    const r = await env.tool('vzps', '-E', '101', '-o', 'pid,comm');
    expect(r.code).toBe(0);
    expect(seen.argv).toEqual(['ps', '-p', expect.stringMatching(new RegExp(`(^|,)${pid}(,|$)`)), '-o', 'pid,comm']);
    expect(r.stdout).toMatch(/^ {2}PID TTY/);
    expect(r.stdout).toContain(`prog${pid}`);
    expect(r.stdout).not.toContain(`prog${env.fake.selfPid}\n`);
  });

  it('vzps -E 0 selects the host\'s own processes; a stopped or unknown VE is exit 1', async () => {
    const pid = await running(101);
    const seen = fakePs([]);
    expect((await env.tool('vzps', '-E0')).code).toBe(0);
    const asked = seen.argv[2]!.split(',').map(Number);
    expect(asked).toContain(env.fake.selfPid);
    expect(asked).not.toContain(pid);
    expect((await env.vzctl('stop', '101', '--fast')).code).toBe(0);
    expect(await env.tool('vzps', '-E', '101')).toMatchObject({ code: 1, stderr: expect.stringMatching(/^vzps: CT 101 is not running$/m) });
    expect((await env.tool('vzps', '-E', '4242')).code).toBe(1);
    expect((await env.tool('vzps', '-E')).code).toBe(1);
  });

  it('vztop -E in batch mode keeps each frame\'s summary and the VE\'s rows only', async () => {
    const pid = await running(101);
    const host = env.fake.selfPid;
    let argv: string[] = [];
    env.fake.onRun('top', (a, ctx) => {
      argv = a;
      for (let i = 0; i < 2; i++) {
        ctx.write('stdout', `top - 10:00:0${i} up 1 day\nTasks: 2 total\n\n    PID USER      PR  NI COMMAND\n`);
        ctx.write('stdout', `${String(pid).padStart(7)} root      20   0 init\n${String(host).padStart(7)} root      20   0 vzctl\n\n`);
      }
      return 0;
    });
    const r = await env.tool('vztop', '-E', '101', '-n', '2');
    expect(r.code).toBe(0);
    expect(argv).toEqual(['top', '-b', '-n', '2']);
    expect(r.stdout.match(/^top - /gm)).toHaveLength(2);
    expect(r.stdout.match(/ init$/gm)).toHaveLength(2);
    expect(r.stdout).not.toContain('vzctl');
  });

  it('vztop on a terminal runs top -p with the VE\'s pids, on the terminal', async () => {
    const pid = await running(101);
    let argv: string[] = [];
    env.fake.onRun('top', (a) => {
      argv = a;
      return { stdout: 'top screen\n' };
    });
    const r = await env.toolTty('vztop', '-E', '101', '-d', '5');
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(argv).toEqual(['top', '-p', expect.stringMatching(new RegExp(`(^|,)${pid}(,|$)`)), '-d', '5']);
    expect(env.fake.terminal).toBe('top screen\n');
  });
});

describe('vzctl console', () => {
  it('shows what the console printed and what comes, detaches on Esc . after Enter', async () => {
    await running(101);
    const log = join(env.root, 'run/vzkit/101/console.log');
    await writeFile(log, 'boot line 1\nboot line 2\n');
    const stdin = new PassThrough();
    let stdout = '';
    let stderr = '';
    const io: CliIo = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, stdin, isTTY: false };
    const done = runVzctl(['console', '101'], io, env.factory);
    await until(() => stdout.includes('boot line 2'));
    await writeFile(log, 'boot line 1\nboot line 2\nlater\n');
    await until(() => stdout.includes('later'));
    stdin.write('x\r');
    stdin.write('\x1b.');
    expect(await done).toBe(0);
    expect(stdout).toBe('boot line 1\nboot line 2\nlater\n');
    expect(stderr).toMatch(/^Attached to CT 101 console \(Esc \. to detach\)\n/);
    expect(stderr).toMatch(/typed input does not reach the container's console/);
    expect(stderr).toMatch(/Detached from CT 101 console\n$/);
  });

  it('attaches to a stopped VE (persistent) and refuses other ttys and unknown VEs', async () => {
    expect((await env.vzctl('create', '101', '--ostemplate', 'busybox')).code).toBe(0);
    const stdin = new PassThrough();
    let stderr = '';
    const io: CliIo = { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, stdin, isTTY: false };
    const done = runVzctl(['console', '101'], io, env.factory);
    await until(() => stderr.includes('Attached'));
    stdin.write('\x01q');
    expect(await done).toBe(0);
    expect((await env.vzctl('console', '101', '2')).code).toBe(5);
    expect((await env.vzctl('console', '101', 'x')).code).toBe(21);
    expect((await env.vzctl('console', '4242')).code).toBe(14);
  });
});

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('vzlist: uptime and the DNS columns', () => {
  it('uptime is DDDdHHh:MMm:SSs for a running VE, - for a stopped one, seconds in JSON', async () => {
    await running(101);
    expect((await env.vzctl('create', '102', '--ostemplate', 'busybox')).code).toBe(0);
    env.fake.advanceTime(2 * 86400 + 3 * 3600 + 4 * 60 + 5);
    const r = await env.vzlist('-a', '-o', 'ctid,uptime');
    expect(r.stdout).toMatch(/^ {6}CTID {10}UPTIME\n {7}101 002d03h:04m:0[5-9]s\n {7}102 {15}-\n$/);
    const json = JSON.parse((await env.vzlist('-j', '-o', 'uptime', '101')).stdout) as Array<{ uptime: number }>;
    expect(json[0]!.uptime).toBeGreaterThanOrEqual(183845);
  });

  it('nameserver and searchdomain as vzlist -L names them', async () => {
    expect((await env.vzctl('create', '101', '--ostemplate', 'busybox')).code).toBe(0);
    expect((await env.vzctl('set', '101', '--nameserver', '198.18.0.53 198.18.0.54', '--searchdomain', 'example.com', '--save')).code).toBe(0);
    expect((await env.vzlist('-L')).stdout).toMatch(/^nameserver +NAMESERVER\nsearchdomain +SEARCHDOMAIN$/m);
    const r = await env.vzlist('-a', '-o', 'ctid,nameserver,searchdomain');
    expect(r.stdout).toBe('      CTID NAMESERVER      SEARCHDOMAIN\n       101 198.18.0.53     example.com\n');
  });
});

describe('vzctl set --applyconfig, --setmode, --reset_ub', () => {
  it('--applyconfig takes a sample\'s values but not the VE\'s identity; a missing sample is exit 109', async () => {
    expect((await env.vzctl('create', '101', '--ostemplate', 'busybox', '--hostname', 'web1')).code).toBe(0);
    await mkdir(join(env.root, 'etc/vzkit/conf'), { recursive: true });
    await writeFile(join(env.root, 'etc/vzkit/conf/ve-small.conf-sample'),
      'HOSTNAME="sample"\nOSTEMPLATE="other"\nNUMPROC="77:77"\nPHYSPAGES="0:64M"\nNOSUCHKEY="1"\n');
    const r = await env.vzctl('set', '101', '--applyconfig', 'small', '--save');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^WARNING: --applyconfig small: left alone .*: NOSUCHKEY$/m);
    const conf = await env.conf(101);
    expect(conf).toMatch(/^NUMPROC="77:77"$/m);
    expect(conf).toMatch(/^PHYSPAGES="0:64M"$/m);
    expect(conf).toMatch(/^HOSTNAME="web1"$/m);
    expect(conf).toMatch(/^OSTEMPLATE="busybox"$/m);
    expect(conf).toMatch(/^ORIGIN_SAMPLE="small"$/m);
    // The flags given win over the sample.
    expect((await env.vzctl('set', '101', '--applyconfig', 'small', '--numproc', '88', '--save')).code).toBe(0);
    expect(await env.conf(101)).toMatch(/^NUMPROC="88"$/m);
    const before = await env.conf(101);
    const missing = await env.vzctl('set', '101', '--applyconfig', 'nosuch', '--save');
    expect(missing.code).toBe(109);
    expect(missing.stderr).toMatch(/^vzctl: CT 101: sample config file not found: .*ve-nosuch\.conf-sample$/m);
    expect(await env.conf(101)).toBe(before);
  });

  it('--applyconfig_map name checks the name is still the VE\'s own (131) and takes only `name` (21)', async () => {
    expect((await env.vzctl('create', '101', '--ostemplate', 'busybox', '--name', 'web')).code).toBe(0);
    expect((await env.vzctl('set', '101', '--applyconfig_map', 'name', '--save')).code).toBe(0);
    expect((await env.vzctl('create', '102', '--ostemplate', 'busybox')).code).toBe(0);
    await writeFile(env.confPath(102), `${await env.conf(102)}NAME="web"\n`);
    expect((await env.vzctl('set', '102', '--applyconfig_map', 'name', '--save')).code).toBe(131);
    expect((await env.vzctl('set', '101', '--applyconfig_map', 'other', '--save')).code).toBe(21);
  });

  it('without --setmode a restart-only change warns as vzctl does; ignore says nothing; restart restarts', async () => {
    const pid = await running(101);
    const plain = await env.vzctl('set', '101', '--seccomp', 'off', '--save');
    expect(plain.code).toBe(0);
    expect(plain.stderr).toMatch(/^WARNING: Some of the parameters could not be applied to a running container\. Please consider using --setmode option$/m);
    const ignore = await env.vzctl('set', '101', '--seccomp', 'default', '--setmode', 'ignore', '--save');
    expect(ignore).toMatchObject({ code: 0, stderr: '' });
    expect(ignore.stdout).not.toMatch(/next start/);
    expect(await initPid(101)).toBe(pid);
    const restart = await env.vzctl('set', '101', '--seccomp', 'off', '--setmode', 'restart', '--save');
    expect(restart.code).toBe(0);
    expect(restart.stdout).toMatch(/^Restarting container\nStopping container \.\.\.\nContainer was stopped\nContainer is unmounted\nStarting container\.\.\.\nContainer start in progress\.\.\.\nSaved parameters for CT 101\n$/);
    expect(await initPid(101)).not.toBe(pid);
    // A live change alone needs no restart.
    const pid2 = await initPid(101);
    expect((await env.vzctl('set', '101', '--numproc', '90', '--setmode', 'restart', '--save')).stdout).not.toMatch(/Restarting/);
    expect(await initPid(101)).toBe(pid2);
    expect(await env.vzctl('set', '101', '--seccomp', 'off', '--setmode', 'restart')).toMatchObject({ code: 20, stderr: expect.stringMatching(/--setmode restart doesn't make sense without --save flag/) });
    expect((await env.vzctl('set', '101', '--seccomp', 'off', '--setmode', 'later', '--save')).code).toBe(21);
  });

  it('every change of a map-valued key counts as one (CAPABILITY), not only the first', async () => {
    await running(101);
    for (const v of ['sys_time:on', 'sys_time:off', 'sys_time:on']) {
      expect((await env.vzctl('set', '101', '--capability', v, '--save')).stdout).toMatch(/^CAPABILITY \(--capability\)|^CAPABILITY cannot change/m);
    }
  });

  it('--reset_ub applies the beancounters of the config file again, drops unsaved ones, and stands alone', async () => {
    await running(101, '--numproc', '100');
    // The default sample sets SHMPAGES and NUMPTY: applying them again remounts /dev/shm and
    // /dev/pts inside, with the guest's mount, which the fake guest lacks.
    env.fake.commands.register('mount', () => 0);
    const group = '@self/vzkit-cli-test/101';
    expect((await env.fake.cgroups.stats(group)).pids?.max).toBe(100);
    // An unsaved change, then the file edited by hand.
    expect((await env.vzctl('set', '101', '--numproc', '120')).code).toBe(0);
    expect((await env.fake.cgroups.stats(group)).pids?.max).toBe(120);
    await writeFile(env.confPath(101), (await env.conf(101)).replace(/^NUMPROC=.*$/m, 'NUMPROC="50"'));
    const r = await env.vzctl('set', '101', '--reset_ub');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect((await env.fake.cgroups.stats(group)).pids?.max).toBe(50);
    expect((await env.vzlist('-o', 'numproc.l', '-H', '101')).stdout.trim()).toBe('50');
    expect((await env.vzctl('set', '101', '--reset_ub', '--save')).code).toBe(20);
    expect((await env.vzctl('set', '101', '--reset_ub', '--numproc', '60')).code).toBe(20);
    expect((await env.vzctl('stop', '101', '--fast')).code).toBe(0);
    expect((await env.vzctl('set', '101', '--reset_ub')).code).toBe(31);
  });
});

describe('vz restart', () => {
  it('stops the running VEs, then starts the ONBOOT ones and those that ran unless ONBOOT=no', async () => {
    await running(101);
    await running(102);
    expect((await env.vzctl('set', '102', '--onboot', 'no', '--save')).code).toBe(0);
    expect((await env.vzctl('create', '103', '--ostemplate', 'busybox')).code).toBe(0);
    expect((await env.vzctl('set', '103', '--onboot', 'yes', '--save')).code).toBe(0);
    const pid = await initPid(101);
    const r = await env.tool('vz', 'restart', '--fast');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('CT 102: stopped\nCT 101: stopped\nCT 101: started\nCT 103: started\n');
    expect(await initPid(101)).not.toBe(pid);
    expect((await env.vzctl('status', '102')).stdout).toMatch(/down/);
  });
});

describe('vzcfgvalidate', () => {
  /** A config file on the (fake) host, where vzcfgvalidate reads it. */
  async function file(text: string): Promise<string> {
    const p = join(env.root, 'check.conf');
    await env.fake.fs.mkdir(env.root, { recursive: true });
    await env.fake.fs.writeFile(p, text);
    return p;
  }

  it('says success (0) for a shipped sample, and names the findings of a bad config (2)', async () => {
    expect((await env.tool('vzcfgvalidate', await file('PHYSPAGES="0:64M"\nSWAPPAGES="0:0"\n'))).stdout).toBe('Validation completed: success\n');
    const bad = await env.tool('vzcfgvalidate', await file('PHYSPAGES="10:64M"\nSWAPPAGES="0:0"\nNUMFILE="lots"\n'));
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/^Error: invalid value for NUMFILE \(--numfile\): 'lots'/m);
    expect(bad.stdout).toMatch(/^Error: physpages\.bar should be = 0 \(currently, 10\)$/m);
    expect(bad.stdout).not.toMatch(/success/);
  });

  it('classic configs get OpenVZ\'s rules; -r repairs what it can, in place, comments kept', async () => {
    const p = await file('# mine\nNUMPROC="100:200"\nKMEMSIZE="1000:2000"\nAVNUMPROC="50"\nNUMTCPSOCK="80"\nTCPSNDBUF="100000:110000"\n');
    const r = await env.tool('vzcfgvalidate', p);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^Error: barrier should be equal to limit for numproc \(currently, 100:200\)$/m);
    expect(r.stdout).toMatch(/^Error: kmemsize\.bar should be > 2048000 \(currently, 1000\)$/m);
    expect(r.stdout).toMatch(/^Error: tcpsndbuf\.lim-tcpsndbuf\.bar should be > 204800 \(currently, 110000-100000=10000\)$/m);
    const fixed = await env.tool('vzcfgvalidate', '-r', p);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toMatch(/^set to 200:200$/m);
    expect(await env.fake.fs.readFile(p)).toMatch(/^# mine\nNUMPROC="200"$/m);
    expect((await env.tool('vzcfgvalidate', p)).stdout).toMatch(/Validation completed: success/);
  });

  it('cannot check a missing file (1) and says so', async () => {
    expect(await env.tool('vzcfgvalidate', join(env.root, 'nosuch.conf'))).toMatchObject({ code: 1, stderr: expect.stringMatching(/^vzcfgvalidate: Container configuration file .*nosuch\.conf not found$/m) });
    expect((await env.tool('vzcfgvalidate')).code).toBe(1);
  });
});

describe('vzubc -r and -i', () => {
  it('fail counters relative to the last run (+FAIL) and held changes (+/-), kept per user', async () => {
    await running(101, '--numproc', '100');
    const store = join(env.root, 'store');
    const first = await env.tool('vzubc', '-r', '-i', '-rd', store, '101');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^ CT 101 +\| HELD {2}\+\/- {4}Bar%/m);
    expect(first.stdout).toMatch(/\| +\+FAIL$/m);
    const saved = JSON.parse(await env.fake.fs.readFile(join(store, 'ubc.json'))) as { held: Record<string, Record<string, number>> };
    expect(Object.keys(saved.held['101']!)).toContain('numproc');
    expect((await env.tool('vzubc', '-rc', '-ic', '-rd', store)).code).toBe(0);
    expect(JSON.parse(await env.fake.fs.readFile(join(store, 'ubc.json')))).toEqual({ failcnt: {}, held: {} });
    expect((await env.tool('vzubc', '-w', '-c')).code).toBe(1);
    expect((await env.tool('vzubc', '-q', '-v')).code).toBe(1);
    expect((await env.tool('vzubc', '-qh', '0.3')).code).toBe(1);
  });
});
