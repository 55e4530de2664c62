/**
 * @vzkit/template — OS template caches. Template NAME is the read-only tree
 * `<template dir>/<NAME>/`, complete once it holds the stamp file `.vzkit-template`;
 * ns-fs mounts it as the lower layer of each VE's root.
 * @packageDocumentation
 */
export { templatePlugin, TEMPLATE_PLUGIN } from './plugin.js';
export { ensureTemplate, type EnsureOptions } from './ensure.js';
export {
  buildBusyboxTemplate, busyboxApplets, BUSYBOX_TEMPLATE, HOST_BUSYBOX, BIN_APPLETS, SBIN_APPLETS, USR_BIN_APPLETS,
} from './busybox.js';
export { buildTemplate, removeStalePartials, type TemplateFiller } from './build.js';
export {
  listTemplates, templatePath, isTemplateComplete, checkTemplateName, TEMPLATE_STAMP,
  type TemplateInfo, type TemplateStamp,
} from './layout.js';
