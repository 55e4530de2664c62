/**
 * Reads that the many operations of one process (a bulk start, vzkitd) would otherwise
 * each make: every async read is thread-pool round trips on the one event loop.
 */

/**
 * A reader whose calls for one key, made while one is under way, share that one's
 * promise; nothing is kept once it settles, so the next call reads afresh. For files
 * whose changes nothing announces. Callers must not mutate what they get.
 */
export function sharedWhileRunning<K, V>(): (key: K, read: () => Promise<V>) => Promise<V> {
  const running = new Map<K, Promise<V>>();
  return (key, read) => {
    const inFlight = running.get(key);
    if (inFlight) return inFlight;
    const p = read().finally(() => running.delete(key));
    running.set(key, p);
    return p;
  };
}

/**
 * A reader whose answer for (`scope`, `key`) is used again for `ms` after it was asked
 * (calls meanwhile share it): for facts about the host that change rarely and that each
 * start would otherwise look up. A failure is not kept, nor an answer `keep` refuses (a
 * host found lacking something is asked again at once). Scopes (a Host) are held weakly.
 */
export function reusedFor<V>(ms: number, keep: (value: V) => boolean = () => true): (scope: object, key: string, read: () => Promise<V>, now?: number) => Promise<V> {
  const byScope = new WeakMap<object, Map<string, { at: number; value: Promise<V> }>>();
  return (scope, key, read, now = Date.now()) => {
    let entries = byScope.get(scope);
    if (!entries) byScope.set(scope, (entries = new Map()));
    const last = entries.get(key);
    if (last && now - last.at < ms) return last.value;
    const entry = { at: now, value: read() };
    entries.set(key, entry);
    const forget = () => {
      if (entries.get(key) === entry) entries.delete(key);
    };
    entry.value.then((v) => {
      if (!keep(v)) forget();
    }, forget);
    return entry.value;
  };
}
