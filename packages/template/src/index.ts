/**
 * @vzkit/template — OS templates. Template NAME is the read-only tree
 * `<template dir>/<NAME>/`, complete once it holds the stamp file `.vzkit-template`;
 * ns-fs mounts it as the lower layer of each VE's root. vzkit builds `busybox` and
 * `debian-12-<machine>` (mmdebstrap, sysvinit) itself, keeps slow builds as tarballs in
 * the machine's template cache, and moves templates in and out as tarballs (`vztmpl`).
 * @packageDocumentation
 */
export { createTemplatePlugin, templatePlugin, TEMPLATE_PLUGIN } from './plugin.js';
export type { TemplateSettings } from './settings.js';
export { ensureTemplate, type EnsureOptions } from './ensure.js';
export {
  buildBusyboxTemplate, busyboxBuilder, busyboxApplets, BUSYBOX_TEMPLATE, HOST_BUSYBOX, BIN_APPLETS, SBIN_APPLETS, USR_BIN_APPLETS,
} from './busybox.js';
export {
  buildTemplate, removeStalePartials, treeSize, type StampFields, type TemplateBuilder, type TemplateFiller,
} from './build.js';
export { buildableNames, findBuilder, type BuilderOptions } from './builders.js';
export {
  checkMirror, debianBuilder, debianSource, debianSources, fillDebian, installedPackages, mmdebstrapArgv, parseDebianName, DEBIAN_MIRROR,
  DEBIAN_MIRROR_ENV, DEBIAN_PACKAGES, DEBIAN_SECURITY_MIRROR, DEBIAN_SUITES, type DebianBuild, type DebianName,
} from './debian.js';
export { adaptDebianTree, inittabForVe, BUILD_APT_CONF, VE_HOSTS } from './debian-tree.js';
export {
  acquireSettings, debianMirrorsOf, hostAcquireSettings, hostDebianMirrors, parseDeb822Sources, parseOneLineSources, type HostMirrors,
} from './host-apt.js';
export {
  cacheLock, creatingFrom, holding, markCreating, templateLock, unmarkCreating, TEMPLATE_LOCK_WAIT_MS,
} from './locks.js';
export { debianArch, hostMachine } from './arch.js';
export {
  cachedNames, findCached, storeInCache, templateCacheDir, SHARED_TEST_TEMPLATE_CACHE, SYSTEM_TEMPLATE_CACHE, TEMPLATE_CACHE_ENV,
} from './cache.js';
export { exportTemplate, type ExportOptions } from './export-tarball.js';
export { importTemplate, refuseExisting } from './import-tarball.js';
export { removeTemplateTree } from './remove.js';
export {
  compressionOf, defaultCompression, hasProgram, packTree, templateNameOf, unpackTarball, EXTENSION, type Compression,
} from './tarball.js';
export { checkTemplateTree, statInTree } from './tree-check.js';
export { MmdebstrapProgress, StageReporter, silentProgress, type Progress } from './progress.js';
export { vztmplCommands } from './vztmpl.js';
export { parseToolArgs, type ArgsSpec, type FlagDecl, type ParsedArgs } from './vztmpl-args.js';
export { humanSize, renderTemplateList, type TemplateRow } from './vztmpl-list.js';
export {
  listTemplates, readStamp, templatePath, isTemplateComplete, checkTemplateName, TEMPLATE_STAMP,
  type TemplateInfo, type TemplateStamp,
} from './layout.js';
export { templateTrees, TEMPLATE_TREES_PROVIDER } from './trees.js';
export { TEMPLATE_EXITS, templateError, type TemplateErrorCode } from './errors.js';
