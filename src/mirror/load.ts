/**
 * load: every image of a bundle (or an OCI layout directory) and every chart in it (as an OCI
 * Helm chart at PREFIX/charts/<name>:<version>) into one registry, after the mirror plan. No
 * network other than the target.
 */
import type { ReferrerOptions } from '../copy/types.js';
import { MAX_CHART_BYTES, chartMetadata } from '../bundle/charts.js';
import { dedupeByReference } from '../bundle/conflicts.js';
import { bundleFiles, bundleImages, bundleLock, openBundle } from '../bundle/images.js';
import { OciArchiveSource } from '../endpoint/oci-archive.js';
import { archiveForm } from '../layout/source-tar.js';
import { keepGoingError, missingEntries } from '../copy/keep-going.js';
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
import { checkBaseLayers } from './differential.js';
import { helmCharts, type ChartFile } from './charts.js';
import { planMirror, type PlanChart } from './plan.js';

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
  /** What travels with the images (the bundle's signatures, attestations, SBOMs); absent: images alone. */
  referrers?: ReferrerOptions;
  /** `--keep-going`: the failures are listed in one E_INCOMPLETE error and under `missing` in --lock-out. */
  keepGoing?: boolean;
}

export async function load(input: LoadInput, deps: MirrorDeps): Promise<MirrorReport> {
  const { name, target } = input;
  // refused before anything is pushed: a directory, or a missing parent directory
  if (input.lockOut) await resolveOutput(input.lockOut, { label: '--lock-out' });
  const source = await openBundle(input.bundle);
  try {
    if (source.kind === 'docker-archive') {
      deps.logger.log('info', `${name} is a docker archive (docker save / podman save), not an airlift bundle: its images are pushed as OCI images with their layers uncompressed, as the archive holds them (layer digests are the diff_ids; manifest digests follow from the archive alone)`);
    }
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
    // the plan has what it needed of the bundle's lock (its images); the rest of the run reads only
    // its base, charts, files and missing images: its per-image and per-blob lists go now
    if (lock) {
      lock.images = [];
      delete lock.blobs;
    }
    if (input.dryRun) {
      if (lock?.base) deps.logger.log('info', `${name} is a differential bundle against ${lock.base.file}: the load first checks that ${target.host} holds the ${lock.base.omitted.length} layers it leaves out`);
      return { plan, dryRun: true, rows: [] };
    }

    // a split bundle: every part is checked (sha256) before anything is pushed from it
    const parts = source instanceof OciArchiveSource ? archiveForm(source.tar).parts : undefined;
    if (parts) {
      deps.logger.log('info', `${name}: checking the sha256 of its ${parts.manifest.parts.length} parts before pushing`);
      await parts.checkAll(deps.signal);
    }
    if (lock?.missing?.length) {
      deps.logger.log('warn', `${name} was saved with --keep-going without ${lock.missing.length} image(s) it was asked for: ${lock.missing.map((m) => `${m.source} (${m.code})`).join(', ')}`);
    }
    const dest = deps.pool.destination(target.host);
    // a differential bundle: the layers it leaves out must be at the destination before anything is pushed
    if (lock?.base) await checkBaseLayers({ bundle: source, name, base: lock.base, plan, dest, target, mapping: input.mapping, logger: deps.logger, ...(deps.signal ? { signal: deps.signal } : {}) });
    const jobs = planJobs(plan, (c) => (c.kind === 'chart' ? charts : source), dest);
    const results = await deps.copy(jobs, { verb: 'loading', platforms: [], describeSkipped: false, ...(input.referrers ? { referrers: input.referrers } : {}) });
    const rows: ReportRow[] = results.map((r, i) => ({ ...rowFor(r, plan.copies[i]!.source, plan.copies[i]!.destination), kind: plan.copies[i]!.kind }));
    let written: Lock | undefined;
    const missing = input.keepGoing ? missingEntries(results, (i) => plan.copies[i]!.source) : [];
    if (input.lockOut) {
      const chartDigests = new Map<string, string>();
      for (const c of lock?.charts ?? []) if (c.file && c.digest && !chartDigests.has(c.file)) chartDigests.set(c.file, c.digest);
      // a fetched chart keeps its source in the landed lock
      const chartOrigins = new Map<string, Pick<LockChart, 'packaging' | 'source' | 'sourceDigest'>>();
      for (const c of lock?.charts ?? []) {
        if (c.file && c.source && !chartOrigins.has(c.file)) chartOrigins.set(c.file, { ...(c.packaging ? { packaging: c.packaging } : {}), source: c.source, ...(c.sourceDigest ? { sourceDigest: c.sourceDigest } : {}) });
      }
      written = planLock(plan, results, { generator: `airlift ${VERSION}`, chartDigests, chartOrigins });
      if (missing.length) written.missing = missing;
      await writeLock(input.lockOut, written, '--lock-out');
    }
    if (lock?.files?.length) {
      deps.logger.log('info', `${name} also carries ${lock.files.map((f) => f.file).join(', ')}: not pushed (airlift itself, from save --include-self; tar -xf ${name} ${lock.files[0]!.file.split('/')[0]}/ takes it out)`);
    }
    const landed = results.filter((r) => r.status !== 'failed').length;
    const failure = input.keepGoing ? keepGoingError(missing, results.length, 'loaded', `the other ${landed} are at ${target.host}`) : failureError(results, 'loaded');
    return { plan, dryRun: false, rows, ...(written ? { lock: written } : {}), ...(failure ? { failure } : {}) };
  } finally {
    await source.close();
  }
}
