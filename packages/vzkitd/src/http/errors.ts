/**
 * Failures as the API answers them: `{ code, exit, message, hint? }` — vzctl's code, exit
 * number and one line — with the HTTP status chosen from the code.
 */
import { isVzError, vzError, type VzError } from '@vzkit/core';

/** Codes whose status is not the rule below (BAD_* 400, *_NOT_FOUND 404, else 500). */
const STATUS: Readonly<Record<string, number>> = {
  VE_NOT_FOUND: 404,
  PRIVATE_NOT_FOUND: 404,
  NOT_FOUND: 404,
  VE_EXISTS: 409,
  PRIVATE_EXISTS: 409,
  VE_RUNNING: 409,
  VE_NOT_RUNNING: 409,
  MOUNTED: 409,
  NOT_MOUNTED: 409,
  LOCKED: 409,
  START_DISABLED: 409,
  TEMPLATE_IN_USE: 409,
  TEMPLATE_EXISTS: 409,
  IP_INUSE: 409,
  EXEC_FAILED: 422,
  VALIDATE: 422,
  BAD_CONFIG: 422,
  OSTEMPLATE_NOT_SET: 422,
  PERMISSION: 403,
  UNAUTHORIZED: 401,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED: 501,
  EXEC_TIMEOUT: 504,
  NO_DISK_SPACE: 507,
  RESOURCE: 503,
};

export function statusOf(code: string): number {
  return STATUS[code] ?? (code.startsWith('BAD_') ? 400 : code.endsWith('_NOT_FOUND') ? 404 : 500);
}

export interface ErrorBody {
  code: string;
  exit: number;
  message: string;
  hint?: string;
}

export function errorBody(e: VzError): ErrorBody {
  return { code: e.code, exit: e.exit, message: e.message.replace(/\s*\n\s*/g, ' '), ...(e.hint ? { hint: e.hint } : {}) };
}

/** Anything thrown, as a VzError (an unexpected one is SYSTEM, exit 3). */
export function asVzError(e: unknown): VzError {
  return isVzError(e) ? e : vzError('SYSTEM', e instanceof Error ? e.message : String(e), { cause: e });
}
