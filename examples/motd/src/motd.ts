/**
 * What a valid MOTD is, and the file it makes. The config file holds one line per key,
 * so a line break is written `\n` (and a backslash `\\`). Control characters are refused:
 * every login prints /etc/motd to a terminal, which would act on an escape sequence
 * (move the cursor, retitle the window, redefine keys on some terminals).
 */

/** The most characters MOTD may have, as written in the config (`\n` counts two). */
export const MAX_MOTD_LENGTH = 1024;

const hex = (ch: string) => ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');

/** Why `value` is not a valid MOTD, or undefined when it is. */
export function motdProblem(value: string): string | undefined {
  if (value.length > MAX_MOTD_LENGTH) return `it is longer than ${MAX_MOTD_LENGTH} characters`;
  const control = /[\u0000-\u001f\u007f-\u009f]/.exec(value);
  if (control) {
    return `it holds the control character U+${hex(control[0])} at position ${control.index + 1}, which a terminal would act on at every login (write \\n for a line break)`;
  }
  // The escapes blanked out, keeping positions: any backslash left starts none.
  const lone = value.replace(/\\[n\\]/g, '__').indexOf('\\');
  if (lone >= 0) return `the backslash at position ${lone + 1} starts no escape (write \\n for a line break, \\\\ for a backslash)`;
  return undefined;
}

/** The text of /etc/motd for a valid `value`: escapes expanded, ending in a newline. */
export function motdFileText(value: string): string {
  const text = value.replace(/\\([n\\])/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
  return text.endsWith('\n') ? text : `${text}\n`;
}
