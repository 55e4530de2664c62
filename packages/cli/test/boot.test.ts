import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeEnv, type Env } from './harness.js';

let env: Env;
beforeEach(async () => {
  env = await makeEnv();
});
afterEach(async () => {
  await env.vzctl('stop', '101', '--fast');
  await env.vzctl('stop', '102', '--fast');
  await env.vzctl('stop', '103', '--fast');
  await env.cleanup();
});

describe('vz start|stop|status (the boot service)', () => {
  it('starts ONBOOT VEs highest BOOTORDER first, skips DISABLED ones, and stops all in reverse order', async () => {
    for (const id of ['101', '102', '103', '104']) expect((await env.vzctl('create', id, '--ostemplate', 'busybox')).code).toBe(0);
    await env.vzctl('set', '101', '--onboot', 'yes', '--bootorder', '1', '--save');
    await env.vzctl('set', '102', '--onboot', 'yes', '--bootorder', '5', '--save');
    await env.vzctl('set', '103', '--onboot', 'yes', '--save');
    await env.vzctl('set', '104', '--onboot', 'yes', '--disabled', 'yes', '--save');
    expect(await env.tool('vz', 'status')).toMatchObject({ code: 3, stdout: '0 of 4 containers running\nONBOOT but not running: 101 102 103\n' });
    expect(await env.tool('vz', 'start')).toEqual({ code: 0, stdout: 'CT 102: started\nCT 101: started\nCT 103: started\n', stderr: '' });
    expect((await env.vzctl('status', '104')).stdout).toContain('down');
    expect((await env.tool('vz', 'start')).stdout).toBe('no container to start\n');
    expect(await env.tool('vz', 'status')).toMatchObject({ code: 0, stdout: '3 of 4 containers running\n' });
    expect(await env.tool('vz', 'stop', '--fast')).toEqual({ code: 0, stdout: 'CT 103: stopped\nCT 101: stopped\nCT 102: stopped\n', stderr: '' });
    expect((await env.tool('vz', 'stop', '--now')).code).toBe(20);
  });
});
