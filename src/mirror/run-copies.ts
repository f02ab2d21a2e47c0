/**
 * A copy run with its progress: the copy engine over the jobs, progress rendered on stderr (a
 * status line on a terminal, plain lines off one, JSON events with --json), and the summary of
 * images and charts copied, skipped and failed. The CLI gives it its streams and flags.
 */
import type { Writable } from 'node:stream';
import { copyImages, type CopyJob, type CopyResult } from '../copy/index.js';
import type { Logger } from '../log.js';
import { createProgress } from '../progress/index.js';
import type { CopyRun } from './deps.js';

export interface ProgressEnv {
  logger: Logger;
  stderr: Writable;
  isTTY: boolean;
  json: boolean;
  quiet: boolean;
  /** Parallel transfers unless the run says otherwise. */
  concurrency: number;
  /** Bytes/s under which a blob transfer fails (0: never), measured over minRateWindowMs. */
  minRate: number;
  minRateWindowMs: number;
  signal?: AbortSignal;
  /** Called once, as the first bytes of a blob move (sync turns TurboFan on then: cmd/jit.ts). */
  onCopying?: () => void;
}

/** Copies the jobs with progress on `env.stderr`; results in the jobs' order. */
export async function runCopies(env: ProgressEnv, jobs: CopyJob[], o: CopyRun): Promise<CopyResult[]> {
  const progress = createProgress(env.logger, { stderr: env.stderr, isTTY: env.isTTY, json: env.json, quiet: env.quiet, verb: o.verb });
  await progress.start(jobs.length);
  let results: CopyResult[];
  let onCopying = env.onCopying;
  try {
    results = await copyImages(jobs, {
      concurrency: o.concurrency ?? env.concurrency,
      logger: progress.logger,
      onBytes: (image, n, digest) => {
        if (onCopying) {
          const first = onCopying;
          onCopying = undefined;
          first();
        }
        progress.onBytes(image, n, digest);
      },
      stall: { minRate: env.minRate, windowMs: env.minRateWindowMs },
      ...(o.platforms.length ? { platforms: o.platforms } : {}),
      ...(o.describeSkipped ? { describeSkipped: true } : {}),
      ...(o.referrers ? { referrers: o.referrers } : {}),
      ...(env.signal ? { signal: env.signal } : {}),
    });
  } catch (err) {
    const charts = jobs.filter((j) => j.kind === 'chart').length;
    progress.finish({
      images: jobs.length - charts,
      copied: 0,
      skipped: 0,
      failed: jobs.length - charts,
      ...(charts > 0 ? { charts: { total: charts, copied: 0, skipped: 0, failed: charts } } : {}),
      bytes: 0,
    });
    throw err;
  }
  // images and charts counted apart: a chart is never called an image
  const of = (kind: 'image' | 'chart') => results.filter((r) => (r.job.kind ?? 'image') === kind);
  const count = (rs: CopyResult[], s: string): number => rs.filter((r) => r.status === s).length;
  const images = of('image');
  const charts = of('chart');
  progress.finish({
    images: images.length,
    copied: count(images, 'copied'),
    skipped: count(images, 'skipped'),
    failed: count(images, 'failed'),
    ...(charts.length > 0 ? { charts: { total: charts.length, copied: count(charts, 'copied'), skipped: count(charts, 'skipped'), failed: count(charts, 'failed') } } : {}),
    bytes: results.reduce((n, r) => n + r.blobs.bytes, 0),
  });
  return results;
}
