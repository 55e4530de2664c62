/**
 * Behaviours an OpenVZ administrator relies on (issue 20, item 8), on the real kernel:
 * a name belongs to one VE (exit 131), nothing announces an operation that is then
 * refused, tool errors carry the tool's name once, a missing sample lists the samples
 * there are, the last destroy leaves no cgroup parent, and venet0 survives `--ipdel all`.
 * The tools run in a network namespace of this file's own.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealCli } from './real-cli.js';

const cli = new RealCli('admin');
const vzctl = cli.vzctl.bind(cli);
const [A, B] = [cli.base, cli.base + 1];
const NS = `vzkit-a${process.pid}`;
const ip = `198.18.${(cli.base % 250) + 1}.21`;

beforeAll(async () => {
  await cli.setup();
  execFileSync('ip', ['netns', 'add', NS]);
  cli.netns = NS;
  for (const id of [A, B]) expect((await vzctl(['create', String(id), '--ostemplate', 'busybox'])).code).toBe(0);
}, 120_000);
afterAll(async () => {
  await cli.teardown();
  execFileSync('ip', ['netns', 'del', NS]);
}, 120_000);

describe('what an OpenVZ administrator expects', () => {
  it('a name already used by another VE is refused with exit 131, and nothing changes', async () => {
    expect((await vzctl(['set', String(A), '--name', 'web1', '--save'])).code).toBe(0);
    const r = await vzctl(['set', String(B), '--name', 'web1', '--save']);
    expect(r).toMatchObject({ code: 131, stdout: '' });
    expect(r.stderr).toMatch(new RegExp(`^vzctl: CT ${B}: name web1 is already used by CT ${A}$`, 'm'));
    expect((await vzctl(['status', 'web1'])).stdout).toMatch(new RegExp(`^CTID ${A} exist`));
    // The VE that has it may set it again; another create may not take it.
    expect((await vzctl(['set', String(A), '--name', 'web1', '--save'])).code).toBe(0);
    expect((await vzctl(['create', String(cli.base + 2), '--ostemplate', 'busybox', '--name', 'web1'])).code).toBe(131);
    expect((await vzctl(['status', String(cli.base + 2)])).stdout).toMatch(/deleted/);
  });

  it('nothing is announced before a refusal: start of a running VE, stop of a stopped one, enter of a stopped one', async () => {
    const enter = await vzctl(['enter', String(A)]);
    expect(enter.code).toBe(31);
    expect(enter.stdout).not.toContain('entered into CT');
    expect((await vzctl(['start', String(A)])).code).toBe(0);
    const again = await vzctl(['start', String(A)]);
    expect(again).toMatchObject({ code: 32, stdout: '' });
    const stopB = await vzctl(['stop', String(B)]);
    expect(stopB).toMatchObject({ code: 31, stdout: '' });
    const stop = await vzctl(['stop', String(A), '--fast']);
    expect(stop.stdout).toMatch(/^Stopping container \.\.\.\nContainer was stopped\n/);
  });

  it('vzubc names itself once in an error', async () => {
    const r = await cli.tool('vzubc', ['-Z']);
    // man vzubc(8): 1 on any failure.
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^vzubc: unknown option -Z$/m);
  });

  it('create --config with a sample that does not exist lists the samples there are', async () => {
    const r = await vzctl(['create', String(cli.base + 3), '--ostemplate', 'busybox', '--config', 'nosuch']);
    expect(r.code).toBe(82);
    expect(r.stderr).toMatch(/hint: the samples here: \S+(, \S+)*$/m);
    expect(r.stderr).toMatch(/\bbasic\b/);
  });

  it('venet0 stays after --ipdel all, live and after a restart', async () => {
    expect((await vzctl(['set', String(A), '--ipadd', ip, '--save'])).code).toBe(0);
    expect((await vzctl(['start', String(A)])).code).toBe(0);
    expect((await vzctl(['set', String(A), '--ipdel', 'all', '--save'])).code).toBe(0);
    const links = async () => (await vzctl(['exec', String(A), 'ip -o link show; ip -o -4 addr show dev venet0'])).stdout;
    expect(await links()).toMatch(/: venet0@/);
    expect(await links()).not.toContain(ip);
    expect((await vzctl(['restart', String(A), '--fast'])).code).toBe(0);
    expect(await links()).toMatch(/: venet0@/);
    expect((await vzctl(['stop', String(A), '--fast'])).code).toBe(0);
  });

  it('the last destroy leaves no empty cgroup parent behind', async () => {
    expect((await vzctl(['start', String(B)])).code).toBe(0);
    expect((await vzctl(['destroy', String(A)])).code).toBe(0);
    // B runs in it: the parent stays.
    expect(await cli.host.cgroups.exists(cli.parent)).toBe(true);
    expect((await vzctl(['stop', String(B), '--fast'])).code).toBe(0);
    expect((await vzctl(['destroy', String(B)])).code).toBe(0);
    expect(await cli.host.cgroups.exists(cli.parent)).toBe(false);
  });
});
