/**
 * @vzkit/example-motd — the plugin of docs/plugins.md: each VE's /etc/motd from the
 * config key MOTD (`--motd TEXT`, live), refused with BAD_MOTD (exit 200) when it holds
 * control characters or is too long, written through the guest-file API.
 * @packageDocumentation
 */
export { motdPlugin } from './plugin.js';
export { MOTD } from './config.js';
export { MAX_MOTD_LENGTH, motdFileText, motdProblem } from './motd.js';
export { MOTD_EXITS, motdError, type MotdErrorCode } from './errors.js';
