/**
 * Config keys of the beancounters: one `barrier[:limit]` key per parameter
 * (`NUMPROC="240:240"`, flag `--numproc`), the vswap shortcuts `--ram` and `--swap`
 * (PHYSPAGES and SWAPPAGES with barrier 0, as vzctl writes them) and AVNUMPROC.
 */
import { barrierLimit, defineKey, parseSize, ValueError, type BarrierLimit, type ConfigKey, type ConfigView } from '@vzkit/core';
import { UBC_PARAMS, type UbcParam } from './params.js';

function limitOnly(flag: 'ram' | 'swap', what: string) {
  return {
    flag,
    arg: 'SIZE',
    description: `${what.charAt(0).toUpperCase()}${what.slice(1)} (sets ${flag === 'ram' ? 'PHYSPAGES' : 'SWAPPAGES'} to 0:SIZE; K, M, G suffixes)`,
    apply(_current: BarrierLimit | undefined, arg: string): BarrierLimit {
      const limit = parseSize(arg, 'pages');
      if (limit === 0 && flag === 'ram') throw new ValueError(`'${arg}': a VE needs some RAM`);
      return { barrier: 0, limit };
    },
  };
}

function keyOf(p: UbcParam): ConfigKey<BarrierLimit> {
  const unit = p.unit === 'items' ? 'items' : p.unit === 'pages' ? 'pages (or K, M, G)' : 'bytes (or K, M, G)';
  return defineKey<BarrierLimit>({
    name: p.name.toUpperCase(),
    type: barrierLimit(p.unit),
    description: `${p.description.charAt(0).toUpperCase()}${p.description.slice(1)}; barrier[:limit] in ${unit}`,
    live: true,
    flag: p.name,
    ...(p.name === 'physpages' ? { editFlags: [limitOnly('ram', 'RAM limit')] } : {}),
    ...(p.name === 'swappages' ? { editFlags: [limitOnly('swap', 'swap limit on top of the RAM limit')] } : {}),
  });
}

/** The key of every beancounter, by parameter name. */
export const UBC_KEYS: ReadonlyMap<string, ConfigKey<BarrierLimit>> = new Map(UBC_PARAMS.map((p) => [p.name, keyOf(p)]));

/** Expected average process count; vzcfgvalidate's input, kept for compatibility. */
export const AVNUMPROC = defineKey<BarrierLimit>({
  name: 'AVNUMPROC',
  type: barrierLimit('items'),
  description: 'Expected average number of processes (used to check the other values)',
  live: true,
});

export function ubcKey(name: string): ConfigKey<BarrierLimit> {
  const key = UBC_KEYS.get(name);
  if (!key) throw new Error(`no beancounter ${name}`);
  return key;
}

/** The configured barrier:limit of every parameter that is set; unset ones are unlimited. */
export function configuredLimits(config: ConfigView): Map<string, BarrierLimit> {
  const out = new Map<string, BarrierLimit>();
  for (const [name, key] of UBC_KEYS) {
    const v = config.get(key);
    if (v !== undefined) out.set(name, v);
  }
  return out;
}
