/**
 * The one error type of vzkit. Every failure a user can see is a {@link VzError}
 * with a stable UPPER_SNAKE code, the vzctl-compatible exit number, and a one-line
 * message that names the CTID and the key or value at fault.
 */

/** Exit numbers of the common codes, following vzctl's include/vzerror.h. */
export const EXIT_CODES = {
  SYSTEM: 3,
  UNSUPPORTED: 5,
  RESOURCE: 6,
  ENV_CREATE: 7,
  EXEC_FAILED: 8,
  LOCKED: 9,
  NO_GLOBAL_CONFIG: 10,
  PERMISSION: 12,
  VE_NOT_FOUND: 14,
  EXEC_TIMEOUT: 15,
  BAD_PARAM: 20,
  BAD_VALUE: 21,
  OSTEMPLATE_NOT_SET: 29,
  VE_NOT_RUNNING: 31,
  VE_RUNNING: 32,
  STOP_FAILED: 33,
  VALIDATE: 35,
  NOT_MOUNTED: 40,
  MOUNTED: 41,
  PRIVATE_NOT_FOUND: 43,
  PRIVATE_EXISTS: 44,
  NO_DISK_SPACE: 46,
  BAD_TEMPLATE: 47,
  CREATE_PRIVATE: 48,
  CREATE_ROOT: 49,
  MOUNT_FAILED: 50,
  UMOUNT_FAILED: 51,
  DESTROY_FAILED: 52,
  ACTION_SCRIPT: 79,
  BAD_CONFIG: 85,
  TEMPLATE_NOT_FOUND: 91,
  START_DISABLED: 105,
  APPLY_CONFIG: 109,
  WAIT_FAILED: 133,
  CONFIG_SAVE: 139,
  PLUGIN: 3,
} as const satisfies Record<string, number>;

/** A code of the core table; plugins may use any other UPPER_SNAKE code with their own exit number. */
export type CoreErrorCode = keyof typeof EXIT_CODES;

export interface VzErrorOptions {
  /** What the user can do about it, printed on a second line. */
  hint?: string;
  /** The lower-level error this one wraps; kept, never replaced. */
  cause?: unknown;
  /** Exit number for codes outside the core table. */
  exit?: number;
  /** errno name when the failure came from the kernel (ENOENT, EBUSY, ...). */
  errno?: string;
  /** The path the kernel refused, when there is one. */
  path?: string;
  /**
   * The VE the message names (its label, `CT 101`), which the message begins with: the
   * hook runner and the rollback add no VE context of their own to such an error.
   */
  about?: string;
}

export class VzError extends Error {
  readonly code: string;
  readonly exit: number;
  readonly hint: string | undefined;
  readonly errno: string | undefined;
  readonly path: string | undefined;
  /** The label of the VE the message names, if it names one ({@link VzErrorOptions.about}). */
  readonly about: string | undefined;
  /** Failures of a rollback that ran after this error; attached, never replacing it. */
  readonly cleanupErrors: unknown[] = [];

  constructor(code: CoreErrorCode | (string & {}), message: string, opts: VzErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'VzError';
    this.code = code;
    this.exit = opts.exit ?? (EXIT_CODES as Record<string, number>)[code] ?? EXIT_CODES.SYSTEM;
    this.hint = opts.hint;
    this.errno = opts.errno;
    this.path = opts.path;
    this.about = opts.about;
  }
}

/** Shorthand used throughout: `throw vzError('BAD_VALUE', 'CT 101: ...')`. */
export function vzError(code: CoreErrorCode | (string & {}), message: string, opts?: VzErrorOptions): VzError {
  return new VzError(code, message, opts);
}

/**
 * A plugin's error constructor over its own table of codes and exit numbers (its
 * errors.ts): `export const netError = errorTable(NET_EXITS)`, then
 * `netError('IP_INUSE', ...)` carries exit 78 and no other code type-checks.
 */
export function errorTable<C extends string>(exits: Readonly<Record<C, number>>): (code: C, message: string, opts?: Omit<VzErrorOptions, 'exit'>) => VzError {
  return (code, message, opts = {}) => vzError(code, message, { ...opts, exit: exits[code] });
}

export function isVzError(e: unknown): e is VzError {
  return e instanceof VzError;
}

/** How {@link wrapError} labels what it wraps. */
export interface WrapOptions {
  /** The code of a failure that is not a VzError (default SYSTEM). */
  code?: CoreErrorCode | (string & {});
  /** Its exit number, for a plugin's code outside the core table. */
  exit?: number;
  /** The VE's label when `context` begins with it ({@link VzErrorOptions.about}). */
  about?: string;
}

/**
 * Adds context to a failure, crun-style (`context: inner`), keeping code, exit and errno
 * of a VzError and turning anything else into a `code` error (SYSTEM; a plugin's code
 * with its `exit`).
 */
export function wrapError(e: unknown, context: string, opts: WrapOptions = {}): VzError {
  const about = opts.about ? { about: opts.about } : {};
  if (e instanceof VzError) {
    const w = new VzError(e.code, `${context}: ${e.message}`, {
      cause: e, exit: e.exit, errno: e.errno, path: e.path, ...(e.hint ? { hint: e.hint } : {}), ...about,
    });
    w.cleanupErrors.push(...e.cleanupErrors);
    return w;
  }
  const errno = (e as NodeJS.ErrnoException | undefined)?.code;
  const msg = e instanceof Error ? e.message : String(e);
  return new VzError(opts.code ?? 'SYSTEM', `${context}: ${msg}`, {
    cause: e, ...(errno ? { errno } : {}), ...(opts.exit !== undefined ? { exit: opts.exit } : {}), ...about,
  });
}

/** `CT 101` — how every message names a VE. */
export function ctLabel(ctid: number | string): string {
  return `CT ${ctid}`;
}
