/**
 * The filter a VE's processes get, from SECCOMP and NESTING: the calls of the default
 * profile (profile.ts) refused with EPERM, and nested user namespaces refused unless
 * NESTING allows them. Pure.
 */
import type { ChildOp } from '@vzkit/core';
import type { SeccompSetting } from './config.js';
import { DEFAULT_DENY, NESTING_RULES } from './profile.js';

/** The seccomp op of a VE; undefined for `SECCOMP=off`. */
export function seccompOp(setting: SeccompSetting | undefined, nesting: boolean | undefined): ChildOp | undefined {
  if (setting === 'off') return undefined;
  const rules = nesting ? [] : NESTING_RULES.map(({ why: _, ...rule }) => rule);
  return { op: 'seccomp', deny: DEFAULT_DENY.map((d) => d.name), ...(rules.length ? { rules } : {}) };
}
