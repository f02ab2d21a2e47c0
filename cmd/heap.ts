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
 * a save of 482 MiB, 0.4 CPU-s (3 at 4×). So a run keeps a larger factor (SMALL_HEAP_PERCENT) while its heap stays under
 * SMALL_HEAP, looked at after every collection, and is held at 1.5× from the first time it is
 * not, for the rest of the run. Recomputing the factor from the live heap after each full
 * collection instead came one collection late (the limit is set during the collection): a save of
 * 2,000 images peaked at 165 MiB instead of 135.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { runInNewContext } from 'node:vm';
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { nodeFlagGiven } from '../src/cli/argv.js';

const MiB = 1024 * 1024;
/** A heap in use under this grows by SMALL_HEAP_PERCENT; the first collection that finds more sets 1.5×. */
const SMALL_HEAP = 16 * MiB;
/**
 * 11× (it was V8's own 4×): V8 starts a full collection once the old generation's slack
 * under its limit is no more than the young generation's capacity, and since the young generation
 * is held at 16 MiB (YOUNG_CAP) the 4× of a 8-10 MiB heap left about that much: a save of 482 MiB
 * ran 14-15 full collections again (socket buffers promoted by a scavenge count in the old
 * generation until the next one), 1 at 11×, 0.15-0.2 CPU-s less, peak RSS unchanged (135 MiB).
 * The limit is bounded all the same: the first collection that finds 16 MiB in use sets 1.5×.
 */
const SMALL_HEAP_PERCENT = 1000;

/** The growing percent for a heap of `used` bytes. */
export function growingPercent(used: number): number {
  return used < SMALL_HEAP ? SMALL_HEAP_PERCENT : 50;
}

let bounded = false;

export function boundHeapGrowth(): void {
  if (bounded) return;
  bounded = true;
  capYoungGeneration();
  if (nodeFlagGiven('heap-growing-percent')) return;
  if (growingPercent(getHeapStatistics().used_heap_size) === 50) {
    setFlagsFromString('--heap-growing-percent=50');
    return;
  }
  setFlagsFromString(`--heap-growing-percent=${SMALL_HEAP_PERCENT}`);
  let full = false;
  // after each collection until the heap is not small (the observer holds no handle: it never keeps the process alive)
  const watch = new PerformanceObserver((list) => {
    full ||= list.getEntries().some((e) => (e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR);
    if (growingPercent(getHeapStatistics().used_heap_size) === SMALL_HEAP_PERCENT) return;
    setFlagsFromString('--heap-growing-percent=50');
    watch.disconnect();
    // A full collection while the heap was small set the old generation's limit at 11x, and that
    // limit stays until the next one: with the young generation held (fewer bytes in use when the
    // copy starts), a save of 2,000 images ran one at 14 MiB live, 0.3 s in, and none after (old
    // space 39 MiB at its end, 24 without the hold). One more, now, sets it at 1.5x.
    if (full) collectNow();
  });
  watch.observe({ entryTypes: ['gc'] });
}

/** A full collection now (V8's gc(), reached without --expose-gc on the command line). */
function collectNow(): void {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    setFlagsFromString('--no-expose-gc');
    gc();
  } catch {
    // not available: the limit is reset at the next full collection V8 runs on its own
  }
}

/**
 * V8's young generation (its new space: two semi-spaces) starts at 1 MiB and doubles whenever a
 * scavenge finds more surviving than it holds, up to 32 MiB on 64-bit Node (two 16 MiB halves): a
 * copy run reaches it within seconds (a save of 10,000 images before the copy starts, while its
 * 20,000 arguments are read), and those 32 MiB stay resident to the end. Held at 16 MiB
 * (`--max-semi-space-size=8`), a save of 2,000 images peaked 16 MiB lower with the same CPU; at
 * 2 MiB it paid 37% more CPU (more scavenges, more promoted). `--max-semi-space-size` is read
 * only when V8 starts, but the growth factor is read at each growth. V8 shrinks the young
 * generation only in a quiet moment, and a notice of a collection (PerformanceObserver) comes
 * only when the event loop turns, after a synchronous stretch that may have grown it twice: so a
 * copying command holds it (factor 1) from start-up (cmd/main.ts, before the arguments are read)
 * to the start of its copy (boundHeapGrowth), then lets it double as V8 does up to YOUNG_CAP (a
 * jump to it at once cost a no-op resync of 200 images 7 MiB: its young generation never needs
 * 16 MiB), and from YOUNG_CAP on the factor is 1. A --max-semi-space-size or
 * --semi-space-growth-factor given to node is left as given. Figures in test/bench/README.md.
 */
export const YOUNG_CAP = 16 * MiB;

/** The growth factor for a new space of `size` bytes: V8's doubling while that stays within `cap`, else none (V8's 2 when the size is unknown). */
export function youngGrowthFactor(size: number, cap = YOUNG_CAP): number {
  if (size <= 0) return 2;
  return size * 2 <= cap ? 2 : 1;
}

function newSpaceSize(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/**
 * Whether the hold applies: V8 11 to 13 (Node 20, 22, 24) grow the young generation by the growth
 * factor. V8 13 (Node 24) lets it grow to 128 MiB (two 64 MiB halves: 4x V8 12's) and a save of
 * 10,000 images held all of it (335 MiB peak RSS); held, its new space's capacity stays at 16 MiB, though
 * the space counts pages beyond it for a while (27-55 MiB seen; the same with V8's own capacity
 * flag at 16), as heap-growth.test.ts asserts. Figures in test/bench/README.md.
 */
export const YOUNG_HOLD_APPLIES = Number(process.versions.v8.split('.')[0]) >= 11;

/** The commands that call boundHeapGrowth() (their copy starts there). */
export const COPYING_COMMANDS: readonly string[] = ['save', 'load', 'sync', 'copy', 'verify'];

let young: 'held' | 'growing' | 'capped' | undefined;
let factor = 2;

function setYoungFactor(f: number): void {
  if (f === factor) return;
  factor = f;
  setFlagsFromString(`--semi-space-growth-factor=${f}`);
}

/**
 * At start-up of a copying command, before its arguments are read: no growth of the young
 * generation until boundHeapGrowth() lets it grow to YOUNG_CAP (reading 20,000 arguments, one
 * synchronous stretch, grew it from 1 to 32 MiB before any notice of a collection could stop it).
 */
export function holdYoungGeneration(): void {
  if (!YOUNG_HOLD_APPLIES || young || nodeFlagGiven('semi-space')) return;
  young = 'held';
  setYoungFactor(1);
}

/** From the start of the copy: V8's doubling up to YOUNG_CAP, then none for the rest of the run. */
function capYoungGeneration(): void {
  if (young !== 'held') return;
  young = 'growing';
  const hold = (): void => {
    const size = newSpaceSize();
    if (young === 'growing' && size >= YOUNG_CAP) young = 'capped';
    // once capped, a new space V8 shrank (a quiet moment, late in a run) keeps its size
    setYoungFactor(young === 'capped' ? 1 : youngGrowthFactor(size));
  };
  hold();
  // after each collection (the observer holds no handle: it never keeps the process alive)
  new PerformanceObserver(hold).observe({ entryTypes: ['gc'] });
}
