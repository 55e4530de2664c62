/** Running one hook across plugins, with the failing plugin named in the error. */
import { VzError, vzError, wrapError } from '../errors.js';
import { checkFeaturesDeclared, FEATURES } from '../features.js';
import type { Plugin, PluginHooks } from '../plugin.js';
import type { Ve } from './ve.js';

export type HookName = keyof PluginHooks;

export function withHook<K extends HookName>(ve: Ve, hook: K): Array<Plugin<any, any>> {
  return ve.core.registry.plugins.filter((p) => typeof p.hooks[hook] === 'function');
}

export async function runHook(ve: Ve, p: Plugin<any, any>, hook: HookName, ...args: unknown[]): Promise<unknown> {
  const fn = p.hooks[hook] as ((...a: unknown[]) => unknown) | undefined;
  if (!fn) return undefined;
  const t0 = performance.now();
  try {
    return await fn.call(p.hooks, ve.hookContext(p), ...args);
  } catch (e) {
    // Plugins name the CT themselves; only anonymous failures get the plugin as context.
    if (e instanceof VzError && e.about === ve.label) throw e;
    throw wrapError(e, `${ve.label}: ${p.name.replace(/^@vzkit\//, '')} ${hook}`, { about: ve.label });
  } finally {
    // Where a command's time goes, per plugin and hook (`vzctl --verbose`).
    ve.core.log.debug(`${p.name} ${hook}: ${(performance.now() - t0).toFixed(1)} ms`);
  }
}

/**
 * Runs fn and logs how long it took (`vzctl --verbose`): the steps of an operation that
 * are not one plugin's hook (the launch, killing the VE, removing its cgroup).
 */
export async function debugTimed<T>(ve: Ve, what: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    ve.core.log.debug(`${what}: ${(performance.now() - t0).toFixed(1)} ms`);
  }
}

/** Runs `validate` of every plugin on the VE's current config, then asks the declaring plugins whether its FEATURES can be had. */
export async function validateAll(ve: Ve): Promise<void> {
  ve.config.validateAll();
  for (const p of withHook(ve, 'validate')) await runHook(ve, p, 'validate');
  await checkFeatures(ve);
}

async function checkFeatures(ve: Ve): Promise<void> {
  const settings = ve.config.get(FEATURES);
  const declared = ve.core.registry.features;
  checkFeaturesDeclared(ve.label, settings, [...declared.keys()]);
  for (const [name, on] of Object.entries(settings ?? {})) {
    const { decl, plugin } = declared.get(name)!;
    const why = await decl.check?.(ve.hookContext(plugin), on);
    if (why) throw vzError('UNSUPPORTED', `${ve.label}: FEATURES ${name}:${on ? 'on' : 'off'}: ${why}`, { about: ve.label });
  }
}
