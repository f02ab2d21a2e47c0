/**
 * At most `n` calls of a limited function run at once; the others wait in order of arrival.
 * What p-limit does, for the two limits every request and every blob go through (the requester's
 * per registry, the copy engine's transfers and probes), with fewer promises a call: p-limit
 * queues every call behind a promise of its own and starts it in a later microtask, also when a
 * slot is free (6 promises and 5 closures a call); here a call with a free slot starts at once and
 * a waiting one costs one promise.
 */
export type Limit = <T>(fn: () => Promise<T>) => Promise<T>;

export function limit(n: number): Limit {
  if (!Number.isInteger(n) || n < 1) throw new TypeError(`limit: ${n} is not a positive whole number`);
  let active = 0;
  // waiting calls in order (a ring would be no faster at the few thousand a run queues at most):
  // `head` is the next to start; the array is dropped once it has been emptied
  let waiting: Array<() => void> = [];
  let head = 0;
  const release = (): void => {
    if (head < waiting.length) {
      const start = waiting[head]!;
      waiting[head++] = undefined as unknown as () => void;
      if (head === waiting.length) {
        waiting = [];
        head = 0;
      }
      // the slot goes to the next call as it is: `active` stays
      start();
    } else active--;
  };
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active < n) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await fn();
    } finally {
      release();
    }
  };
}
