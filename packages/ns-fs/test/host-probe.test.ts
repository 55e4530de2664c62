import { describe, expect, it } from 'vitest';
import { FakeHost } from '@vzkit/fake-host';
import { PROBE_REUSE_MS, probeHost } from '../src/host-probe.js';

describe("the probe of the host's /proc and /sys", () => {
  it('is shared by the starts of a few seconds, and made again after: an entry a module added later is seen', async () => {
    const host = new FakeHost();
    const t0 = 1_000_000;
    const first = await probeHost(host, t0);
    expect(first.sys.has('firmware')).toBe(false);
    // A directory that appeared meanwhile (a module loaded later) is seen by the next probe.
    host.fs.seed('/sys/firmware/efi/x', '');
    expect(await probeHost(host, t0 + PROBE_REUSE_MS - 1)).toBe(first);
    const later = await probeHost(host, t0 + PROBE_REUSE_MS);
    expect(later.sys.has('firmware')).toBe(true);
  });

  it('is per host', async () => {
    const a = new FakeHost();
    const b = new FakeHost();
    b.fs.seed('/sys/firmware/efi/x', '');
    expect((await probeHost(a, 5)).sys.has('firmware')).toBe(false);
    expect((await probeHost(b, 5)).sys.has('firmware')).toBe(true);
  });
});
