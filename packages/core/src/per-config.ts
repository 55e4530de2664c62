import type { ConfigView } from './plugin.js';

/**
 * `derive` memoized per config object: what a long-lived process (vzkitd's metrics)
 * works out from a VE's config is worked out again only when the config object is new,
 * which is when the VE's config, vz.conf or its state changed. Extra arguments reach
 * `derive` on a miss only: they must not change while the config object lives.
 */
export function perConfig<T, A extends unknown[]>(derive: (config: ConfigView, ...args: A) => T): (config: ConfigView, ...args: A) => T {
  const memo = new WeakMap<ConfigView, T>();
  return (config, ...args) => {
    if (memo.has(config)) return memo.get(config) as T;
    const value = derive(config, ...args);
    memo.set(config, value);
    return value;
  };
}
