/**
 * Many waits on one AbortSignal through one 'abort' listener: `onAbortOf` adds a callback to the
 * signal's set and returns its removal, instead of an addEventListener and a removeEventListener
 * per wait (Node's EventTarget does more work for those than a Set). A sync of 200 small images
 * sends ~3,000 requests and runs ~600 transfers on a few signals: the request layer
 * (registry/small-request.ts) and the stall watch (copy/stall.ts) wait this way.
 */
const waiting = new WeakMap<AbortSignal, Set<(reason: Error) => void>>();

/** Calls `abort` with the signal's reason when it aborts (once), unless the returned function was called first. */
export function onAbortOf(signal: AbortSignal, abort: (reason: Error) => void): () => void {
  let set = waiting.get(signal);
  if (!set) {
    const each = (set = new Set());
    waiting.set(signal, each);
    signal.addEventListener(
      'abort',
      () => {
        for (const f of [...each]) f(signal.reason as Error);
        each.clear();
      },
      { once: true },
    );
  }
  const s = set;
  s.add(abort);
  return () => void s.delete(abort);
}
