import { describe, expect, it } from 'vitest';
import { countLocks, statusKb, tcpInodes } from '../src/usage.js';

describe('/proc parsers', () => {
  it('reads kB fields of /proc/PID/status', () => {
    const status = 'Name:\tsh\nVmLck:\t       8 kB\nVmData:\t     320 kB\nVmStk:\t     132 kB\n';
    expect(statusKb(status, 'VmLck')).toBe(8);
    expect(statusKb(status, 'VmData')).toBe(320);
    expect(statusKb(status, 'VmSwap')).toBeUndefined();
  });

  it('collects socket inodes of /proc/net/tcp', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0',
      '   1: 0100007F:0051 00000000:0000 06 00000000:00000000 03:00000A3B 00000000     0        0 0 3 0000000000000000',
    ].join('\n');
    expect(tcpInodes(text)).toEqual(new Set(['123456']));
  });

  it('counts the locks that the given processes hold, not the ones they wait for', () => {
    const text = '1: POSIX  ADVISORY  WRITE 100 08:01:5 0 EOF\n1: -> POSIX  ADVISORY  WRITE 101 08:01:5 0 EOF\n2: FLOCK  ADVISORY  WRITE 101 08:01:6 0 EOF\n3: FLOCK  ADVISORY  READ 999 08:01:7 0 EOF\n';
    expect(countLocks(text, new Set([100, 101]))).toBe(2);
  });
});
