/**
 * save: every image the charts need into one bundle (an OCI image layout in a tar, each blob
 * once, each image named by its full source reference), plus the charts as packaged .tgz and
 * airlift.lock.json. The bundle is staged next to the output and renamed into place when
 * complete; an interrupted run, run again, reuses what was fetched.
 */
import type { ReferrerOptions } from '../copy/types.js';
import { readFile, stat } from 'node:fs/promises';
import { chartFileName, packageChartDir } from '../bundle/charts.js';
import { lockFiles, readRelease } from '../bundle/self.js';
import type { WantedImage } from '../copy/inputs.js';
import { keepGoingError, missingEntries } from '../copy/keep-going.js';
import { failureError, rowFor } from '../copy/report.js';
import { lockBase, readSaveBase } from '../bundle/base.js';
import { sha256 } from '../digest/index.js';
import { openOciArchiveDestination } from '../endpoint/oci-archive.js';
import { compressFrame, nodeHasZstd } from '../layout/compression.js';
import type { Packaging } from '../layout/deliver.js';
import { DigestMismatchError, InterruptedError, toAirliftError, withHint } from '../errors.js';
import { formatLock } from '../lock/io.js';
import type { LockChart } from '../lock/types.js';
import type { ChartOrigin } from '../chart/remote/types.js';
import type { PlatformFilter } from '../oci/platform.js';
import type { Shard } from '../shard/index.js';
import { VERSION } from '../version.js';
import { logShard, planJobs, planLock } from './build.js';
import type { MirrorDeps, MirrorReport } from './deps.js';
import { chartBytes, lockDependencies, type DiskChart } from './charts.js';
import { planMirror } from './plan.js';

/**
 * A chart to put into the bundle: a directory (packaged on the way) or a .tgz, with the
 * dependencies the scan fetched (then repackaged with them in charts/); a fetched chart with none
 * to add goes in as fetched, its source in the lock, its .prov beside it.
 */
export type SaveChart = DiskChart & { origin?: ChartOrigin };

export interface SaveInput {
  images: WantedImage[];
  /** What travels with the images (signatures, attestations, SBOMs); absent: images alone. */
  referrers?: ReferrerOptions;
  charts: SaveChart[];
  /** Absolute path of the bundle, or '-' for deps.stdout. */
  output: string;
  /** The output as the user named it, for messages and the report. */
  outputName: string;
  shard?: Shard;
  platforms: PlatformFilter[];
  concurrency?: number;
  /** The release directory of airlift itself, with --include-self. */
  releaseDir?: string;
  dryRun?: boolean;
  /** `--compress` and `--split-size`: the finished tar compressed (seekable frames) and/or cut into parts. */
  packaging?: Packaging;
  /** `--since BASE`: a differential bundle, leaving out the layers BASE (a bundle or its lock) held. */
  since?: { path: string; name: string };
  /** `--keep-going`: write a bundle of the images that could be saved, list the others in the lock, exit E_INCOMPLETE. */
  keepGoing?: boolean;
}

export async function save(input: SaveInput, deps: MirrorDeps): Promise<MirrorReport> {
  const { shard, outputName } = input;
  const toStdout = input.output === '-';
  // The release files are checked before any image is fetched: a missing one fails at once.
  // With --shard they go into shard 0, as the charts do.
  const self = input.releaseDir !== undefined && (!shard || shard.index === 0) ? await readRelease(input.releaseDir, deps.signal) : [];
  const plan = planMirror({ images: input.images, target: { kind: 'bundle', name: `oci-archive:${outputName}` }, ...(shard ? { shard } : {}) });
  logShard(deps.logger, plan);
  const base = input.since ? await readSaveBase(input.since.path, input.since.name, deps.signal) : undefined;
  if (input.dryRun) return { plan, dryRun: true, rows: [] };

  // refused before anything is fetched: a compression this Node cannot write
  if (input.packaging?.compress === 'zstd' && !nodeHasZstd()) await compressFrame('zstd', Buffer.alloc(0));
  const opts = { ...(deps.stdout ? { stdout: deps.stdout } : {}), ...(deps.cwd ? { cwd: deps.cwd } : {}), ...(input.packaging ? { packaging: input.packaging } : {}), ...(base ? { omit: base.blobs } : {}) };
  let dest = await openOciArchiveDestination(input.output, opts);
  try {
    const run = {
      verb: 'saving',
      platforms: input.platforms,
      ...(input.concurrency !== undefined ? { concurrency: input.concurrency } : {}),
      ...(input.referrers ? { referrers: input.referrers } : {}),
    };
    const results = await deps.copy(planJobs(plan, (c) => deps.pool.source(c.from.registry!), dest), run);
    const failure = failureError(results, 'saved');
    if (failure && (!input.keepGoing || results.every((r) => r.status === 'failed'))) throw failure;
    if (failure && dest.unstored().length) {
      // An image failed after the bundle was laid out (a blob refused): lay it out again for the
      // images that were saved; what they stored is taken over from the staging directory, not fetched again.
      await dest.close();
      deps.logger.log('info', `--keep-going: laying ${outputName} out again without the ${results.filter((r) => r.status === 'failed').length} image(s) that failed; what was fetched is reused`);
      dest = await openOciArchiveDestination(input.output, opts);
      const kept = plan.copies.map((_, i) => i).filter((i) => results[i]!.status !== 'failed');
      const again = await deps.copy(planJobs({ ...plan, copies: kept.map((i) => plan.copies[i]!) }, (c) => deps.pool.source(c.from.registry!), dest), run);
      kept.forEach((i, k) => (results[i] = again[k]!));
      const still = failureError(again, 'saved');
      if (still) throw still;
    }
    const missing = missingEntries(results, (i) => plan.copies[i]!.source);

    // Charts, packaged; the same chart named twice is stored once.
    const lockCharts = new Map<string, LockChart>();
    for (const ch of shard && shard.index !== 0 ? [] : input.charts) {
      const file = chartFileName(ch.name, ch.version);
      if (lockCharts.has(file)) continue;
      const tgz = await chartBytes(ch);
      const digest = sha256(tgz);
      const repackaged = (ch.dependencies?.resolved.length ?? 0) > 0;
      // a fetched chart goes in byte for byte as fetched (checked again: the lock promises it), unless dependencies had to be added
      if (ch.origin && !repackaged && digest !== ch.origin.sha256) throw new DigestMismatchError(`chart ${ch.name} ${ch.version} from ${ch.origin.source}: the file read back for the bundle`, ch.origin.sha256, digest);
      dest.addFile(file, tgz);
      const entry: LockChart = { name: ch.name, version: ch.version, file, digest, ...lockDependencies(ch) };
      if (ch.origin) {
        entry.packaging = repackaged ? 'packaged' : 'fetched';
        entry.source = ch.origin.source;
        if (ch.origin.digest) entry.sourceDigest = ch.origin.digest;
        // the provenance file signs the .tgz as fetched: it travels only with those bytes
        if (ch.origin.prov && !repackaged) {
          dest.addFile(`${file}.prov`, ch.origin.prov);
          entry.prov = { file: `${file}.prov`, digest: sha256(ch.origin.prov) };
        }
      }
      lockCharts.set(file, entry);
    }
    for (const f of self) dest.addFile(f.file, f.path, { executable: f.executable });
    const lock = planLock(plan, results, { generator: `airlift ${VERSION}`, charts: [...lockCharts.values()], files: lockFiles(self) });
    lock.blobs = dest.blobDigests();
    if (base) lock.base = lockBase(base, dest.omitted());
    if (missing.length) lock.missing = missing;
    // made when it is written into the tar, after index.json's and manifest.json's text are let go
    dest.addFile('airlift.lock.json', { text: () => formatLock(lock) });
    deps.signal?.throwIfAborted();
    await dest.commit(deps.signal);
    for (const why of dest.dockerLeftOut) deps.logger.log('warn', `docker load will not load ${why} (ctr images import loads it)`);
    const rows = results.map((r, i) => rowFor(r, plan.copies[i]!.source, plan.copies[i]!.destination));
    const d = dest.delivered;
    const packed = d ? ` (${d.files.length > 1 ? `${d.files.length - 1} parts and ${d.files[d.files.length - 1]}, ` : ''}${d.bytes} bytes${input.packaging?.compress ? ` ${input.packaging.compress}, ${d.tarBytes} as a tar` : ''})` : '';
    const differential = base ? `; differential against ${base.file}: ${lock.base!.omitted.length} layers left out` : '';
    deps.logger.log('info', `wrote ${toStdout ? 'the bundle to stdout' : outputName}${packed}: ${lock.images.length} images, ${lockCharts.size} charts${self.length ? `, airlift itself (${self.map((f) => f.file).join(', ')})` : ''}${differential}`);
    const incomplete = keepGoingError(missing, plan.copies.length, 'saved', `${outputName} holds the other ${lock.images.length}, its lock lists the missing under "missing"`);
    return { plan, dryRun: false, rows, lock, ...(incomplete ? { failure: incomplete } : {}) };
  } catch (err) {
    // Nothing is at the output path; say where the fetched blobs wait for a re-run, and how to drop them.
    const staging = dest.stagingDir;
    const kept = await stat(staging).then(
      (s) => s.isDirectory(),
      () => false,
    );
    // past the tar (compressing or splitting it), the staging directory is gone and nothing stays
    const resume = kept ? `what was fetched stays in ${staging}: run the same save again to resume, or remove it with rm -r ${staging}` : 'nothing was kept: run the same save again';
    const stopped = err instanceof InterruptedError ? err : deps.signal?.aborted ? deps.signal.reason : undefined;
    if (stopped instanceof InterruptedError) {
      throw new InterruptedError(stopped.signal, { cause: err, hint: `no bundle was written at ${outputName}; ${resume}` });
    }
    if (kept) throw withHint(toAirliftError(err), `no bundle was written at ${outputName}; ${resume}`);
    throw err;
  } finally {
    await dest.close();
  }
}
