/** vzkitd's settings: flags over vzkitd.conf, TCP only with TLS and a token file of its owner's. */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSettings } from '../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vzkitd-opts-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('parseSettings', () => {
  it('takes the defaults, then vzkitd.conf under the root, then the flags', async () => {
    expect(parseSettings([], { VZKIT_ROOT: dir })).toMatchObject({ root: dir, sampleIntervalMs: 10_000, boot: false, parallel: 8, reaper: true, tcp: undefined });
    await writeFile(join(dir, 'vzkitd.conf'), 'SAMPLE_INTERVAL="2"\nBOOT="yes"\nPARALLEL="8"\n');
    expect(parseSettings(['--config', join(dir, 'vzkitd.conf'), '--parallel', '6', '--no-reaper'], {}))
      .toMatchObject({ sampleIntervalMs: 2000, boot: true, parallel: 6, reaper: false });
  });

  it('refuses TCP without TLS and a token, a token file others may read, a short token', async () => {
    const token = join(dir, 'token');
    await writeFile(token, 'a-token-long-enough-0123\n', { mode: 0o600 });
    expect(() => parseSettings(['--listen', '127.0.0.1:8443'], {})).toThrow(/needs --tls-cert, --tls-key and --token-file/);
    const tls = ['--tls-cert', join(dir, 'c.pem'), '--tls-key', join(dir, 'k.pem'), '--token-file', token];
    expect(parseSettings(['--listen', '127.0.0.1:8443', ...tls], {}).tcp).toMatchObject({ host: '127.0.0.1', port: 8443, token: 'a-token-long-enough-0123' });
    expect(parseSettings(['--listen', '[::1]:0', ...tls], {}).tcp).toMatchObject({ host: '::1', port: 0 });
    await chmod(token, 0o644);
    expect(() => parseSettings(['--listen', '127.0.0.1:8443', ...tls], {})).toThrow(/may be read by others/);
    await writeFile(token, 'short\n', { mode: 0o600 });
    await chmod(token, 0o600);
    expect(() => parseSettings(['--listen', '127.0.0.1:8443', ...tls], {})).toThrow(/shorter than 16/);
  });

  it('refuses unknown options and bad values with exit 2', () => {
    for (const argv of [['--nosuch'], ['--parallel', '0'], ['--sample-interval', 'x'], ['extra'], ['--listen', 'nohost']]) {
      expect(() => parseSettings(argv, {}), argv.join(' ')).toThrow(expect.objectContaining({ exit: 2 }));
    }
  });
});
