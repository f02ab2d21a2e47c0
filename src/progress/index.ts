/**
 * Progress on stderr while images are copied. Three renderings of the same
 * engine events: an ora spinner with per-image and total bytes and rate on a
 * terminal; one plain line per image otherwise; one JSON object per event
 * with --json. --quiet shows nothing but errors. stdout is never touched.
 */
import type { Writable } from 'node:stream';
import type { Ora } from 'ora';
import type { Logger, LogLevel } from '../log.js';
import { formatBytes, formatDuration, formatRate, shortDigest } from './format.js';

export { formatBytes, formatDuration, formatRate, shortDigest } from './format.js';

export interface ProgressOptions {
  stderr: Writable;
  isTTY: boolean;
  json: boolean;
  quiet: boolean;
  /** What is being done, for the spinner: "copying", "saving", "loading". */
  verb?: string;
}

export interface Summary {
  images: number;
  copied: number;
  skipped: number;
  failed: number;
  bytes: number;
  ms: number;
}

export interface Progress {
  /** The logger to give the engine: events are rendered here, logs pass through. */
  readonly logger: Logger;
  /** Byte counts as blob data flows (the engine's onBytes). */
  onBytes(image: string, bytes: number): void;
  /** Starts the display (loads the spinner only on a terminal). */
  start(totalImages: number): Promise<void>;
  /** Stops the spinner and prints (or emits) the summary. */
  finish(summary: Omit<Summary, 'ms'>): Summary;
}

type Mode = 'quiet' | 'json' | 'tty' | 'plain';

export function createProgress(base: Logger, opts: ProgressOptions): Progress {
  const mode: Mode = opts.quiet ? 'quiet' : opts.json ? 'json' : opts.isTTY ? 'tty' : 'plain';
  const verb = opts.verb ?? 'copying';
  const started = Date.now();
  let total = 0;
  let done = 0;
  let bytes = 0;
  const active = new Map<string, number>();
  let spinner: Ora | undefined;
  let timer: NodeJS.Timeout | undefined;

  const spinnerText = (): string => {
    const el = Date.now() - started;
    const current = [...active].slice(0, 3).map(([name, b]) => `${name} ${formatBytes(b)}`);
    return `${verb} ${done}/${total} images · ${formatBytes(bytes)} · ${formatRate(bytes, el)}${current.length ? ` · ${current.join(', ')}` : ''}`;
  };
  /** Writes a whole line above the spinner. */
  const line = (text: string): void => {
    if (spinner?.isSpinning) {
      spinner.clear();
      opts.stderr.write(`${text}\n`);
      spinner.render();
    } else opts.stderr.write(`${text}\n`);
  };

  const logger: Logger = {
    log(level: LogLevel, message: string, fields?: Record<string, unknown>) {
      if (spinner?.isSpinning) spinner.clear();
      base.log(level, message, fields);
      if (spinner?.isSpinning) spinner.render();
    },
    event(name: string, fields: Record<string, unknown>) {
      if (mode === 'json') base.event(name, fields);
      const image = String(fields.image ?? '');
      if (name === 'image.start') active.set(image, 0);
      if (name !== 'image.done') return;
      active.delete(image);
      done++;
      if (mode === 'quiet' || mode === 'json') return;
      const status = String(fields.status);
      if (status === 'failed') return; // errors are reported once, by the command
      const detail =
        status === 'skipped'
          ? 'already at the destination'
          : `${Number(fields.uploaded ?? 0)} blobs copied (${formatBytes(Number(fields.bytes ?? 0))}), ${Number(fields.mounted ?? 0)} mounted, ${Number(fields.existing ?? 0)} present`;
      const mark = mode === 'tty' ? (status === 'skipped' ? '=' : '✔') : status;
      line(`${mark} ${image} ${shortDigest(fields.digest as string | undefined)} ${detail}`.replace(/\s+/g, ' '));
    },
  };

  return {
    logger,
    onBytes(image: string, n: number) {
      bytes += n;
      if (active.has(image)) active.set(image, active.get(image)! + n);
    },
    async start(totalImages: number) {
      total = totalImages;
      if (mode !== 'tty') return;
      // ora and its dependencies load only when a terminal will show a spinner
      const { default: ora } = await import('ora');
      spinner = ora({ text: spinnerText(), stream: opts.stderr as NodeJS.WritableStream, isEnabled: true, discardStdin: false, hideCursor: false });
      spinner.start();
      timer = setInterval(() => {
        if (spinner) spinner.text = spinnerText();
      }, 200);
      timer.unref();
    },
    finish(s: Omit<Summary, 'ms'>): Summary {
      if (timer) clearInterval(timer);
      const summary: Summary = { ...s, ms: Date.now() - started };
      const text = `${s.images} images: ${s.copied} copied, ${s.skipped} already there, ${s.failed} failed · ${formatBytes(s.bytes)} in ${formatDuration(summary.ms)} (${formatRate(s.bytes, summary.ms)})`;
      if (spinner) {
        if (s.failed > 0) spinner.fail(text);
        else spinner.succeed(text);
        spinner = undefined;
      } else if (mode === 'plain') opts.stderr.write(`${text}\n`);
      else if (mode === 'json') base.event('summary', { ...summary });
      return summary;
    },
  };
}
