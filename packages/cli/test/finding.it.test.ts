/**
 * Finding things (issue 20, item 5) on the real kernel, as an OpenVZ administrator does
 * it: vzpid names the VE of a host process (`Pid VEID Name`, 0 for the host), vzps and
 * vztop -E show one VE's processes with procps' own options, vzctl console follows what
 * the VE's init prints across a restart and detaches on `Esc .`, vzlist shows uptime,
 * nameserver and searchdomain. One VE of the host's root and one unprivileged; the tools
 * run in a network namespace of this file's own.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealCli } from './real-cli.js';

const cli = new RealCli('finding');
const vzctl = cli.vzctl.bind(cli);
const [A, B, C] = [cli.base, cli.base + 1, cli.base + 2];
const NS = `vzkit-f${process.pid}`;
const LOCAL = 2_000_000 + (cli.base % 1000) * 65536;
const dist = fileURLToPath(new URL('../dist', import.meta.url));

const env = () => ({ ...process.env, VZKIT_ROOT: cli.root, VZKIT_CGROUP_PARENT: cli.parent, VZKIT_DEBUG: '' });
/** A tool with text on its stdin. */
const withInput = (tool: string, argv: string[], input: string) =>
  spawnSync(process.execPath, [join(dist, `${tool}.js`), ...argv], { input, env: env(), encoding: 'utf8', timeout: 30_000 });
/** A tool on a terminal of its own (script(1)), as an administrator at a console runs it. */
const onTerminal = (tool: string, argv: string[], timeout = 30_000) =>
  spawnSync('script', ['-qec', [process.execPath, join(dist, `${tool}.js`), ...argv].join(' '), '/dev/null'], { env: env(), encoding: 'utf8', timeout });

const pidsOf = (ctid: number) => cli.host.cgroups.pids(`${cli.parent}/${ctid}`);

beforeAll(async () => {
  await cli.setup();
  execFileSync('ip', ['netns', 'add', NS]);
  cli.netns = NS;
  expect((await vzctl(['create', String(A), '--ostemplate', 'busybox', '--local_uid', '0'])).code).toBe(0);
  expect((await vzctl(['create', String(B), '--ostemplate', 'busybox', '--local_uid', String(LOCAL)])).code).toBe(0);
  expect((await vzctl(['create', String(C), '--ostemplate', 'busybox', '--local_uid', '0'])).code).toBe(0);
  for (const id of [A, B]) expect((await vzctl(['start', String(id)])).code).toBe(0);
}, 120_000);
afterAll(async () => {
  await cli.teardown();
  execFileSync('ip', ['netns', 'del', NS]);
}, 120_000);

describe('vzpid', () => {
  it('names the VE of each process, 0 for the host, and says nothing of what is no process', async () => {
    const [a, b] = [await cli.initPid(A), await cli.initPid(B)];
    const r = await cli.tool('vzpid', [String(a), String(b), String(process.pid), '4194303']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual(['Pid\tVEID\tName', `${a}\t${A}\tinit`, `${b}\t${B}\tinit`]);
    expect(lines[3]).toMatch(new RegExp(`^${process.pid}\t0\t\\S`));
    expect(lines).toHaveLength(4);
  });

  it('-p gives the pid inside the VE; - reads pids from stdin', async () => {
    const inA = (await pidsOf(A)).filter((p) => p !== 0);
    const r = withInput('vzpid', ['-p', '-'], `${inA.join(' ')}\n${process.pid}\n`);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('Pid\tVEID\tName\tVPid');
    const a = await cli.initPid(A);
    const init = lines.find((l) => l.startsWith(`${a}\t`))!;
    expect(init.split('\t')).toEqual([String(a), String(A), 'init', '1']);
    expect(lines.filter((l) => l.split('\t')[1] === String(A))).toHaveLength(inA.length);
    expect(lines[lines.length - 1]).toMatch(new RegExp(`^${process.pid}\t0\t.*\t${process.pid}$`));
  });
});

describe('vzps and vztop', () => {
  it('vzps -E shows that VE\'s processes only, with ps\'s own options', async () => {
    const inA = await pidsOf(A);
    const r = await cli.tool('vzps', ['-E', String(A), '-o', 'pid,comm']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ +PID COMMAND$/);
    expect(lines.slice(1).map((l) => Number(l.trim().split(/\s+/)[0])).sort((x, y) => x - y)).toEqual(inA.sort((x, y) => x - y));
    // BSD options that select everything (ax) still show A's processes alone.
    const aux = await cli.tool('vzps', ['-E', String(A), 'aux']);
    expect(aux.stdout.split('\n')[0]).toMatch(/^USER +PID %CPU/);
    expect(aux.stdout.trimEnd().split('\n')).toHaveLength(inA.length + 1);
    const b = await cli.initPid(B);
    expect(aux.stdout).not.toMatch(new RegExp(`^\\S+ +${b} `, 'm'));
  });

  it('vzps -E 0 shows the host\'s own; a stopped VE is exit 1', async () => {
    const r = await cli.tool('vzps', ['-E', '0', '-o', 'pid=']);
    const pids = r.stdout.trim().split(/\s+/).map(Number);
    expect(pids).toContain(process.pid);
    expect(pids).not.toContain(await cli.initPid(A));
    const stopped = await cli.tool('vzps', ['-E', String(C)]);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(new RegExp(`^vzps: CT ${C} is not running$`, 'm'));
  });

  it('vztop -E -b keeps each frame to the VE\'s processes, however many', async () => {
    expect((await vzctl(['exec', String(A), 'i=0; while [ $i -lt 25 ]; do sleep 60 >/dev/null 2>&1 & i=$((i+1)); done'])).code).toBe(0);
    try {
      const r = await cli.tool('vztop', ['-E', String(A), '-b', '-n', '1']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^top - /);
      const rows = r.stdout.split('\n').filter((l) => /^\s*\d+ /.test(l));
      expect(rows.filter((l) => / sleep\s*$/.test(l)).length).toBeGreaterThanOrEqual(25);
      const pids = new Set(await pidsOf(A));
      expect(rows.every((l) => pids.has(Number(l.trim().split(/\s+/)[0])))).toBe(true);
      // On a terminal top follows at most 20 pids: vztop says so instead of showing a part.
      const tty = onTerminal('vztop', ['-E', String(A), '-n', '1']);
      expect(tty.status).toBe(1);
      expect(tty.stdout).toMatch(/top follows at most 20/);
    } finally {
      await vzctl(['exec', String(A), 'killall sleep']);
    }
  });

  it('vztop -E on a terminal is top itself, for the VE\'s processes', () => {
    const r = onTerminal('vztop', ['-E', String(B), '-n', '1']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/PID USER/);
    expect(r.stdout).toMatch(/\binit\b/);
  });
});

describe('vzctl console', () => {
  it('follows the console across a restart and detaches on Esc . after Enter', async () => {
    const child = spawn(process.execPath, [join(dist, 'vzctl.js'), 'console', String(A)], { env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until(() => err.includes('Attached'));
      // What init writes is the console: the guest's inittab has a program of init's write a
      // line to init's stdout at every boot. (An exec cannot: in a VE of the host root each
      // exec has a Landlock domain of its own, which may not open init's /proc/1/fd.)
      expect((await vzctl(['exec', String(A), `echo "::once:/bin/sh -c 'echo boot-marker > /proc/1/fd/1'" >> /etc/inittab`])).code).toBe(0);
      const marks = () => out.split('boot-marker').length - 1;
      expect((await vzctl(['restart', String(A), '--fast'])).code).toBe(0);
      await until(() => marks() === 1);
      expect((await vzctl(['restart', String(A), '--fast'])).code).toBe(0);
      await until(() => marks() === 2);
      child.stdin.write('\r\x1b.');
      expect(await exited).toBe(0);
      expect(err).toMatch(/Detached from CT \d+ console/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses a tty the VE does not have (5) and an unknown VE (14)', async () => {
    expect((await vzctl(['console', String(A), '2'])).code).toBe(5);
    expect((await vzctl(['console', String(cli.base + 30)])).code).toBe(14);
  });
});

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('vzlist: uptime, nameserver, searchdomain', () => {
  it('uptime as DDDdHHh:MMm:SSs for running VEs, - for the others; seconds in JSON', async () => {
    const r = await cli.tool('vzlist', ['-a', '-o', 'ctid,uptime', String(B), String(C)]);
    expect(r.stdout).toMatch(new RegExp(`^ {6}CTID {10}UPTIME\\n +${B} 000d00h:\\d\\dm:\\d\\ds\\n +${C} +-\\n$`));
    const [json] = JSON.parse((await cli.tool('vzlist', ['-j', '-o', 'ctid,uptime', String(B)])).stdout) as Array<{ uptime: number }>;
    // Against the kernel's own count: init's start time in /proc and the host's uptime.
    const pid = await cli.initPid(B);
    const ticks = Number((await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')[19]);
    const up = Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]);
    expect(Math.abs(json!.uptime - (up - ticks / 100))).toBeLessThan(2);
  });

  it('nameserver and searchdomain, as configured', async () => {
    expect((await vzctl(['set', String(C), '--nameserver', '198.18.0.53', '--searchdomain', 'example.org', '--save'])).code).toBe(0);
    const r = await cli.tool('vzlist', ['-a', '-H', '-o', 'ctid,nameserver,searchdomain', String(C)]);
    expect(r.stdout).toBe(`${String(C).padStart(10)} 198.18.0.53     example.org\n`);
  });
});
