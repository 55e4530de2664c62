/**
 * Extended attributes of a path itself (the l*xattr calls: a symlink is never followed),
 * through koffi: Node has no API for them. Sizes are asked first and the value read
 * into a buffer of that size; a value that grew in between is asked for again.
 */
import type { LibraryHandle } from 'koffi';
import { kernelError } from './errno.js';
import { koffi } from './koffi.js';
import { libcHandle } from './syscalls.js';

type CFunction = ReturnType<LibraryHandle['func']>;

const ENODATA = 61;
const ERANGE = 34;
const EOPNOTSUPP = 95;

let fns: { list: CFunction; get: CFunction; set: CFunction } | undefined;

function lib() {
  if (fns) return fns;
  const c = libcHandle();
  fns = {
    list: c.func('long llistxattr(const char *path, _Out_ void *list, unsigned long size)'),
    get: c.func('long lgetxattr(const char *path, const char *name, _Out_ void *value, unsigned long size)'),
    set: c.func('int lsetxattr(const char *path, const char *name, const void *value, unsigned long size, int flags)'),
  };
  return fns;
}

/** Calls `call(buffer, size)` with a size query first; undefined for `missing` errnos. */
function sized(what: string, path: string, call: (buf: Buffer | null, size: number) => number, missing: number[]): Buffer | undefined {
  for (;;) {
    const need = call(null, 0);
    if (need < 0) {
      const errno = koffi().errno();
      if (missing.includes(errno)) return undefined;
      throw kernelError('SYSTEM', what, errno, path);
    }
    const buf = Buffer.alloc(need);
    const got = need === 0 ? 0 : call(buf, need);
    if (got >= 0) return buf.subarray(0, got);
    const errno = koffi().errno();
    if (errno === ERANGE) continue;
    if (missing.includes(errno)) return undefined;
    throw kernelError('SYSTEM', what, errno, path);
  }
}

export function listXattrs(path: string): string[] {
  const buf = sized(`llistxattr ${path}`, path, (b, n) => Number(lib().list(path, b, n)), [EOPNOTSUPP]);
  return buf ? buf.toString('latin1').split('\0').filter(Boolean) : [];
}

export function getXattr(path: string, name: string): Uint8Array | undefined {
  const buf = sized(`lgetxattr ${path} ${name}`, path, (b, n) => Number(lib().get(path, name, b, n)), [ENODATA, EOPNOTSUPP]);
  return buf && new Uint8Array(buf);
}

export function setXattr(path: string, name: string, value: Uint8Array): void {
  const rc = lib().set(path, name, Buffer.from(value.buffer, value.byteOffset, value.byteLength), value.byteLength, 0) as number;
  if (rc < 0) throw kernelError('SYSTEM', `lsetxattr ${path} ${name}`, koffi().errno(), path);
}
