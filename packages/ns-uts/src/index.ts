/**
 * @vzkit/ns-uts — the VE's UTS namespace: its hostname (HOSTNAME, `--hostname`), set
 * before init runs and changed live on a running VE.
 * @packageDocumentation
 */
export { nsUtsPlugin } from './plugin.js';
export { HOSTNAME } from './config.js';
export { hostnameProblem, MAX_HOSTNAME_LENGTH } from './hostname.js';
export { UTS_EXITS, utsError, type UtsErrorCode } from './errors.js';
