/**
 * Progress on stderr while images and charts are copied: the same engine events rendered four
 * ways. On a terminal, one status line redrawn in place (images done/total, charts, bytes
 * done/total, rate, ETA), cut to the terminal's width, with a line per finished image above it.
 * Off a terminal (or on one that reports no width, as `script` and `docker run -t` do at start)
 * the per-image lines and the same status as a periodic line. With --json, the engine's events
 * (`plan` first, `image.*`, `blob.*`), a periodic `progress` event with byte progress within large
 * blobs, and a typed `summary`. --quiet shows nothing but errors. stdout is never touched.
 */
import type { Writable } from 'node:stream';
import type { Logger, LogLevel } from '../log.js';
import { formatBytes, formatDuration, shortDigest } from './format.js';
import { fitWidth, statusLine, type Status } from './status.js';

export { formatBytes, formatDuration, formatRate, shortDigest } from './format.js';
export { fitWidth, statusLine } from './status.js';

export interface ProgressOptions {
  stderr: Writable;
  isTTY: boolean;
  json: boolean;
  quiet: boolean;
  /** What is being done: "copying", "saving", "loading". */
  verb?: string;
  /** The terminal's width now (default: the stream's `columns`); 0 or less means unknown. */
  columns?: () => number | undefined;
  /** Period of the status updates (default: 200 ms on a terminal, 5 s off it, 1 s with --json). */
  intervalMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

export interface Counts {
  total: number;
  copied: number;
  skipped: number;
  failed: number;
}

export interface Summary {
  /** Images only: a chart is never counted as an image. */
  images: number;
  copied: number;
  skipped: number;
  failed: number;
  /** Charts (stored as OCI artifacts), when the run carried any. */
  charts?: Counts;
  bytes: number;
  ms: number;
}

export interface Progress {
  /** The logger to give the engine: events are rendered here, logs pass through. */
  readonly logger: Logger;
  /** Byte counts as blob data flows (the engine's onBytes). */
  onBytes(image: string, bytes: number, digest?: string): void;
  /** Starts the display; `total` jobs until the engine's plan says how many are images and charts. */
  start(total: number): Promise<void>;
  /** Stops the display and prints (or emits) the summary. */
  finish(summary: Omit<Summary, 'ms'>): Summary;
  /** Sizes of blobs the display still holds (flowing, or not to move before the plan is known): for tests and diagnostics. */
  held(): number;
}

/** Blobs at least this large get byte progress of their own in --json `progress` events. */
export const LARGE_BLOB = 16 * 1024 * 1024;

type Mode = 'quiet' | 'json' | 'tty' | 'plain';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function summaryText(s: Summary): string {
  const parts = [`${plural(s.images, 'image')}: ${s.copied} copied, ${s.skipped} already there, ${s.failed} failed`];
  if (s.charts && s.charts.total > 0) parts.push(`${plural(s.charts.total, 'chart')}: ${s.charts.copied} copied, ${s.charts.skipped} already there, ${s.charts.failed} failed`);
  const rate = s.ms > 0 ? `${formatBytes(Math.round((s.bytes * 1000) / s.ms))}/s` : '-';
  return `${parts.join('; ')} · ${formatBytes(s.bytes)} in ${formatDuration(s.ms)} (${rate})`;
}

export function createProgress(base: Logger, opts: ProgressOptions): Progress {
  const mode: Mode = opts.quiet ? 'quiet' : opts.json ? 'json' : opts.isTTY ? 'tty' : 'plain';
  const verb = opts.verb ?? 'copying';
  const now = opts.now ?? Date.now;
  const columns = opts.columns ?? (() => (opts.stderr as { columns?: number }).columns);
  const started = now();
  const st: Status = { verb, images: { done: 0, total: 0 }, charts: { done: 0, total: 0 }, bytes: 0, bytesTotal: 0, elapsedMs: 0 };
  let planned = false;
  let planBytes: number | undefined;
  /** Digests whose bytes are in bytesTotal; digests found already stored (not to move). */
  const counted = new Set<string>();
  const notMoved = new Set<string>();
  /** Blobs streaming now: digest → bytes so far, size, image. */
  const flowing = new Map<string, { image: string; bytes: number; size: number }>();
  /** Sizes of the blobs named by the engine so far. */
  const sizes = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  /** Whether a status line is drawn on the terminal now (it is cleared before anything else is written). */
  let drawn = false;
  let lastPlain = '';
  let lastPlainAt = -Infinity;
  /** Period of the status line off a terminal (or on one with no width). */
  const plainEvery = mode === 'plain' ? (opts.intervalMs ?? 5000) : 5000;
  let frame = 0;

  const width = (): number => {
    const c = Number(columns());
    return Number.isFinite(c) && c >= 1 ? Math.floor(c) : 0;
  };
  const status = (): Status => ({ ...st, elapsedMs: now() - started });
  const clear = (): void => {
    if (drawn) opts.stderr.write('\r\x1b[K');
    drawn = false;
  };
  const draw = (): void => {
    const w = width();
    if (w === 0) {
      // a terminal that reports no width: no redrawing in place, the periodic line instead
      clear();
      return;
    }
    const spin = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏'[frame++ % 10]!;
    opts.stderr.write(`\r${fitWidth(`${spin} ${statusLine(status())}`, w - 1)}\x1b[K`);
    drawn = true;
  };
  /** Writes whole lines, above the status line on a terminal. */
  const line = (text: string): void => {
    clear();
    opts.stderr.write(`${text}\n`);
    if (mode === 'tty' && timer) draw();
  };
  const periodicLine = (): void => {
    if (now() - lastPlainAt < plainEvery) return;
    const text = statusLine(status());
    // nothing new, nothing written: an idle wait adds no lines to a CI log
    const key = `${st.images.done}/${st.charts.done}/${st.bytes}`;
    if (key === lastPlain) return;
    lastPlain = key;
    lastPlainAt = now();
    opts.stderr.write(`${text}\n`);
  };
  const progressEvent = (): void => {
    const s = status();
    const rate = s.elapsedMs > 0 ? Math.round((s.bytes * 1000) / s.elapsedMs) : 0;
    const large = [...flowing].filter(([, f]) => f.size >= LARGE_BLOB).map(([digest, f]) => ({ image: f.image, digest, bytes: f.bytes, size: f.size }));
    base.event('progress', {
      images: { ...s.images },
      ...(s.charts.total > 0 ? { charts: { ...s.charts } } : {}),
      bytes: s.bytes,
      bytesTotal: s.bytesTotal,
      bytesPerSecond: rate,
      ...(rate > 0 && s.bytesTotal > s.bytes ? { etaSeconds: Math.ceil((s.bytesTotal - s.bytes) / rate) } : {}),
      ...(large.length > 0 ? { blobs: large } : {}),
    });
  };
  const tick = (): void => {
    if (mode === 'tty') {
      if (width() > 0) draw();
      else periodicLine();
    } else if (mode === 'plain') periodicLine();
    else if (mode === 'json') progressEvent();
  };

  const logger: Logger = {
    ...(base.debug !== undefined ? { debug: base.debug } : {}),
    log(level: LogLevel, message: string, fields?: Record<string, unknown>) {
      // a line the base logger drops neither clears nor redraws the status line (one per request)
      if (level === 'debug' && base.debug === false) return;
      clear();
      base.log(level, message, fields);
      if (mode === 'tty' && timer && width() > 0) draw();
    },
    event(name: string, fields: Record<string, unknown>) {
      if (mode === 'json') base.event(name, fields);
      if (name === 'plan') {
        planned = true;
        st.images.total = Number(fields.images ?? st.images.total);
        st.charts.total = Number(fields.charts ?? 0);
        if (typeof fields.bytes === 'number') {
          planBytes = fields.bytes;
          st.bytesTotal = Math.max(0, planBytes - sizeOf(notMoved));
        }
        for (const d of notMoved) sizes.delete(d);
        return;
      }
      const digest = String(fields.digest ?? '');
      const size = Number(fields.size ?? 0);
      if (name === 'blob.start') {
        if (planBytes === undefined && !counted.has(digest)) st.bytesTotal += size;
        counted.add(digest);
        sizes.set(digest, size);
        return;
      }
      if (name === 'blob.done') {
        flowing.delete(digest);
        // a size is needed while its blob flows, and for a blob not to move until the plan's bytes
        // are known (they are subtracted then); after that, one per blob of the run was kept for nothing
        if (planned) sizes.delete(digest);
        if (fields.outcome !== 'uploaded' && !counted.has(digest) && !notMoved.has(digest)) {
          // already at the destination (or staged by an earlier save): not to move
          notMoved.add(digest);
          if (!planned) sizes.set(digest, size);
          if (planBytes !== undefined) st.bytesTotal = Math.max(0, st.bytesTotal - size);
        }
        return;
      }
      if (name !== 'image.done') return;
      const chart = fields.kind === 'chart';
      (chart ? st.charts : st.images).done++;
      if (mode === 'quiet' || mode === 'json') return;
      const statusWord = String(fields.status);
      if (statusWord === 'failed') return; // errors are reported once, by the command
      const image = String(fields.image ?? '');
      const detail =
        statusWord === 'skipped'
          ? 'already at the destination'
          : `${Number(fields.uploaded ?? 0)} blobs copied (${formatBytes(Number(fields.bytes ?? 0))}), ${Number(fields.mounted ?? 0)} mounted, ${Number(fields.existing ?? 0)} present`;
      const mark = mode === 'tty' ? (statusWord === 'skipped' ? '=' : '✔') : statusWord;
      line(`${mark} ${image} ${shortDigest(fields.digest as string | undefined)} ${detail}`.replace(/\s+/g, ' '));
    },
  };
  function sizeOf(set: Set<string>): number {
    let n = 0;
    for (const d of set) n += sizes.get(d) ?? 0;
    return n;
  }

  return {
    logger,
    held: () => sizes.size + flowing.size,
    onBytes(image: string, n: number, digest?: string) {
      st.bytes += n;
      if (digest === undefined) return;
      const f = flowing.get(digest);
      if (f) f.bytes += n;
      else flowing.set(digest, { image, bytes: n, size: sizes.get(digest) ?? 0 });
    },
    async start(total: number) {
      if (!planned) st.images.total = total;
      if (mode === 'quiet') return;
      const every = opts.intervalMs ?? (mode === 'tty' ? 200 : mode === 'json' ? 1000 : 5000);
      if (mode === 'tty' && width() > 0) draw();
      timer = setInterval(tick, every);
      timer.unref();
    },
    finish(s: Omit<Summary, 'ms'>): Summary {
      if (timer) clearInterval(timer);
      timer = undefined;
      const summary: Summary = { ...s, ms: now() - started };
      if (mode === 'json') base.event('summary', { ...summary });
      else if (mode !== 'quiet') {
        clear();
        opts.stderr.write(`${mode === 'tty' ? (s.failed > 0 || (s.charts?.failed ?? 0) > 0 ? '✖ ' : '✔ ') : ''}${summaryText(summary)}\n`);
      }
      return summary;
    },
  };
}
