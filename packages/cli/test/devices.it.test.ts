/**
 * Devices on the real kernel: the root of a VE of the host root can make a node for any
 * device but open only its own /dev ones and those --devices grants (live). (An
 * unprivileged VE, the default, cannot make device nodes at all: escape.it.test.ts.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RealCli } from './real-cli.js';

const cli = new RealCli('dev');
const id = cli.base;
const vzctl = cli.vzctl.bind(cli);

beforeAll(() => cli.setup(), 120_000);
afterAll(() => cli.teardown(), 120_000);
afterEach(() => cli.cleanupVe(id));

describe('device allowlist', () => {
  it('a block device node made inside cannot be opened; a granted device can, at once', async () => {
    expect((await vzctl(['create', String(id), '--ostemplate', 'busybox', '--local_uid', '0'])).code).toBe(0);
    expect((await vzctl(['start', String(id)])).code).toBe(0);
    // The host's first disk as a node: made, but not readable.
    const disk = await vzctl(['exec', String(id), 'mknod /tmp/disk b 8 0 && echo made; head -c1 /tmp/disk >/dev/null']);
    expect(disk.stdout).toContain('made');
    expect(disk.stderr).toContain('Operation not permitted');
    expect((await vzctl(['exec', String(id), 'echo ok > /dev/null && echo ok'])).stdout).toBe('ok\n');
    const open = 'mknod /tmp/tun c 10 200 2>/dev/null; (exec 3</tmp/tun) 2>/dev/null && echo opened || echo refused';
    expect((await vzctl(['exec', String(id), open])).stdout).toBe('refused\n');
    expect((await vzctl(['set', String(id), '--devices', 'c:10:200:rw'])).code).toBe(0);
    expect((await vzctl(['exec', String(id), open])).stdout).toBe('opened\n');
  });
});
