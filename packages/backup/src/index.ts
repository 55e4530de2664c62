/**
 * @vzkit/backup — `vzdump` and `vzrestore`: consistent archives of a VE (its config and
 * private area, tar + zstd, a manifest of sha256 sums) and VEs made again from them.
 * @packageDocumentation
 */
export { backupPlugin, BACKUP_PLUGIN } from './plugin.js';
export { checkArchive, unpackArchive, writeArchive, type Progress, type ReadRequest, type UnpackRequest, type WriteRequest } from './archive.js';
export { ArchiveChecker, ArchiveWriter, CONFIG_MEMBER, FORMAT, MANIFEST_MEMBER, PRIVATE_MEMBER, parseManifest, type CheckedArchive, type FileSum, type Manifest } from './format.js';
export { TarDamage, TarReader, normalName, type MemberType, type TarListener, type TarMember } from './tar.js';
export { BACKUP_EXITS, type BackupErrorCode } from './errors.js';
export { archiveName, parseDumpArgs, vzdumpCommand, type DumpArgs } from './vzdump.js';
export { parseRestoreArgs, restoredConfig, vzrestoreCommand, type RestoreArgs } from './vzrestore.js';
