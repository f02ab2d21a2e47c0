/**
 * V8's optimizing compiler (TurboFan) for a run that may be short. TurboFan compiles a function on
 * a background thread once it has run enough; the large async functions of a copy (the engine's
 * per-image walk, the blob scheduler, the request layer, referrer discovery) reach that point
 * within the first few hundred images, and compiling them costs more than they then save unless
 * the run goes on. A save of 200 small images (Node 20, test/bench/README.md "TurboFan in short
 * runs"): 150-170 ms of CPU on V8's threads went to TurboFan with the main thread's CPU unchanged
 * (730-740 ms with it, 730-740 without), 15% of the run. So save starts without TurboFan (the
 * interpreter and Sparkplug, V8's baseline compiler, run everything; Maglev too where V8 has it on)
 * and turns it on once the process has used OPTIMIZE_AFTER_CPU_MS of CPU, or read
 * OPTIMIZE_AFTER_BYTES (Linux: /proc/self/io's rchar, sockets and files alike): a long run (2,000
 * images) and one moving large blobs (the per-chunk code of a save of 482 MiB, which lost 10-15% of
 * its CPU when TurboFan waited for the CPU alone) get optimized code from then on. A --turbofan,
 * --no-turbofan, --max-opt or --jitless given to node is left as given.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { nodeFlagGiven } from '../src/cli/argv.js';

/** CPU (user + system, every thread) after which TurboFan is turned on again. */
export const OPTIMIZE_AFTER_CPU_MS = 1000;
/**
 * sync's CPU trigger: a no-op resync of 200 images (0.2-0.3 CPU-s) spent 30-40 ms of it on TurboFan's
 * thread for nothing, while one of 2,000 with referrers (1.5 CPU-s) used 0.2 CPU-s more when TurboFan
 * waited for the whole first second (test/bench/README.md, p26-resync).
 */
export const SYNC_OPTIMIZE_AFTER_CPU_MS = 300;
/** Bytes read (network and files) after which TurboFan is turned on again, whatever the CPU. */
export const OPTIMIZE_AFTER_BYTES = 32 * 1024 * 1024;
/** How often the CPU used and the bytes read are looked at until then. */
const CHECK_EVERY_MS = 50;

/**
 * Only on V8 < 12 (Node 20), where it was measured. On V8 13 (Node 24) a function that ran hot while
 * TurboFan was off is never compiled by it once it is back on (only functions first run after are):
 * the copy's hot code would stay unoptimized for the whole of a long run. On V8 12 (Node 22), turning
 * it off and on changes V8's flag hash, so the code cache of `save` was refused and rewritten in
 * every run. Both are asserted in test/unit/cli/jit.test.ts and code-cache.test.ts.
 */
export const DEFER_APPLIES = Number(process.versions.v8.split('.')[0]) < 12;

let deferred = false;
let timer: NodeJS.Timeout | undefined;

/** Whether node was given a flag that says how V8 optimizes: then it is left alone. */
export function optimizerFlagGiven(): boolean {
  return ['turbofan', 'max-opt', 'jitless'].some((f) => nodeFlagGiven(f));
}

/** Bytes this process has read so far (/proc/self/io's rchar), or undefined where it cannot tell. */
export function bytesRead(): number | undefined {
  try {
    const m = /^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'latin1'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** TurboFan off until the process has used `afterMs` of CPU or read `afterBytes` more bytes (a timer that holds no handle). */
export function deferOptimizer(afterMs = OPTIMIZE_AFTER_CPU_MS, afterBytes = OPTIMIZE_AFTER_BYTES): void {
  const used = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  // a process already past it (a second command in one process, as the tests run them) is left alone
  if (!DEFER_APPLIES || deferred || optimizerFlagGiven() || used() >= afterMs) return;
  deferred = true;
  setFlagsFromString('--no-turbofan');
  const read0 = bytesRead();
  timer = setInterval(() => {
    const read = read0 === undefined ? undefined : bytesRead();
    if (used() >= afterMs || (read !== undefined && read - read0! >= afterBytes)) resumeOptimizer();
  }, CHECK_EVERY_MS);
  timer.unref();
}

/** TurboFan on again (V8's default), if deferOptimizer() turned it off. */
export function resumeOptimizer(): void {
  if (timer) clearInterval(timer);
  timer = undefined;
  if (!deferred) return;
  deferred = false;
  setFlagsFromString('--turbofan');
}
