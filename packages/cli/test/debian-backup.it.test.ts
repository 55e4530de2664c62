/**
 * Issue 20's acceptance for backups: a backup of a running Debian VE serving nginx
 * restores as a new CTID that serves the same page. The page is changed first, so the
 * copy's answer can only have come from the archive. The tools run in a network
 * namespace of this file's own (as debian.it.test.ts). It also measures what the
 * numbers in docs/backup.md come from: the time and size of the backup and the restore.
 */
import { execFileSync } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianInNetns } from './fixtures.js';
import { RealCli, type Run } from './real-cli.js';

const cli = new RealCli('debbackup');
const vzctl = cli.vzctl.bind(cli);
const [D, R, R2] = [cli.base, cli.base + 1, cli.base + 2];
const deb = debianInNetns(cli, 'b');
const { octet, inHost } = deb;
const [ip1, ip2] = [`198.18.${octet}.21`, `198.18.${octet}.22`];

beforeAll(() => deb.setup(), 21 * 60_000);
afterAll(() => deb.teardown([D, R, R2]), 120_000);

function ok(r: Run, what: string): Run {
  expect(r.code, `${what}: ${r.stderr}`).toBe(0);
  return r;
}

/** The page the VE at `ip` serves, once nginx answers (its rc scripts start it after init). */
async function page(ip: string): Promise<string> {
  let last = '';
  for (let i = 0; i < 75; i++) {
    const r = await inHost(process.execPath, '-e', `fetch('http://${ip}/', { signal: AbortSignal.timeout(2000) }).then(async (r) => process.stdout.write(String(r.status) + ' ' + await r.text()), () => process.stdout.write('down'))`);
    last = r.stdout;
    if (last.startsWith('200 ')) return last.slice(4);
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`http://${ip}/ does not answer: ${last}`);
}

const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t0 = Date.now();
  const v = await fn();
  return [v, Date.now() - t0];
};

describe.runIf(process.arch === 'x64')('a backup of a running Debian VE serving nginx', () => {
  it('restores as a new CTID that serves the same page', async () => {
    ok(await vzctl(['create', String(D), '--ostemplate', 'debian-12-x86_64', '--ipadd', ip1, '--hostname', 'web1', '--name', `web-${D}`]), 'create');
    ok(await vzctl(['start', String(D)]), 'start');
    expect(await page(ip1)).toMatch(/Welcome to nginx/);
    const marker = `served from CT ${D}'s backup, ${new Date().toISOString()}`;
    ok(await vzctl(['exec', String(D), `echo "${marker}" > /var/www/html/index.html`]), 'change the page');
    expect(await page(ip1)).toBe(`${marker}\n`);

    // While it serves: suspend mode.
    const [dump, dumpMs] = await timed(() => cli.tool('vzdump', [String(D), '--mode', 'suspend'], {}, 300_000));
    ok(dump, 'vzdump');
    const file = dump.stdout.trimEnd().split('\n').at(-1)!;
    const frozen = /frozen for (\d+(?:\.\d)? m?s)/.exec(dump.stderr)?.[1];
    expect(await page(ip1)).toBe(`${marker}\n`);

    // Beside its original, the copy may not take its address or name.
    const clash = await cli.tool('vzrestore', [file, String(R)], {}, 300_000);
    expect(clash.code, clash.stderr).toBe(78);
    expect(clash.stderr).toMatch(new RegExp(`address ${ip1.replaceAll('.', '\\.')} is CT ${D}'s`));
    await cli.expectClean(R);
    const [restore, restoreMs] = await timed(() => cli.tool('vzrestore', [file, String(R), '--ipdel', 'all', '--ipadd', ip2, '--name', `web-${R}`], {}, 300_000));
    ok(restore, 'vzrestore');
    const [, startMs] = await timed(async () => ok(await vzctl(['start', String(R)]), 'start the copy'));
    expect(await page(ip2)).toBe(`${marker}\n`);
    // A VE of its own: another id range on the host.
    const uidOf = (conf: string) => /^LOCAL_UID="(\d+)"$/m.exec(conf)?.[1];
    const { readFile } = await import('node:fs/promises');
    const conf = (id: number) => readFile(join(cli.root, 'etc/vzkit/conf', `${id}.conf`), 'utf8');
    expect(uidOf(await conf(R))).not.toBe(uidOf(await conf(D)));

    // Stop mode, for its numbers: the VE's own shutdown and boot around the copy.
    const [stopDump, stopMs] = await timed(() => cli.tool('vzdump', [String(D), '--mode', 'stop'], {}, 300_000));
    ok(stopDump, 'vzdump --mode stop');
    expect(await page(ip1)).toBe(`${marker}\n`);

    const archive = (await stat(file)).size;
    const upper = Number(execFileSync('du', ['-sb', join(cli.root, 'var/lib/vzkit/private', String(D), 'fs')]).toString().split('\t')[0]);
    const files = /(\d+) files, /.exec(restore.stderr.split('\n').find((l) => l.includes('is whole')) ?? '')?.[1];
    console.log(`backup of a running Debian VE: private area ${(upper / 2 ** 20).toFixed(1)} MiB in ${files} files, archive ${(archive / 2 ** 20).toFixed(2)} MiB; `
      + `vzdump --mode suspend ${dumpMs} ms (frozen ${frozen}), vzrestore ${restoreMs} ms, start of the copy ${startMs} ms, vzdump --mode stop ${stopMs} ms`);
  }, 600_000);

  it('measures a VE holding a Debian system\'s worth of files of its own (a copy of its /usr)', async () => {
    ok(await vzctl(['exec', String(D), 'cp -a /usr /opt/usr-copy']), 'fill the VE');
    const upper = Number(execFileSync('du', ['-sb', join(cli.root, 'var/lib/vzkit/private', String(D), 'fs')]).toString().split('\t')[0]);
    const [dump, dumpMs] = await timed(() => cli.tool('vzdump', [String(D), '--mode', 'suspend'], {}, 600_000));
    ok(dump, 'vzdump');
    const file = dump.stdout.trimEnd().split('\n').at(-1)!;
    const frozen = /frozen for (\d+(?:\.\d)? m?s)/.exec(dump.stderr)?.[1];
    const files = /: (\d+) files, /.exec(dump.stderr.split('\n').filter(Boolean).at(-1) ?? '')?.[1];
    const [restore, restoreMs] = await timed(() => cli.tool('vzrestore', [file, String(R2), '--ipdel', 'all', '--name', `web-${R2}`], {}, 600_000));
    ok(restore, 'vzrestore');
    ok(await vzctl(['start', String(R2)]), 'start');
    expect((await vzctl(['exec', String(R2), 'cmp /usr/bin/dpkg /opt/usr-copy/bin/dpkg && echo same'])).stdout).toBe('same\n');
    const archive = (await stat(file)).size;
    console.log(`backup of a Debian VE with a copy of its /usr: private area ${(upper / 2 ** 20).toFixed(1)} MiB in ${files} files, archive ${(archive / 2 ** 20).toFixed(1)} MiB; `
      + `vzdump --mode suspend ${dumpMs} ms (frozen ${frozen}), vzrestore ${restoreMs} ms`);
  }, 900_000);
});
