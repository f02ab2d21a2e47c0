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
 * The factor is not 1.5 from the start: V8's limit also counts the buffers of the socket reads
 * (64 KiB each, freed only by the next scavenge), so over a small heap (10–11 MiB live in a save
 * of 21 images) a factor of 1.5 ran a full collection every 17–20 MiB of blob data: 26 of them in
 * a save of 482 MiB, 0.4 CPU-s (3 at 4×). So a run keeps V8's 4× while its heap stays under
 * SMALL_HEAP, looked at after every collection, and is held at 1.5× from the first time it is
 * not, for the rest of the run. Recomputing the factor from the live heap after each full
 * collection instead came one collection late (the limit is set during the collection): a save of
 * 2,000 images peaked at 165 MiB instead of 135.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

const MiB = 1024 * 1024;
/** A heap in use under this keeps V8's 4×; the first collection that finds more sets 1.5×. */
const SMALL_HEAP = 16 * MiB;

/** The growing percent for a heap of `used` bytes. */
export function growingPercent(used: number): number {
  return used < SMALL_HEAP ? 300 : 50;
}

let bounded = false;

export function boundHeapGrowth(): void {
  if (bounded) return;
  bounded = true;
  if (`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`.includes('heap-growing-percent')) return;
  if (growingPercent(getHeapStatistics().used_heap_size) === 50) {
    setFlagsFromString('--heap-growing-percent=50');
    return;
  }
  setFlagsFromString('--heap-growing-percent=300');
  // after each collection until the heap is not small (the observer holds no handle: it never keeps the process alive)
  const watch = new PerformanceObserver(() => {
    if (growingPercent(getHeapStatistics().used_heap_size) === 300) return;
    setFlagsFromString('--heap-growing-percent=50');
    watch.disconnect();
  });
  watch.observe({ entryTypes: ['gc'] });
}
