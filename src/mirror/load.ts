/**
 * load: every image of a bundle (or an OCI layout directory) and every chart in it (as an OCI
 * Helm chart at PREFIX/charts/<name>:<version>) into one registry, after the mirror plan. No
 * network other than the target.
 */
import { MAX_CHART_BYTES } from '../bundle/charts.js';
import { dedupeByReference } from '../bundle/conflicts.js';
import { bundleFiles, bundleImages, bundleLock, openBundle } from '../bundle/images.js';
import { failureError, rowFor, type ReportRow } from '../copy/report.js';
import { writeLock } from '../lock/io.js';
import type { Lock } from '../lock/types.js';
import type { MappingMode, Target } from '../mapping/index.js';
import { resolveOutput } from '../output/file.js';
import type { Shard } from '../shard/index.js';
import type { LockChart } from '../lock/types.js';
import { VERSION } from '../version.js';
import { logShard, planJobs, planLock } from './build.js';
import type { MirrorDeps, MirrorReport } from './deps.js';
import { helmCharts, type ChartFile } from './charts.js';
import { planMirror } from './plan.js';

export interface LoadInput {
  /** Absolute path of the bundle. */
  bundle: string;
  /** The bundle as the user named it, for messages. */
  name: string;
  target: Target;
  mapping: MappingMode;
  shard?: Shard;
  /** Absolute path of --lock-out. */
  lockOut?: string;
  dryRun?: boolean;
}

export async function load(input: LoadInput, deps: MirrorDeps): Promise<MirrorReport> {
  const { name, target } = input;
  // refused before anything is pushed: a directory, or a missing parent directory
  if (input.lockOut) await resolveOutput(input.lockOut, { label: '--lock-out' });
  const source = await openBundle(input.bundle);
  try {
    const images = dedupeByReference(bundleImages(source, name));
    const lock = await bundleLock(source, name);
    // Charts in the bundle, as OCI Helm charts under PREFIX/charts/ (read by every shard for the conflict check).
    const chartFiles: ChartFile[] = [];
    const files = bundleFiles(source);
    if (files) {
      for (const file of (await files.extraFiles()).filter((f) => /^charts\/[^/]+\.tgz$/.test(f))) {
        chartFiles.push({ file, label: `${name}: ${file}`, tgz: await files.readFile(file, MAX_CHART_BYTES) });
      }
    }
    const { source: charts, charts: planCharts } = await helmCharts(chartFiles, `charts of ${name}`);
    const plan = planMirror({
      images: images.map((i) => ({ ref: i.ref, formatted: i.formatted, digest: i.descriptor.digest })),
      charts: planCharts,
      target: { kind: 'registry', target, mapping: input.mapping },
      ...(input.shard ? { shard: input.shard } : {}),
      previous: lock?.images ?? [],
      where: name,
    });
    logShard(deps.logger, plan);
    if (input.dryRun) return { plan, dryRun: true, rows: [] };

    const jobs = planJobs(plan, (c) => (c.kind === 'chart' ? charts : source), deps.pool.destination(target.host));
    const results = await deps.copy(jobs, { verb: 'loading', platforms: [], describeSkipped: false });
    const rows: ReportRow[] = results.map((r, i) => ({ ...rowFor(r, plan.copies[i]!.source, plan.copies[i]!.destination), kind: plan.copies[i]!.kind }));
    let written: Lock | undefined;
    if (input.lockOut) {
      const chartDigests = new Map<string, string>();
      for (const c of lock?.charts ?? []) if (c.file && c.digest && !chartDigests.has(c.file)) chartDigests.set(c.file, c.digest);
      // a fetched chart keeps its source in the landed lock
      const chartOrigins = new Map<string, Pick<LockChart, 'packaging' | 'source' | 'sourceDigest'>>();
      for (const c of lock?.charts ?? []) {
        if (c.file && c.source && !chartOrigins.has(c.file)) chartOrigins.set(c.file, { ...(c.packaging ? { packaging: c.packaging } : {}), source: c.source, ...(c.sourceDigest ? { sourceDigest: c.sourceDigest } : {}) });
      }
      written = planLock(plan, results, { generator: `airlift ${VERSION}`, chartDigests, chartOrigins });
      await writeLock(input.lockOut, written, '--lock-out');
    }
    if (lock?.files?.length) {
      deps.logger.log('info', `${name} also carries ${lock.files.map((f) => f.file).join(', ')}: not pushed (airlift itself, from save --include-self; tar -xf ${name} ${lock.files[0]!.file.split('/')[0]}/ takes it out)`);
    }
    const failure = failureError(results, 'loaded');
    return { plan, dryRun: false, rows, ...(written ? { lock: written } : {}), ...(failure ? { failure } : {}) };
  } finally {
    await source.close();
  }
}
