/**
 * Debug-only fault points for crash-injection tests: a point armed as `<op>:<step>` (the
 * tools arm the one VZKIT_FAULT names) makes the process kill itself with SIGKILL right
 * after that step, as a crash or an impatient administrator would, so the next operation
 * must clean up.
 */
let armed: string | undefined;

/** Arms the fault point `<op>:<step>`; undefined or '' disarms. */
export function armFault(point: string | undefined): void {
  armed = point || undefined;
}

export function faultPoint(op: string, step: string): void {
  if (armed !== undefined && armed === `${op}:${step}`) process.kill(process.pid, 'SIGKILL');
}
