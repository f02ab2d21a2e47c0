/**
 * sync: registry to registry, directly, after the mirror plan. Idempotent: an image whose
 * destination tag already has the source digest costs one HEAD at each side. The charts the run
 * read travel too, as OCI Helm charts at PREFIX/charts/<name>:<version> as `load` pushes them
 * (a chart already there costs one HEAD).
 */
import type { WantedImage } from '../copy/inputs.js';
import type { ReferrerOptions } from '../copy/types.js';
import { keepGoingError, missingEntries } from '../copy/keep-going.js';
import { failureError, rowFor } from '../copy/report.js';
import type { PlatformFilter } from '../oci/platform.js';
import { readLock, writeLock } from '../lock/io.js';
import type { LockChart, LockImage } from '../lock/types.js';
import type { Logger } from '../log.js';
import type { MappingMode, Target } from '../mapping/index.js';
import { resolveOutput } from '../output/file.js';
import type { Shard } from '../shard/index.js';
import { VERSION } from '../version.js';
import { logShard, planJobs, planLock } from './build.js';
import type { MirrorDeps, MirrorReport } from './deps.js';
import type { DiskChart, HelmCharts } from './charts.js';
import { planMirror } from './plan.js';

export interface SyncInput {
  images: WantedImage[];
  /** The charts the images were read from (directories are packaged as `save` packages them). */
  charts?: DiskChart[];
  target: Target;
  mapping: MappingMode;
  shard?: Shard;
  platforms: PlatformFilter[];
  concurrency?: number;
  /** Absolute path of --lock-out: its earlier lock is reused for unchanged images, then rewritten. */
  lockOut?: string;
  dryRun?: boolean;
  /** What travels with the images; absent: images alone (--no-referrers). */
  referrers?: ReferrerOptions;
  /** `--keep-going`: the failures are listed in one E_INCOMPLETE error and under `missing` in --lock-out. */
  keepGoing?: boolean;
}

/** The lock an earlier run wrote at --lock-out (its platforms are reused for unchanged images); ignored when unreadable. */
async function previousLock(logger: Logger, file: string | undefined): Promise<LockImage[]> {
  if (!file) return [];
  // a device or FIFO (--lock-out /dev/stdout) holds no earlier lock, and reading a FIFO would wait for a writer
  if ((await resolveOutput(file, { label: '--lock-out' })).kind !== 'file') return [];
  try {
    return (await readLock(file)).images;
  } catch (e) {
    logger.log('warn', `ignoring the earlier lock ${file} (${(e as Error).message}); it will be written anew`);
    return [];
  }
}

/** The charts as OCI Helm charts; the packaging code (tar, YAML) loads only when there are charts: start-up is most of a no-op sync. */
async function chartsOf(charts: DiskChart[]): Promise<(HelmCharts & { dependencies: Map<string, Partial<LockChart>> }) | undefined> {
  if (charts.length === 0) return undefined;
  const { diskChartFiles, helmCharts, lockDependencies } = await import('./charts.js');
  const { chartFileName } = await import('../bundle/charts.js');
  const dependencies = new Map(charts.map((c) => [chartFileName(c.name, c.version), lockDependencies(c)]));
  return { ...(await helmCharts(await diskChartFiles(charts), 'the charts of the sync')), dependencies };
}

export async function sync(input: SyncInput, deps: MirrorDeps): Promise<MirrorReport> {
  const helm = await chartsOf(input.charts ?? []);
  const plan = planMirror({
    images: input.images,
    charts: helm?.charts ?? [],
    target: { kind: 'registry', target: input.target, mapping: input.mapping },
    ...(input.shard ? { shard: input.shard } : {}),
    previous: await previousLock(deps.logger, input.lockOut),
  });
  logShard(deps.logger, plan);
  if (input.dryRun) return { plan, dryRun: true, rows: [] };

  const jobs = planJobs(plan, (c) => (c.kind === 'chart' ? helm!.source : deps.pool.source(c.from.registry!)), deps.pool.destination(input.target.host));
  const results = await deps.copy(jobs, { verb: 'syncing', platforms: input.platforms, ...(input.concurrency !== undefined ? { concurrency: input.concurrency } : {}), describeSkipped: input.lockOut !== undefined, ...(input.referrers ? { referrers: input.referrers } : {}) });
  const rows = results.map((r, i) => ({ ...rowFor(r, plan.copies[i]!.source, plan.copies[i]!.destination), kind: plan.copies[i]!.kind }));
  const missing = input.keepGoing ? missingEntries(results, (i) => plan.copies[i]!.source) : [];
  const lock = input.lockOut ? planLock(plan, results, { generator: `airlift ${VERSION}`, ...(helm ? { chartDigests: helm.digests } : {}) }) : undefined;
  // what the lock says of each chart's fetched (and skipped) dependencies, as save's lock does
  if (lock && helm) lock.charts = lock.charts.map((c) => ({ ...c, ...(c.file ? helm.dependencies.get(c.file) : {}) }));
  if (lock && missing.length) lock.missing = missing;
  if (lock) await writeLock(input.lockOut!, lock, '--lock-out');
  const landed = results.filter((r) => r.status !== 'failed').length;
  const failure = input.keepGoing ? keepGoingError(missing, results.length, 'synced', `the other ${landed} are at ${input.target.host}`) : failureError(results, 'synced');
  return { plan, dryRun: false, rows, ...(lock ? { lock } : {}), ...(failure ? { failure } : {}) };
}
