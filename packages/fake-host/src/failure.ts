/** Awaiting an operation that must fail with a VzError (code, exit, message to assert on). */
import { isVzError, type VzError } from '@vzkit/core';

export async function failure(p: Promise<unknown>): Promise<VzError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (!isVzError(e)) throw new Error(`expected a VzError, got ${e === undefined ? 'success' : String(e)}`);
  return e;
}
