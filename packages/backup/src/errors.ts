/**
 * The backup tools' own error codes, with OpenVZ's numbers where it had one for the same
 * failure (include/vzerror.h: VZ_CHKPNT_ERROR 16, VZ_RESTORE_ERROR 17).
 */
import { errorTable } from '@vzkit/core';

export const BACKUP_EXITS = {
  /** The archive is damaged, truncated, or not a vzkit backup: refused before anything is made. */
  BACKUP_DAMAGED: 17,
  /** The archive named does not exist or is no file. */
  BACKUP_NOT_FOUND: 17,
  /** An archive of that name exists and stays so (the clock went back). */
  BACKUP_EXISTS: 44,
  /** tar or zstd failed while writing or unpacking an archive. */
  BACKUP_FAILED: 3,
} as const;

export type BackupErrorCode = keyof typeof BACKUP_EXITS;

export const backupError = errorTable(BACKUP_EXITS);
