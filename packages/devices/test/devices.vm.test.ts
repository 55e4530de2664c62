/**
 * The device allowlist on a real cgroup v2 kernel (the Debian guest of scripts/vm;
 * skipped anywhere else): a BPF device program on the VE's group lets the VE open its
 * own nodes, refuses a node it made of anything else, and changes live with --devices.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { linuxVe, unifiedHost, type LinuxVe } from '@vzkit/linux/testing';
import { devicesPlugin } from '../src/index.js';

let t: LinuxVe;
beforeEach(async () => {
  if (unifiedHost()) t = await linuxVe([devicesPlugin]);
});
afterEach(async () => {
  await t?.cleanup();
});

describe.skipIf(!unifiedHost())('devices on cgroup v2', () => {
  it('holds the allowlist with a BPF program and grants live', async () => {
    const ctid = await t.create('exec sleep 600');
    await t.runtime.start(ctid);
    expect(t.warnings.join('\n')).not.toMatch(/can open any device/);
    expect((await t.sh(ctid, 'head -c 4 /dev/zero | wc -c')).stdout?.trim()).toBe('4');
    // /dev/kmsg (c 1:11) is not on the list: the node can be made, not opened.
    const node = `/tmp/vzkit-kmsg-${ctid}`;
    // Opening is where the kernel asks the program.
    const open = `(exec 3< ${node}) 2>&1 && echo opened`;
    const denied = await t.sh(ctid, `rm -f ${node}; mknod ${node} c 1 11 && ${open}`);
    expect(denied.stdout).toMatch(/Operation not permitted/);
    expect(denied.stdout).not.toMatch(/opened/);
    await t.runtime.set(ctid, [{ flag: 'devices', arg: 'c:1:11:r' }]);
    const granted = await t.sh(ctid, `${open}; rm -f ${node}`);
    expect(granted.stdout).toBe('opened\n');
  });
});
