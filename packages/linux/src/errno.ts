/**
 * Kernel error numbers as vzkit reports them: the errno name (ENOENT) on the error,
 * the system's text in the message, and the path the kernel refused.
 */
import { constants } from 'node:os';
import { getSystemErrorMessage } from 'node:util';
import { vzError, type CoreErrorCode, type VzError } from '@vzkit/core';

const NAMES = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) if (!NAMES.has(value)) NAMES.set(value, name);

/** `ENOENT` for 2; `errno 999` for a number the platform does not name. */
export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `errno ${errno}`;
}

export function errnoMessage(errno: number): string {
  try {
    return getSystemErrorMessage(-errno);
  } catch {
    return `unknown error ${errno}`;
  }
}

/** `<what>: ENOENT (no such file or directory)`, carrying errno and path. */
export function kernelError(code: CoreErrorCode | (string & {}), what: string, errno: number, path?: string, cause?: unknown): VzError {
  return vzError(code, `${what}: ${errnoName(errno)} (${errnoMessage(errno)})`, {
    errno: errnoName(errno),
    ...(path !== undefined ? { path } : {}),
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** The same for a failure of node:fs (which already names the errno in `code`). */
export function nodeFsError(e: unknown, what: string, path: string): VzError {
  const err = e as NodeJS.ErrnoException;
  const errno = typeof err?.errno === 'number' ? Math.abs(err.errno) : undefined;
  if (errno !== undefined) return kernelError('SYSTEM', what, errno, path, e);
  return vzError('SYSTEM', `${what}: ${e instanceof Error ? e.message : String(e)}`, { path, cause: e, ...(err?.code ? { errno: err.code } : {}) });
}

export function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}
