/** The config key the motd plugin owns. */
import { defineKey, type ValueType } from '@vzkit/core';
import { MAX_MOTD_LENGTH } from './motd.js';

/**
 * Takes any text as it is: the plugin's `validate` refuses a bad one (motd.ts says what
 * is bad) in a line of its own wording, with BAD_MOTD (exit 200).
 */
const motdText: ValueType<string> = {
  arg: 'TEXT',
  parse: (raw) => raw,
  format: (v) => v,
};

/** The VE's message of the day, written into its /etc/motd at start and live by `set --motd`. */
export const MOTD = defineKey({
  name: 'MOTD',
  flag: 'motd',
  type: motdText,
  live: true,
  description: `Message of the day: the VE's /etc/motd (\\n for a line break, at most ${MAX_MOTD_LENGTH} characters)`,
});
