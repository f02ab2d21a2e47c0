/**
 * save: every image the charts need into one bundle (an OCI image layout in a tar, each blob
 * once, each image named by its full source reference), plus the charts as packaged .tgz and
 * airlift.lock.json. The bundle is staged next to the output and renamed into place when
 * complete; an interrupted run, run again, reuses what was fetched.
 */
import { readFile, stat } from 'node:fs/promises';
import { chartFileName, packageChartDir } from '../bundle/charts.js';
import { lockFiles, readRelease } from '../bundle/self.js';
import type { WantedImage } from '../copy/inputs.js';
import { failureError, rowFor } from '../copy/report.js';
import { sha256 } from '../digest/index.js';
import { openOciArchiveDestination } from '../endpoint/oci-archive.js';
import { compressFrame, nodeHasZstd } from '../layout/compression.js';
import type { Packaging } from '../layout/deliver.js';
import { InterruptedError, toAirliftError, withHint } from '../errors.js';
import { formatLock } from '../lock/io.js';
import type { LockChart } from '../lock/types.js';
import type { PlatformFilter } from '../oci/platform.js';
import type { Shard } from '../shard/index.js';
import { VERSION } from '../version.js';
import { logShard, planJobs, planLock } from './build.js';
import type { MirrorDeps, MirrorReport } from './deps.js';
import { planMirror } from './plan.js';

/** A chart to put into the bundle: a directory (packaged on the way) or a .tgz. */
export interface SaveChart {
  name: string;
  version: string;
  path: string;
  packaged: boolean;
}

export interface SaveInput {
  images: WantedImage[];
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
}

export async function save(input: SaveInput, deps: MirrorDeps): Promise<MirrorReport> {
  const { shard, outputName } = input;
  const toStdout = input.output === '-';
  // The release files are checked before any image is fetched: a missing one fails at once.
  // With --shard they go into shard 0, as the charts do.
  const self = input.releaseDir !== undefined && (!shard || shard.index === 0) ? await readRelease(input.releaseDir, deps.signal) : [];
  const plan = planMirror({ images: input.images, target: { kind: 'bundle', name: `oci-archive:${outputName}` }, ...(shard ? { shard } : {}) });
  logShard(deps.logger, plan);
  if (input.dryRun) return { plan, dryRun: true, rows: [] };

  // refused before anything is fetched: a compression this Node cannot write
  if (input.packaging?.compress === 'zstd' && !nodeHasZstd()) await compressFrame('zstd', Buffer.alloc(0));
  const dest = await openOciArchiveDestination(input.output, { ...(deps.stdout ? { stdout: deps.stdout } : {}), ...(input.packaging ? { packaging: input.packaging } : {}) });
  try {
    const jobs = planJobs(plan, (c) => deps.pool.source(c.from.registry!), dest);
    const results = await deps.copy(jobs, { verb: 'saving', platforms: input.platforms, ...(input.concurrency !== undefined ? { concurrency: input.concurrency } : {}) });
    const failure = failureError(results, 'saved');
    if (failure) throw failure;

    // Charts, packaged; the same chart named twice is stored once.
    const lockCharts = new Map<string, LockChart>();
    for (const ch of shard && shard.index !== 0 ? [] : input.charts) {
      const file = chartFileName(ch.name, ch.version);
      if (lockCharts.has(file)) continue;
      const tgz = ch.packaged ? await readFile(ch.path) : await packageChartDir(ch.path, ch.name);
      dest.addFile(file, tgz);
      lockCharts.set(file, { name: ch.name, version: ch.version, file, digest: sha256(tgz) });
    }
    for (const f of self) dest.addFile(f.file, f.path, { executable: f.executable });
    const lock = planLock(plan, results, { generator: `airlift ${VERSION}`, charts: [...lockCharts.values()], files: lockFiles(self) });
    dest.addFile('airlift.lock.json', Buffer.from(formatLock(lock), 'utf8'));
    deps.signal?.throwIfAborted();
    await dest.commit(deps.signal);
    const rows = results.map((r, i) => rowFor(r, plan.copies[i]!.source, plan.copies[i]!.destination));
    const d = dest.delivered;
    const packed = d ? ` (${d.files.length > 1 ? `${d.files.length - 1} parts and ${d.files[d.files.length - 1]}, ` : ''}${d.bytes} bytes${input.packaging?.compress ? ` ${input.packaging.compress}, ${d.tarBytes} as a tar` : ''})` : '';
    deps.logger.log('info', `wrote ${toStdout ? 'the bundle to stdout' : outputName}${packed}: ${lock.images.length} images, ${lockCharts.size} charts${self.length ? `, airlift itself (${self.map((f) => f.file).join(', ')})` : ''}`);
    return { plan, dryRun: false, rows, lock };
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
