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
 */
import { setFlagsFromString } from 'node:v8';

let bounded = false;

export function boundHeapGrowth(): void {
  if (bounded) return;
  bounded = true;
  if (`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`.includes('heap-growing-percent')) return;
  setFlagsFromString('--heap-growing-percent=50');
}
