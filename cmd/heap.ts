/**
 * Peak memory of the copying commands (issue 22: ≤ 200 MiB peak RSS, also for 10,000 images in one
 * run). Between two full collections V8 lets its old generation grow to up to 4× what was live
 * after the last one (its factor on a machine with more than 2 GiB), and a copy run makes garbage
 * by the megabyte (requests, streams, parsed manifests) over a live heap of 20–30 MiB: peaks of
 * 130–160 MiB of heap at 10,000 images. A factor of 1.5 keeps the peak nearer the live heap for a
 * few more full collections (figures in test/bench/README.md). V8 reads the flag at each
 * collection, so it applies when set at run time. `images` is left alone: its large live heap
 * (loaded charts, caches) would pay about 15% more CPU. A --heap-growing-percent given to node
 * (a flag or NODE_OPTIONS) is left as given.
 *
 * The factor is not 1.5 whatever the heap: V8's limit also counts the buffers of the socket reads
 * (64 KiB each, freed only by the next scavenge), so over a small live heap (10–11 MiB in a save
 * of 21 images) a factor of 1.5 ran a full collection every 17–20 MiB of blob data: 26 of them in
 * a save of 482 MiB, 0.4 CPU-s (3 with V8's own factor). So the old generation may grow by
 * HEADROOM over what was live, at a factor between 1.5 and 4: 4× up to 11 MiB live, 1.5× from
 * 64 MiB (a save of 10,000 images), 2.1× at 30 MiB (a sync of 10,000). It is recomputed after
 * each full collection from the heap then in use.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

const MiB = 1024 * 1024;
/** What the old generation may grow by over the live heap, between the factors below. */
const HEADROOM = 32 * MiB;
const MIN_PERCENT = 50;
const MAX_PERCENT = 300;

/** The growing percent for a live heap of `live` bytes. */
export function growingPercent(live: number): number {
  const p = Math.round((HEADROOM / Math.max(live, 1)) * 100);
  return Math.min(MAX_PERCENT, Math.max(MIN_PERCENT, p));
}

let bounded = false;

export function boundHeapGrowth(): void {
  if (bounded) return;
  bounded = true;
  if (`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`.includes('heap-growing-percent')) return;
  let current = -1;
  const set = (): void => {
    const p = growingPercent(getHeapStatistics().used_heap_size);
    if (p === current) return;
    current = p;
    setFlagsFromString(`--heap-growing-percent=${p}`);
  };
  set();
  // after each full collection (the observer holds no handle: it never keeps the process alive)
  new PerformanceObserver((list) => {
    if (list.getEntries().some((e) => (e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) set();
  }).observe({ entryTypes: ['gc'] });
}
