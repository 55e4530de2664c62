/**
 * The motd plugin on FakeHost: what /etc/motd holds after a start and a live set, what
 * is refused (and that nothing changes then), what is left alone (no key, a key taken
 * away, a file the VE made unsafe), and the vzlist column.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure, fakeVe, type FakeVe } from '@vzkit/fake-host';
import { MAX_MOTD_LENGTH, MOTD, motdFileText, motdPlugin, motdProblem } from '../src/index.js';

let t: FakeVe;
beforeEach(async () => {
  t = await fakeVe([motdPlugin]);
});
afterEach(async () => {
  await t.cleanup();
});

const rootOf = (ctid: number) => `${t.runtime.paths.root}/${ctid}`;
const motdOf = (ctid: number) => `${rootOf(ctid)}/etc/motd`;
const confOf = (ctid: number) => `${t.runtime.paths.confDir}/${ctid}.conf`;

/** A VE made with `values`, its root holding an /etc as a template would give it. */
async function ve(ctid: number, values: Record<string, string> = {}): Promise<void> {
  await t.create(ctid, values);
  t.fake.fs.seedDir(`${rootOf(ctid)}/etc`);
}

describe('the text of MOTD', () => {
  it('turns \\n into line breaks and \\\\ into a backslash, and ends the file with a newline', () => {
    expect(motdFileText('Welcome\\nto web1')).toBe('Welcome\nto web1\n');
    expect(motdFileText('C:\\\\temp\\\\new')).toBe('C:\\temp\\new\n');
    expect(motdFileText('two lines\\n')).toBe('two lines\n');
    expect(motdFileText('Grüße, 世界')).toBe('Grüße, 世界\n');
  });

  it('refuses control characters, a lone backslash and too many characters, saying where', () => {
    expect(motdProblem('plain text, ünïcode, \\n and \\\\')).toBeUndefined();
    expect(motdProblem('x'.repeat(MAX_MOTD_LENGTH))).toBeUndefined();
    expect(motdProblem('x'.repeat(MAX_MOTD_LENGTH + 1))).toBe(`it is longer than ${MAX_MOTD_LENGTH} characters`);
    expect(motdProblem('red: \u001b[31m')).toMatch(/^it holds the control character U\+001B at position 6, /);
    expect(motdProblem('a\nb')).toMatch(/U\+000A at position 2/);
    expect(motdProblem('tab\there')).toMatch(/U\+0009/);
    expect(motdProblem('\u009bC1')).toMatch(/U\+009B at position 1/);
    expect(motdProblem('a \\t b')).toMatch(/^the backslash at position 3 starts no escape/);
    expect(motdProblem('ends with \\')).toMatch(/position 11/);
  });
});

describe('start', () => {
  it('writes MOTD into the guest\'s /etc/motd before init runs', async () => {
    await ve(101, { MOTD: 'Welcome to web1\\nBe nice.' });
    await t.runtime.start(101);
    expect(t.fake.fs.read(motdOf(101))).toBe('Welcome to web1\nBe nice.\n');
    expect((await t.fake.fs.stat(motdOf(101)))?.mode).toBe(0o644);
  });

  it('makes a new /etc/motd the VE root\'s (the owner of its /etc), and a replaced one keeps owner and mode', async () => {
    await ve(101, { MOTD: 'new' });
    await t.fake.fs.chown(`${rootOf(101)}/etc`, 100000, 100000);
    await t.runtime.start(101);
    expect(await t.fake.fs.stat(motdOf(101))).toMatchObject({ uid: 100000, gid: 100000, mode: 0o644 });
    await ve(102, { MOTD: 'replaced' });
    t.fake.fs.seed(motdOf(102), 'the template\'s\n', { mode: 0o600 });
    await t.fake.fs.chown(motdOf(102), 100007, 100008);
    await t.runtime.start(102);
    expect(t.fake.fs.read(motdOf(102))).toBe('replaced\n');
    expect(await t.fake.fs.stat(motdOf(102))).toMatchObject({ uid: 100007, gid: 100008, mode: 0o600 });
  });

  it('writes nothing for a VE without MOTD, and leaves the guest\'s own /etc/motd alone', async () => {
    await ve(101);
    await ve(102);
    t.fake.fs.seed(motdOf(102), 'the guest\'s own\n');
    await t.runtime.start(101);
    await t.runtime.start(102);
    expect(await t.fake.fs.exists(motdOf(101))).toBe(false);
    expect(t.fake.fs.read(motdOf(102))).toBe('the guest\'s own\n');
  });

  it('takes MOTD="" for no MOTD, as the core takes every empty value: nothing is written', async () => {
    await ve(101, { MOTD: '' });
    t.fake.fs.seed(motdOf(101), 'the guest\'s own\n');
    await t.runtime.start(101);
    expect(t.fake.fs.read(motdOf(101))).toBe('the guest\'s own\n');
  });

  it('never writes through a symlink the VE put at /etc/motd or on its path, and says so in one warning', async () => {
    t.fake.fs.seed('/etc/motd', 'the host\'s\n');
    t.fake.fs.seed('/etc/shadow', 'root:*:1::::::\n');
    await ve(101, { MOTD: 'through the link' });
    t.fake.fs.seedLink(motdOf(101), '/etc/shadow');
    await t.create(102, { MOTD: 'through /etc' });
    t.fake.fs.seedLink(`${rootOf(102)}/etc`, '/etc');
    await t.runtime.start(101);
    await t.runtime.start(102);
    expect(t.fake.fs.read('/etc/shadow')).toBe('root:*:1::::::\n');
    expect(t.fake.fs.read('/etc/motd')).toBe('the host\'s\n');
    expect((await t.fake.fs.stat(motdOf(101)))?.type).toBe('symlink');
    expect(t.warnings).toEqual([
      'CT 101 [example-motd]: /etc/motd is a symbolic link, which vzkit does not follow; MOTD was not written into it',
      'CT 102 [example-motd]: /etc/motd has a symbolic link on its path, which vzkit does not follow; MOTD was not written into it',
    ]);
    expect((await t.runtime.status(101)).running).toBe(true);
  });

  it('leaves a FIFO at /etc/motd alone instead of blocking on it', async () => {
    await ve(101, { MOTD: 'hello' });
    t.fake.fs.seedFifo(motdOf(101));
    await t.runtime.start(101);
    expect((await t.fake.fs.stat(motdOf(101)))?.type).toBe('fifo');
    expect(t.warnings).toEqual(['CT 101 [example-motd]: /etc/motd is a FIFO, not a regular file; MOTD was not written into it']);
  });

  it('warns when the VE has no /etc to write into', async () => {
    await t.create(101, { MOTD: 'hello' });
    t.fake.fs.seedDir(rootOf(101));
    await t.runtime.start(101);
    expect(t.warnings).toEqual(['CT 101 [example-motd]: the VE has no /etc: MOTD was not written']);
  });

  it('fails the start in one line when the write itself fails (a full disk), and leaves nothing running', async () => {
    await ve(101, { MOTD: 'hello' });
    t.fake.failNext('guest.write', 'ENOSPC');
    const e = await failure(t.runtime.start(101));
    expect(e.message).toMatch(/^CT 101: write \/etc\/motd: /);
    expect(e.errno).toBe('ENOSPC');
    expect((await t.runtime.status(101)).running).toBe(false);
    expect(await t.fake.fs.exists(motdOf(101))).toBe(false);
  });

  it('refuses a bad MOTD in a hand-edited config with BAD_MOTD and starts nothing', async () => {
    await ve(101, { MOTD: 'ok' });
    const conf = await readFile(confOf(101), 'utf8');
    await writeFile(confOf(101), conf.replace('MOTD="ok"', 'MOTD="bell \u0007"'));
    const e = await failure(t.runtime.start(101));
    expect(e).toMatchObject({ code: 'BAD_MOTD', exit: 200 });
    expect(e.message).toMatch(/^CT 101: invalid MOTD \(--motd\): it holds the control character U\+0007 at position 6, /);
    expect(e.message).not.toContain('\n');
    expect((await t.runtime.status(101)).running).toBe(false);
    expect(await t.fake.fs.exists(motdOf(101))).toBe(false);
  });
});

describe('create', () => {
  it('refuses a bad --motd with BAD_MOTD and writes no config', async () => {
    const e = await failure(t.create(101, { MOTD: 'x'.repeat(MAX_MOTD_LENGTH + 1) }));
    expect(e).toMatchObject({ code: 'BAD_MOTD', exit: 200, message: `CT 101: invalid MOTD (--motd): it is longer than ${MAX_MOTD_LENGTH} characters` });
    expect(await t.runtime.ctids()).toEqual([]);
  });
});

describe('set --motd', () => {
  it('rewrites /etc/motd of the running VE at once, and with --save keeps it in the config', async () => {
    await ve(101, { MOTD: 'before' });
    await t.runtime.start(101);
    const r = await t.runtime.set(101, [{ flag: 'motd', arg: 'after\\nsecond line' }]);
    expect(r).toMatchObject({ applied: ['MOTD'], deferred: [], saved: false });
    expect(t.fake.fs.read(motdOf(101))).toBe('after\nsecond line\n');
    expect(await readFile(confOf(101), 'utf8')).toContain('MOTD="before"');
    await t.runtime.set(101, [{ flag: 'motd', arg: 'saved' }], { save: true });
    expect(t.fake.fs.read(motdOf(101))).toBe('saved\n');
    expect(await readFile(confOf(101), 'utf8')).toContain('MOTD="saved"');
  });

  it('keeps a backslash escape in the config as written, so the next start writes the same file', async () => {
    await ve(101);
    await t.runtime.set(101, [{ flag: 'motd', arg: 'a\\nb \\\\ c' }], { save: true });
    expect(await readFile(confOf(101), 'utf8')).toContain('MOTD="a\\\\nb \\\\\\\\ c"');
    await t.runtime.start(101);
    expect(t.fake.fs.read(motdOf(101))).toBe('a\nb \\ c\n');
    expect((await t.runtime.config(101)).get(MOTD)).toBe('a\\nb \\\\ c');
  });

  it('refuses a bad value with BAD_MOTD and changes neither the file nor the config', async () => {
    await ve(101, { MOTD: 'good' });
    await t.runtime.start(101);
    const conf = await readFile(confOf(101), 'utf8');
    for (const bad of ['\u001b]0;pwned\u0007', 'x'.repeat(MAX_MOTD_LENGTH + 1), 'a \\q b']) {
      const e = await failure(t.runtime.set(101, [{ flag: 'motd', arg: bad }], { save: true }));
      expect(e).toMatchObject({ code: 'BAD_MOTD', exit: 200 });
      expect(e.message).toMatch(/^CT 101: invalid MOTD \(--motd\): /);
    }
    expect(t.fake.fs.read(motdOf(101))).toBe('good\n');
    expect(await readFile(confOf(101), 'utf8')).toBe(conf);
  });

  it('on a stopped VE, saves the text for the next start and writes nothing now', async () => {
    await ve(101);
    const r = await t.runtime.set(101, [{ flag: 'motd', arg: 'later' }], { save: true });
    expect(r.deferred).toEqual(['MOTD']);
    expect(await t.fake.fs.exists(motdOf(101))).toBe(false);
    await t.runtime.start(101);
    expect(t.fake.fs.read(motdOf(101))).toBe('later\n');
  });

  it('taking MOTD away (or --motd \'\') leaves /etc/motd as last written, now and at the next start', async () => {
    await ve(101, { MOTD: 'last words' });
    await ve(102, { MOTD: 'last words' });
    await t.runtime.start(101);
    await t.runtime.start(102);
    await t.runtime.set(101, [{ key: 'MOTD', value: undefined }], { save: true });
    expect(await readFile(confOf(101), 'utf8')).not.toContain('MOTD=');
    expect((await t.runtime.set(102, [{ flag: 'motd', arg: '' }], { save: true })).applied).toEqual(['MOTD']);
    for (const ctid of [101, 102]) {
      expect(t.fake.fs.read(motdOf(ctid))).toBe('last words\n');
      await t.runtime.stop(ctid);
      await t.runtime.start(ctid);
      expect(t.fake.fs.read(motdOf(ctid))).toBe('last words\n');
    }
  });

  it('a symlink made while the VE runs is not followed by a live change either', async () => {
    t.fake.fs.seed('/etc/shadow', 'root:*:1::::::\n');
    await ve(101, { MOTD: 'first' });
    await t.runtime.start(101);
    await t.fake.fs.remove(motdOf(101));
    t.fake.fs.seedLink(motdOf(101), '/etc/shadow');
    const r = await t.runtime.set(101, [{ flag: 'motd', arg: 'second' }], { save: true });
    expect(r.applied).toEqual(['MOTD']);
    expect(t.fake.fs.read('/etc/shadow')).toBe('root:*:1::::::\n');
    expect(t.warnings).toEqual(['CT 101 [example-motd]: /etc/motd is a symbolic link, which vzkit does not follow; MOTD was not written into it']);
  });
});

describe('vzlist', () => {
  it('has a motd column showing MOTD as the config holds it', async () => {
    await ve(101, { MOTD: 'Welcome\\nhome' });
    await ve(102);
    const field = t.runtime.listFields.find((f) => f.name === 'motd')!;
    expect(field).toMatchObject({ header: 'MOTD', width: -32 });
    expect((await t.runtime.list()).map((r) => field.get(r))).toEqual(['Welcome\\nhome', undefined]);
  });
});
