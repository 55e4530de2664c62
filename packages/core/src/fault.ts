/**
 * Debug-only fault points for crash-injection tests: `VZKIT_FAULT=<op>:<step>` makes
 * the process kill itself with SIGKILL right after that step, as a crash or an
 * impatient administrator would, so the next operation must clean up.
 */
export function faultPoint(op: string, step: string): void {
  const f = process.env.VZKIT_FAULT;
  if (f && f === `${op}:${step}`) process.kill(process.pid, 'SIGKILL');
}
