/**
 * What a mirror plan becomes: copy jobs (the plan with its stores attached), the lock of what
 * the copies did, the dry-run rendering of the plan and its shard line. Pure: the stores and the logger are given.
 */
import type { CopyJob, CopyResult } from '../copy/types.js';
import type { ImageDestination, ImageSource } from '../endpoint/types.js';
import { buildLock, lockImage } from '../lock/build.js';
import type { Lock, LockChart, LockFile, LockImage } from '../lock/types.js';
import { formatTarget } from '../mapping/index.js';
import type { Logger } from '../log.js';
import { formatShard } from '../shard/index.js';
import { shardNote, type MirrorPlan, type PlannedCopy } from './plan.js';
import { alignRows, columnWidths } from '../output/table.js';

/** The copy jobs of a plan, in its order: `source` gives the store each copy reads from. */
export function planJobs(plan: MirrorPlan, source: (copy: PlannedCopy) => ImageSource, dest: ImageDestination): CopyJob[] {
  return plan.copies.map((c) => ({
    source: { store: source(c), repo: c.from.repo, reference: c.from.reference },
    dest: { store: dest, repo: c.to.repo, tag: c.to.tag },
    name: c.name,
    ...(c.kind === 'chart' ? { kind: 'chart' as const } : {}),
    ...(c.previous ? { previous: c.previous } : {}),
  }));
}

export interface PlanLockOptions {
  generator: string;
  /** Charts recorded by the caller (save packages them itself); by default the plan's chart copies that landed. */
  charts?: LockChart[];
  /** Digests of chart files as an earlier lock recorded them (load: the bundle's lock). */
  chartDigests?: ReadonlyMap<string, string>;
  /** Where chart files came from, as an earlier lock recorded it (load: a fetched chart's packaging, source, sourceDigest). */
  chartOrigins?: ReadonlyMap<string, Pick<LockChart, 'packaging' | 'source' | 'sourceDigest'>>;
  files?: LockFile[];
}

/** The lock of a run: every image and chart the copies stored (results in the plan's order). A bundle records no destinations. */
export function planLock(plan: MirrorPlan, results: CopyResult[], o: PlanLockOptions): Lock {
  const toRegistry = plan.target.kind === 'registry';
  const images: LockImage[] = [];
  const charts: LockChart[] = [];
  plan.copies.forEach((c, i) => {
    const result = results[i]!;
    if (c.kind === 'image') {
      const e = lockImage({ result, source: c.source, ...(toRegistry ? { destination: c.destination } : {}) });
      if (e) images.push(e);
    } else if (result.status !== 'failed' && c.chart) {
      const digest = o.chartDigests?.get(c.chart.file);
      const origin = o.chartOrigins?.get(c.chart.file);
      charts.push({ name: c.chart.name, version: c.chart.version, file: c.chart.file, ...(digest ? { digest } : {}), ...origin, destination: c.destination });
    }
  });
  return buildLock({
    generator: o.generator,
    ...(plan.target.kind === 'registry' ? { target: formatTarget(plan.target.target) } : {}),
    images,
    charts: o.charts ?? charts,
    ...(o.files ? { files: o.files } : {}),
  });
}

/** `--dry-run`: what would be copied, to where (a table, or JSON with `-o json`). */
export function formatPlan(plan: MirrorPlan, format: 'table' | 'json'): string {
  const rows = plan.copies.map((c) => ({ kind: c.kind, source: c.source, destination: c.destination, ...(c.previous ? { previousDigest: c.previous.digest } : {}) }));
  if (format === 'json') return `${JSON.stringify(rows, null, 2)}\n`;
  const header = ['KIND', 'SOURCE', 'DESTINATION'];
  const cells = [header, ...rows.map((r) => [r.kind, r.source, r.destination])];
  return `${alignRows(cells, columnWidths(cells, header.length)).join('\n')}\n`;
}

/** Logs the shard a plan is of. */
export function logShard(logger: Logger, plan: MirrorPlan): void {
  const note = shardNote(plan);
  if (note) logger.log('info', note, { shard: formatShard(plan.shard!), images: plan.images, total: plan.total });
}
