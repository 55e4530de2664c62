import { describe, expect, it } from 'vitest';
import { AT_CLKTCK, AT_PAGESZ, LinuxSystemInfo, auxv } from '../src/system.js';
import { clockTicks, pageSize } from '../src/syscalls.js';

/** An auxiliary vector of native 64-bit words: [type, value]... then AT_NULL. */
function vector(pairs: [number, number][]): Buffer {
  const buf = Buffer.alloc((pairs.length + 1) * 16);
  pairs.forEach(([k, v], i) => {
    buf.writeBigUInt64LE(BigInt(k), i * 16);
    buf.writeBigUInt64LE(BigInt(v), i * 16 + 8);
  });
  return buf;
}

describe.runIf(process.arch === 'x64' || process.arch === 'arm64')('the auxiliary vector', () => {
  it('gives the value of a type, and nothing for one that is missing or after AT_NULL', () => {
    const raw = vector([[33, 0x7fff0000], [AT_PAGESZ, 16384], [AT_CLKTCK, 250]]);
    expect(auxv(AT_PAGESZ, raw)).toBe(16384);
    expect(auxv(AT_CLKTCK, raw)).toBe(250);
    expect(auxv(25, raw)).toBeUndefined();
    expect(auxv(AT_PAGESZ, Buffer.concat([vector([]), raw]))).toBeUndefined();
    expect(auxv(AT_PAGESZ, Buffer.alloc(0))).toBeUndefined();
  });

  it("this process's page size and clock ticks are sysconf(3)'s", () => {
    const info = new LinuxSystemInfo();
    expect(info.pageSize).toBe(pageSize());
    expect(info.clockTicks).toBe(clockTicks());
  });
});
