/**
 * `vzctl set CTID --userpasswd USER` on the real kernel: the password, given on vzctl's
 * stdin, reaches the guest's chpasswd on a pipe and sets the user's password in
 * /etc/shadow, while no process of the host or of the VE (vzctl, the launcher, the
 * guest's shell and chpasswd) ever shows it in /proc/PID/cmdline or /proc/PID/environ.
 * Debian VEs (busybox has no chpasswd), one of each kind.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealCli } from './real-cli.js';

const cli = new RealCli('userpasswd');
const vzctl = cli.vzctl.bind(cli);
const TEMPLATE = 'debian-12-x86_64';
/** Host range of the user-namespaced VE: no account's, unlikely another test's. */
const LOCAL = 2_000_000 + ((cli.base + 17) % 1000) * 65536;
const KINDS = [
  { kind: 'a VE of the host root', ctid: cli.base, flags: ['--local_uid', '0'] },
  { kind: 'a user-namespaced VE (--local_uid)', ctid: cli.base + 1, flags: ['--local_uid', String(LOCAL)] },
];

beforeAll(async () => {
  await cli.setup();
  // Built once per machine before the tests (test-support/templates-setup.ts), then taken from the machine cache.
  const t = await cli.tool('vztmpl', ['create', TEMPLATE, '-q'], {}, 20 * 60_000);
  expect(t.code, t.stderr).toBe(0);
}, 21 * 60_000);
afterAll(async () => {
  for (const k of KINDS) await cli.cleanupVe(k.ctid);
  await cli.teardown();
}, 120_000);

/**
 * Every process's command line and environment right now, NUL bytes as spaces. Read
 * synchronously: a scan must be quick to catch short-lived processes (chpasswd).
 */
function processTexts(): string[] {
  const texts: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    for (const f of ['cmdline', 'environ']) {
      try {
        texts.push(readFileSync(`/proc/${pid}/${f}`, 'latin1').replaceAll('\0', ' '));
      } catch {
        // gone meanwhile
      }
    }
  }
  return texts;
}

/** root's hash in the VE's /etc/shadow. */
async function rootHash(ctid: number): Promise<string> {
  const r = await vzctl(['exec', String(ctid), 'grep ^root: /etc/shadow']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.split(':')[1]!;
}

describe.runIf(process.arch === 'x64').each(KINDS)('--userpasswd in $kind', ({ ctid, flags }) => {
  it('USER with the password on stdin sets it; no cmdline or environ ever holds it', async () => {
    const c = await vzctl(['create', String(ctid), '--ostemplate', TEMPLATE, ...flags]);
    expect(c.code, c.stderr).toBe(0);
    const s = await vzctl(['start', String(ctid)]);
    expect(s.code, s.stderr).toBe(0);
    const before = await rootHash(ctid);
    const password = `Pw ${ctid} ${Math.random().toString(36).slice(2)}`;

    let done = false;
    const set = cli.tool('vzctl', ['set', String(ctid), '--userpasswd', 'root'], {}, 50_000, `${password}\n`)
      .finally(() => { done = true; });
    let scans = 0;
    let sawVzctl = false;
    const leaks: string[] = [];
    const seen = new Set<string>();
    while (!done) {
      for (const text of processTexts()) {
        if (text.includes(password)) leaks.push(text);
        if (text.includes('--userpasswd root')) sawVzctl = true;
        for (const name of ['vzlaunch', 'chpasswd']) if (text.includes(name)) seen.add(name);
      }
      scans++;
      // Lets the child's exit be noticed.
      await new Promise((r) => setImmediate(r));
    }
    const r = await set;
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(leaks).toEqual([]);
    // The scans ran while the password travelled: they saw vzctl's command line and the
    // launcher (and, when quick enough, the guest's short-lived chpasswd), none holding it.
    expect(sawVzctl).toBe(true);
    expect(seen).toContain('vzlaunch');
    expect(scans).toBeGreaterThan(3);

    // /etc/shadow changed, and holds a hash of exactly that password (spaces included).
    const after = await rootHash(ctid);
    expect(after).not.toBe(before);
    expect(after).toMatch(/^\$/);
    const check = await cli.tool('vzctl', ['exec', String(ctid), '-'], {}, 50_000,
      `printf '%s' '${password}' | perl -e 'my $pw = <STDIN>; print crypt($pw, $ARGV[0]) eq $ARGV[0] ? "match\\n" : "differ\\n"' '${after}'\n`);
    expect(check.stdout).toBe('match\n');
  }, 120_000);
});
