/**
 * @vzkit/ns-fs — a VE's mount namespace and root filesystem: an overlay of its OS
 * template (read-only) and VE_PRIVATE/fs (its own files) at VE_ROOT, with /proc (host
 * entries masked, /proc/sys read-only except the keys its namespaces own), a read-only
 * /sys and a private /dev inside, entered with pivot_root.
 * @packageDocumentation
 */
export { nsFsPlugin, NS_FS_PLUGIN, type NsFsState } from './plugin.js';
export { overlayMount, commonAncestor, type OverlayLayers } from './plan-overlay.js';
export {
  rootfsOps, rootOps, sysfsOps, devOps, procOps, procSysOps, mqueueOps, isolationOps, pivotOps, writableKeys,
  DEVICES, PROC_MASKED_FILES, PROC_MASKED_DIRS, PROC_READONLY, SYS_MASKED_DIRS, PROC_SYS_PROBED_DIRS,
  type HostProbe,
} from './plan.js';
export { probeHost } from './host-probe.js';
export { upperDir, workDir, idmappedDir } from './private-area.js';
