/**
 * Services one plugin provides and others (and the core) consume, through the
 * registry's container. The core defines a service's contract — its token and
 * interface — where more than one package needs it; the plugin that owns the subsystem
 * provides it (`provides`), and consumers ask `ctx.service(TOKEN)` (required) or
 * `ctx.optionalService(TOKEN)` (a composition may lack the provider). A provider's
 * factory receives the container, to take the Host's services and other plugins'.
 */
import type { IdMapping } from './plan.js';
import type { Host } from './host.js';
import { defineToken, type ConfigView, type VeContext } from './plugin.js';

/** The host: registered by the core, for providers that need its services. */
export const HOST = defineToken<Host>('the host');

/** A VE's user-namespace mapping: which host ids stand for the VE's ids. */
export interface VeIdMap {
  /** Host uid of the VE's root. */
  uid: number;
  /** Host gid of the VE's root group. */
  gid: number;
  uidMap: IdMapping[];
  gidMap: IdMapping[];
}

/** How a VE's config maps its ids (provided by ns-user); without a provider no VE has a mapping. */
export interface IdMappingService {
  /** The mapping `config` gives; undefined for a VE of the host root (and for a choice not yet made). */
  of(config: ConfigView): VeIdMap | undefined;
}

export const ID_MAPPING = defineToken<IdMappingService>('the id mappings of VEs (ns-user)');

/** The OS template trees a VE's root is made of (provided by the template plugin). */
export interface TemplateTrees {
  /** The complete tree of template `name` in `dir`; TEMPLATE_NOT_FOUND (naming `label`) when it is missing or unfinished. */
  tree(dir: string, name: string, label: string): Promise<string>;
}

export const TEMPLATE_TREES = defineToken<TemplateTrees>('OS template trees (template)');

/**
 * Files of a VE's /proc that a plugin serves itself instead of lxcfs's views (provided by
 * @vzkit/procfs: /proc/meminfo and /proc/swaps with the VE's swap limit). lxcfs, which
 * decides whether a view goes over the VE's file (MEMINFO), binds this source instead of
 * its own.
 */
export interface ProcFiles {
  /**
   * The host file to bind over the VE's `view` (`proc/meminfo`), or undefined to leave it
   * to lxcfs. Asked while the VE starts, after the provider's `prepare`, and for live
   * changes of a running VE.
   */
  sourceOf(ve: VeContext, view: string): Promise<string | undefined>;
}

export const PROC_FILES = defineToken<ProcFiles>("the VE's /proc files vzkit serves itself (procfs)");
