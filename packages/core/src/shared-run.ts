/**
 * A reader whose calls for one key, made while one is under way, share that one's
 * promise; nothing is kept once it settles, so the next call reads afresh. For files that
 * the many operations of one process (a bulk start, vzkitd) ask for at the same moment:
 * each async read is several thread-pool round trips on the one event loop, and a cache
 * would have to know when the file changes. Callers must not mutate what they get.
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
