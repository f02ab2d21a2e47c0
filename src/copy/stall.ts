/**
 * Stalled blob transfers. Every transfer (GET at the source → verify → PUT
 * at the destination, or into a file) is sampled every few seconds:
 *
 * - a transfer that moved less than the minimum rate over the last
 *   `warnAfterMs` (20 s; nothing at all when the rate check is off) is
 *   reported as stalled on stderr, naming the image, the blob and the bytes
 *   so far, also when stderr is not a terminal, and again every minute while
 *   it stays so. Waiting for a registry that never answers counts: the clock
 *   starts when the transfer does, not at the first byte.
 * - a transfer that moved less than `minRate` bytes/s over the last
 *   `windowMs` fails with TransferStalledError (E_NETWORK), which the
 *   scheduler does not retry: the window already outlasts the client's own
 *   reconnects, and a CI job should end with this error, not a timeout.
 */
import { NetworkError } from '../errors.js';
import type { Logger } from '../log.js';
import { formatBytes, formatDuration } from '../progress/format.js';
import { onAbortOf } from '../abort.js';

export interface StallOptions {
  /** Bytes per second under which a transfer fails (0: never fails). Default 1 KiB/s. */
  minRate?: number;
  /** Over how long the rate is measured (ms). Default 120 s. */
  windowMs?: number;
  /** A transfer that moved (nearly) nothing this long is reported (ms). Default 20 s. */
  warnAfterMs?: number;
  /** Sampling period (ms). Default 5 s. */
  tickMs?: number;
}

export const DEFAULT_MIN_RATE = 1024;
export const DEFAULT_RATE_WINDOW_MS = 120_000;
const DEFAULT_WARN_AFTER_MS = 20_000;
const DEFAULT_TICK_MS = 5_000;
const REWARN_MS = 60_000;

export class TransferStalledError extends NetworkError {}

export interface TransferInfo {
  image: string;
  digest: string;
  size: number;
  from: string;
  to: string;
}

export interface TrackedTransfer {
  /** Aborted when the transfer is failed as stalled (or when the run's signal is). */
  readonly signal: AbortSignal;
  /** Set when this watch failed the transfer. */
  readonly failure: TransferStalledError | undefined;
  add(bytes: number): void;
  done(): void;
}

interface Live {
  info: TransferInfo;
  started: number;
  bytes: number;
  /** [time, bytes] samples, oldest first, covering at least the window. */
  samples: Array<[number, number]>;
  warnedAt: number | undefined;
  controller: AbortController;
  failure: TransferStalledError | undefined;
}


export class StallWatch {
  private readonly live = new Set<Live>();
  private timer: NodeJS.Timeout | undefined;
  readonly minRate: number;
  readonly windowMs: number;
  private readonly warnAfterMs: number;
  private readonly tickMs: number;

  constructor(
    private readonly logger: Logger,
    o: StallOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.minRate = Math.max(0, o.minRate ?? DEFAULT_MIN_RATE);
    this.windowMs = Math.max(1000, o.windowMs ?? DEFAULT_RATE_WINDOW_MS);
    this.warnAfterMs = Math.min(o.warnAfterMs ?? DEFAULT_WARN_AFTER_MS, this.windowMs);
    this.tickMs = Math.max(100, Math.min(o.tickMs ?? DEFAULT_TICK_MS, this.warnAfterMs / 2));
  }

  track(info: TransferInfo, runSignal?: AbortSignal): TrackedTransfer {
    const t = this.now();
    const controller = new AbortController();
    const l: Live = { info, started: t, bytes: 0, samples: [[t, 0]], warnedAt: undefined, controller, failure: undefined };
    this.live.add(l);
    this.timer ??= setInterval(() => this.tick(), this.tickMs).unref();
    // The run's abort reaches the transfer through its own controller, not AbortSignal.any(): it
    // costs more per transfer, and on Node 20 each call leaves a WeakRef in the run signal's
    // dependants for the rest of the run (one per blob). One listener per run signal aborts the
    // controllers of the transfers running on it (an addEventListener and a removeEventListener
    // per blob cost more than the Set).
    let unlink: (() => void) | undefined;
    if (runSignal?.aborted) controller.abort(runSignal.reason);
    else if (runSignal) unlink = onAbortOf(runSignal, (reason) => controller.abort(reason));
    return {
      signal: controller.signal,
      get failure() {
        return l.failure;
      },
      add: (n: number) => {
        l.bytes += n;
      },
      done: () => {
        unlink?.();
        unlink = undefined;
        this.live.delete(l);
        if (this.live.size === 0 && this.timer) {
          clearInterval(this.timer);
          this.timer = undefined;
        }
      },
    };
  }

  /** Bytes moved since `ms` ago (from the newest sample at least that old; undefined when the transfer is younger). */
  private movedSince(l: Live, t: number, ms: number): number | undefined {
    if (t - l.started < ms) return undefined;
    let base: [number, number] = l.samples[0]!;
    for (const s of l.samples) {
      if (t - s[0] >= ms) base = s;
      else break;
    }
    return l.bytes - base[1];
  }

  /** One sampling round (exposed for tests with a fake clock). */
  tick(): void {
    const t = this.now();
    for (const l of this.live) {
      l.samples.push([t, l.bytes]);
      // keep one sample older than the window, drop the rest of the old ones
      while (l.samples.length > 2 && t - l.samples[1]![0] >= this.windowMs) l.samples.shift();
      const { info } = l;
      const sofar = `${formatBytes(l.bytes)} of ${formatBytes(info.size)} so far`;
      if (this.minRate > 0) {
        const moved = this.movedSince(l, t, this.windowMs);
        if (moved !== undefined && moved < this.minRate * (this.windowMs / 1000)) {
          l.failure = new TransferStalledError(
            `transfer stalled: blob ${info.digest} of ${info.image} moved ${formatBytes(moved)} in the last ${formatDuration(this.windowMs)}, ` +
              `below the minimum rate of ${formatBytes(this.minRate)}/s (${sofar}, from ${info.from} to ${info.to})`,
            {
              hint: `${info.from} (or ${info.to}) is not moving data; if the link is really this slow, lower --min-rate (0 turns the check off) or lengthen --min-rate-window`,
            },
          );
          this.logger.log('debug', l.failure.message);
          this.live.delete(l);
          l.controller.abort(l.failure);
          continue;
        }
      }
      const recent = this.movedSince(l, t, this.warnAfterMs);
      const slow = recent !== undefined && (this.minRate > 0 ? recent < this.minRate * (this.warnAfterMs / 1000) : recent === 0);
      if (!slow) {
        l.warnedAt = undefined;
        continue;
      }
      if (l.warnedAt !== undefined && t - l.warnedAt < REWARN_MS) continue;
      const waiting = l.bytes === 0 ? `; ${info.from} has not started sending it` : '';
      const fate = this.minRate > 0 ? `; it fails if under ${formatBytes(this.minRate)}/s over ${formatDuration(this.windowMs)}` : '';
      this.logger.log(
        'warn',
        `${l.warnedAt === undefined ? 'stalled' : 'still stalled'}: blob ${info.digest} of ${info.image}: ${formatBytes(recent!)} in the last ${formatDuration(this.warnAfterMs)} (${sofar}, from ${info.from} to ${info.to})${waiting}${fate}`,
        { image: info.image, digest: info.digest, bytes: l.bytes, size: info.size },
      );
      l.warnedAt = t;
    }
    if (this.live.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.live.clear();
  }
}
