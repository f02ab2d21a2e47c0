/**
 * Wiring shared by save, load, sync and copy: the registry endpoint pool
 * (src/endpoint/pool.ts) on the run's client, the copy run with progress on
 * stderr, and the failure that ends a run when images failed.
 */
import { collect } from './options.js';
import type { Command } from 'commander';
import { copyImages, type CopyJob, type CopyResult, type PlatformFilter } from '../src/copy/index.js';
import { failureError } from '../src/copy/report.js';
import { EndpointPool } from '../src/endpoint/pool.js';
import { createProgress } from '../src/progress/index.js';
import type { CommandContext } from './context.js';
import { registryClientFromContext } from './registry-client.js';

/** The registry endpoints of a run (one per host and role), on the RegistryClient the global options describe. */
export function endpointPool(ctx: CommandContext): EndpointPool {
  return new EndpointPool(() => registryClientFromContext(ctx));
}

/** Adds the flags every copying command shares. */
export function platformOption(cmd: Command): Command {
  return cmd.option('--platform <os/arch[/variant]>', 'copy only this platform of multi-platform images (repeatable)', collect, []);
}

export interface RunOptions {
  verb: string;
  platforms: PlatformFilter[];
  concurrency?: number;
  describeSkipped?: boolean;
  signal?: AbortSignal;
}

/** Copies the jobs with progress on stderr; throws one error naming every failed image. */
export async function runJobs(ctx: CommandContext, jobs: CopyJob[], o: RunOptions): Promise<CopyResult[]> {
  const g = ctx.globals();
  const progress = createProgress(ctx.logger(), { stderr: ctx.io.stderr, isTTY: ctx.io.stderrIsTTY, json: g.json, quiet: g.quiet, verb: o.verb });
  await progress.start(jobs.length);
  let results: CopyResult[];
  try {
    results = await copyImages(jobs, {
      concurrency: o.concurrency ?? g.concurrency,
      logger: progress.logger,
      onBytes: (image, n, digest) => progress.onBytes(image, n, digest),
      stall: { minRate: g.minRate, windowMs: g.minRateWindowMs },
      ...(o.platforms.length ? { platforms: o.platforms } : {}),
      ...(o.describeSkipped ? { describeSkipped: true } : {}),
      ...((o.signal ?? ctx.io.signal) ? { signal: o.signal ?? ctx.io.signal } : {}),
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

/** Throws when any image failed (after the caller has written what it could). */
export function throwIfFailed(results: CopyResult[], verb: string): void {
  const e = failureError(results, verb);
  if (e) throw e;
}
