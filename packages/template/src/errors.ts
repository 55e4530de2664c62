/**
 * The templates' own failures. OpenVZ's table has 91 (TEMPLATE_NOT_FOUND, the core's);
 * 92 and 93 sit in its gap after it.
 */
import { errorTable } from '@vzkit/core';

export const TEMPLATE_EXITS = {
  /** The Debian mirror could not be reached: the template cannot be had (as TEMPLATE_NOT_FOUND). */
  TEMPLATE_DOWNLOAD: 91,
  /** A template a VE reads as its lower layer cannot be removed. */
  TEMPLATE_IN_USE: 92,
  /** A template of that name exists already. */
  TEMPLATE_EXISTS: 93,
} as const;

export type TemplateErrorCode = keyof typeof TEMPLATE_EXITS;

export const templateError = errorTable(TEMPLATE_EXITS);
