/**
 * The one copy engine. For each job: resolve the source digest, skip the
 * image when the destination already holds it, otherwise walk manifest →
 * index children → config and layers, storing blobs before the manifests
 * that name them and children before their index. Failures stay with their
 * image: a blob that fails verification fails every image that needs it, and
 * no manifest naming it is stored.
 */
import pLimit from 'p-limit';
import { isDigestRef } from '../digest/index.js';
import type { ImageDestination, ImageSource } from '../endpoint/types.js';
import { NotFoundError, UnsupportedError, toAirliftError, withPrefix } from '../errors.js';
import { isIndexMediaType, type Descriptor, type RawManifest } from '../oci/types.js';
import { AttachmentCopier } from './attachments.js';
import type { Logger } from '../log.js';
import { BlobScheduler } from './blobs.js';
import { ensureJobBlob } from './job-blob.js';
import { inOrder } from './in-order.js';
import { StallWatch } from './stall.js';
import { CachingSource, PlanningDestination } from './plan.js';
import { readConfigPlatform } from './config-platform.js';
import { RecentMemo } from './recent.js';
import { settleDestinations } from './settle.js';
import { isImageConfig, parseManifest, type ParsedManifest } from '../oci/manifest.js';
import { filterIndex, formatFilter, indexPlatforms } from '../oci/platform.js';
import { emptyCounts, type CopyJob, type CopyOptions, type CopyResult } from './types.js';

export function jobName(job: CopyJob): string {
  if (job.name) return job.name;
  const { repo, reference } = job.source;
  return `${repo}${isDigestRef(reference) ? '@' : ':'}${reference}`;
}

class Run {
  readonly blobs: BlobScheduler;
  /** What travels with the images (opts.referrers), or undefined. */
  readonly attachments: AttachmentCopier | undefined;
  private readonly configPlatforms = new RecentMemo<string | undefined>();
  /** Destination repositories found absent before this run wrote to them (per store; the most recent). */
  private readonly newRepos = new WeakMap<object, RecentMemo<boolean>>();
  /**
   * Whether the destination held the last image it was asked about: then the next image's source
   * HEAD is sent together with its destination HEAD (a no-op resync waits for one round trip per
   * image, not two). While images are missing it is not: their source manifest is read by one GET.
   */
  private destHeldLast = false;
  /** The planning pass (see planFirst): platforms are not described, so no config is fetched. */
  constructor(
    readonly opts: CopyOptions,
    private readonly planning = false,
  ) {
    this.blobs = new BlobScheduler({
      limit: pLimit(Math.max(1, opts.concurrency)),
      probe: pLimit(Math.max(1, opts.concurrency)),
      logger: opts.logger,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onBytes ? { onBytes: opts.onBytes } : {}),
      ...(planning ? {} : { stall: new StallWatch(opts.logger, opts.stall) }),
    });
    this.attachments = opts.referrers ? new AttachmentCopier(this.blobs, opts) : undefined;
  }

  async copy(job: CopyJob): Promise<CopyResult> {
    const name = jobName(job);
    const result: CopyResult = { job, name, status: 'failed', blobs: emptyCounts(), manifests: 0 };
    const { logger, signal } = this.opts;
    const kind = job.kind ?? 'image';
    logger.event('image.start', { image: name, kind });
    try {
      // the source's tag list (where signatures and the referrers fallback tag are found) is asked
      // for while the image is resolved, not after it
      this.attachments?.discovery.tags(job.source.store, job.source.repo).catch(() => undefined);
      const held = await this.copyInto(job, name, result);
      if (this.attachments) await this.attachments.copyFor(job, name, held.subjects, held.dropped, result, () => this.repoIsNew(job));
    } catch (err) {
      let e = toAirliftError(err);
      if (!e.message.includes(name)) e = withPrefix(e, name);
      result.status = 'failed';
      result.error = e;
    }
    this.attachments?.discovery.done(job.source.store, job.source.repo);
    signal?.throwIfAborted();
    logger.event('image.done', {
      image: name,
      kind,
      status: result.status,
      ...(result.digest ? { digest: result.digest } : {}),
      ...(result.error ? { error: result.error.toJSON() } : {}),
      bytes: result.blobs.bytes,
      uploaded: result.blobs.uploaded,
      mounted: result.blobs.mounted,
      existing: result.blobs.existing,
    });
    return result;
  }

  /**
   * Copies one image; resolves with the source manifest digests the destination holds after it
   * (the top manifest unless --platform rewrote it: then `dropped`; and the index children copied),
   * whose attachments travel too.
   */
  private async copyInto(job: CopyJob, name: string, result: CopyResult): Promise<{ subjects: string[]; dropped?: string }> {
    const { source, dest } = job;
    const { signal } = this.opts;
    const filters = this.opts.platforms?.length ? this.opts.platforms : undefined;

    // 1. The source digest. Without a platform filter the destination tag is asked first
    // (step 3): when it is absent the image will be copied whatever the source holds, so the
    // source manifest is read at once by tag (one GET, which a copy needs anyway); when it is
    // there, one HEAD at the source tells whether it changed (sent with the destination HEAD while
    // the destination holds the images it is asked about: see destHeldLast). A reference by digest
    // costs nothing here.
    const skip = this.opts.skipExisting !== false;
    const early = skip && !filters && dest.tag !== undefined ? dest.store.resolveManifest(dest.repo, dest.tag, signal) : undefined;
    early?.catch(() => undefined);
    const sourceHead = early && this.destHeldLast && !isDigestRef(source.reference) ? source.store.resolveManifest(source.repo, source.reference, signal) : undefined;
    sourceHead?.catch(() => undefined);
    if (early) void early.then((d) => (this.destHeldLast = d !== undefined), () => undefined);
    const absent = (): NotFoundError => new NotFoundError(`${name} does not exist at ${source.store.description}`, { hint: 'check the image name and tag' });
    let sourceDigest: string;
    let top: { raw: RawManifest; parsed: ParsedManifest } | undefined;
    if (isDigestRef(source.reference)) sourceDigest = source.reference;
    else if (!skip || (early && (await early.catch(() => undefined)) === undefined)) {
      top = await this.fetchManifest(source.store, source.repo, source.reference, name).catch((err: unknown) => {
        throw toAirliftError(err).code === 'E_NOT_FOUND' ? absent() : err;
      });
      sourceDigest = top.raw.digest;
    } else {
      const r = await (sourceHead ?? source.store.resolveManifest(source.repo, source.reference, signal));
      if (!r) throw absent();
      sourceDigest = r.digest;
    }
    result.sourceDigest = sourceDigest;

    // 2. The digest the destination will hold (a filtered index gets a new one).
    let expected = sourceDigest;
    const prev = job.previous;
    if (filters) {
      if (prev && (prev.sourceDigest ?? prev.digest) === sourceDigest) expected = prev.digest;
      else {
        top ??= await this.fetchManifest(source.store, source.repo, sourceDigest, name);
        if (top.parsed.kind === 'index') {
          expected = filterIndex(name, top.raw, top.parsed.json, top.parsed.children, filters).digest;
        }
      }
    }

    // 3. Already there: one HEAD at the destination, and nothing else.
    if (skip) {
      const there = await (early ?? dest.store.resolveManifest(dest.repo, dest.tag ?? expected, signal));
      if (there && there.digest === expected) {
        result.status = 'skipped';
        result.digest = there.digest;
        result.mediaType = there.mediaType;
        result.size = there.size;
        if (expected !== sourceDigest) result.filtered = filteredNote(sourceDigest, filters);
        if (prev && prev.digest === expected) result.platforms = prev.platforms;
        else if (this.opts.describeSkipped) {
          top ??= await this.fetchManifest(source.store, source.repo, sourceDigest, name);
          result.platforms = await this.describe(job, top, filters);
        }
        return this.heldUnchanged(job, name, sourceDigest, expected, there.mediaType, top, filters);
      }
    }

    // 4. Copy.
    top ??= await this.fetchManifest(source.store, source.repo, sourceDigest, name);
    const repoNew = (): Promise<boolean> => this.repoIsNew(job);
    let raw = top.raw;
    let platforms: string[];
    const held = { subjects: [] as string[], dropped: undefined as string | undefined };
    if (top.parsed.kind === 'index') {
      const f = filterIndex(name, top.raw, top.parsed.json, top.parsed.children, filters);
      await this.copyChildren(job, name, f.kept, result, repoNew);
      if (f.changed) {
        raw = { bytes: f.bytes, digest: f.digest, mediaType: top.raw.mediaType };
        result.filtered = filteredNote(sourceDigest, filters);
        held.dropped = sourceDigest;
      }
      held.subjects = f.kept.map((c) => c.digest);
      platforms = indexPlatforms(f.kept);
    } else {
      platforms = await this.copyImageBlobs(job, name, top.parsed, result, repoNew);
    }
    await dest.store.putManifest(dest.repo, raw, dest.tag, signal);
    result.status = 'copied';
    result.digest = raw.digest;
    result.mediaType = raw.mediaType;
    result.size = raw.bytes.byteLength;
    result.platforms = platforms;
    if (!held.dropped) held.subjects.unshift(sourceDigest);
    return held.dropped ? { subjects: held.subjects, dropped: held.dropped } : { subjects: held.subjects };
  }

  /**
   * The digests whose attachments to look for when the image was found unchanged: its top manifest
   * (one referrers probe); the children of an index only when the source's tag list names
   * attachment tags of digests other than the top one (then the index is read: one GET).
   */
  private async heldUnchanged(
    job: CopyJob,
    name: string,
    sourceDigest: string,
    expected: string,
    mediaType: string,
    top: { raw: RawManifest; parsed: ParsedManifest } | undefined,
    filters: CopyOptions['platforms'],
  ): Promise<{ subjects: string[]; dropped?: string }> {
    const held = expected === sourceDigest ? { subjects: [sourceDigest] } : { subjects: [] as string[], dropped: sourceDigest };
    if (!this.attachments || !isIndexMediaType(mediaType)) return held;
    const { source } = job;
    if (!(await this.attachments.discovery.attachmentTagsBeyond(source.store, source.repo, new Set([sourceDigest])))) return held;
    top ??= await this.fetchManifest(source.store, source.repo, sourceDigest, name);
    if (top.parsed.kind === 'index') held.subjects.push(...filterIndex(name, top.raw, top.parsed.json, top.parsed.children, filters).kept.map((c) => c.digest));
    return held;
  }

  /** A manifest by digest (checked) or, when nothing can be skipped, by tag. */
  private async fetchManifest(store: ImageSource, repo: string, reference: string, name: string): Promise<{ raw: RawManifest; parsed: ParsedManifest }> {
    const raw = await store.getManifest(repo, reference, this.opts.signal);
    if (isDigestRef(reference) && raw.digest !== reference) {
      throw new UnsupportedError(`${name}: ${store.description} answered manifest ${raw.digest} when asked for ${reference}`);
    }
    return { raw, parsed: parseManifest(`manifest ${raw.digest} of ${name}`, raw) };
  }

  /** Children (image manifests, or nested indexes) are stored before the index; all must succeed. */
  /**
   * Whether the destination repository was absent when first asked in this run (at most once
   * per repository, when a blob first needs it), for stores that can tell (see
   * ImageDestination.repositoryExists).
   */
  private repoIsNew(job: CopyJob): Promise<boolean> {
    const store = job.dest.store;
    if (!store.repositoryExists) return Promise.resolve(false);
    let perStore = this.newRepos.get(store);
    if (!perStore) this.newRepos.set(store, (perStore = new RecentMemo()));
    // asked again once forgotten: the repository then exists (this run wrote to it), and is not new
    return perStore.get(job.dest.repo, () =>
      store.repositoryExists!(job.dest.repo, this.opts.signal).then(
        (exists) => exists === false,
        () => false,
      ),
    );
  }

  private async copyChildren(job: CopyJob, name: string, children: Descriptor[], result: CopyResult, repoNew: () => Promise<boolean>): Promise<void> {
    const settled = await Promise.allSettled(
      children.map(async (child) => {
        // A child the registry already holds (a new tag sharing platforms with an old one) is left
        // as it is: putting it again rewrites its revision link in place, and clients pulling it
        // from the mirror at that moment fail. Its blobs are there too (the registry checked them).
        if (job.dest.store.supportsMount && !(await repoNew())) {
          const there = await job.dest.store.resolveManifest(job.dest.repo, child.digest, this.opts.signal);
          if (there?.digest === child.digest) return;
        }
        const { raw, parsed } = await this.fetchManifest(job.source.store, job.source.repo, child.digest, name);
        if (parsed.kind === 'index') await this.copyChildren(job, name, parsed.children, result, repoNew);
        else await this.copyImageBlobs(job, name, parsed, result, repoNew);
        await job.dest.store.putManifest(job.dest.repo, raw, undefined, this.opts.signal);
        result.manifests++;
      }),
    );
    throwFirst(settled);
  }

  /** Config and layers of one image manifest; resolves with its platform for the lock. */
  private async copyImageBlobs(
    job: CopyJob,
    name: string,
    m: Extract<ParsedManifest, { kind: 'image' }>,
    result: CopyResult,
    repoNew: () => Promise<boolean>,
  ): Promise<string[]> {
    const blobs = [m.config, ...m.layers];
    const settled = await Promise.allSettled(
      blobs.map(async (desc, i) => {
        const outcome = await ensureJobBlob(this.blobs, { job, name, desc, result, layer: i > 0, capture: i === 0 && isImageConfig(desc), destRepoNew: repoNew });
        if (outcome !== 'foreign') this.opts.logger.event('blob.done', { image: name, digest: desc.digest, size: desc.size, outcome });
      }),
    );
    throwFirst(settled);
    if (this.planning) return [];
    const p = await this.platformOf(job, name, m.config);
    return p ? [p] : [];
  }


  private platformOf(job: CopyJob, name: string, config: Descriptor): Promise<string | undefined> {
    if (!isImageConfig(config)) return Promise.resolve(undefined);
    return this.configPlatforms.get(config.digest, () => {
      const captured = this.blobs.captured.get(config.digest);
      this.blobs.captured.delete(config.digest);
      const local = job.dest.store.readBlob ? { readBlob: job.dest.store.readBlob.bind(job.dest.store), repo: job.dest.repo } : undefined;
      return readConfigPlatform(job.source.store, job.source.repo, config, name, captured, this.opts.signal, local);
    });
  }

  /** Platforms of an image without copying it (skipped images, describeSkipped). */
  private async describe(job: CopyJob, top: { raw: RawManifest; parsed: ParsedManifest }, filters: CopyOptions['platforms']): Promise<string[]> {
    const name = jobName(job);
    const { raw, parsed } = top;
    if (parsed.kind === 'index') return indexPlatforms(filterIndex(name, raw, parsed.json, parsed.children, filters).kept);
    const p = await this.platformOf(job, name, parsed.config);
    return p ? [p] : [];
  }
}

function filteredNote(sourceDigest: string, filters: CopyOptions['platforms']): { sourceDigest: string; note: string } {
  return { sourceDigest, note: `index rewritten to keep only ${(filters ?? []).map(formatFilter).join(', ')}` };
}

function throwFirst(settled: PromiseSettledResult<unknown>[]): void {
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
}

/**
 * Copies every job; never throws for a single image (see each result's
 * status and error). Jobs run concurrently; blobs are shared across them.
 * Jobs into a destination that lays out its output first (prepare) are
 * walked once without transferring blobs, and the destination is told the
 * plan, before the copy itself.
 */
export async function copyImages(jobs: readonly CopyJob[], opts: CopyOptions): Promise<CopyResult[]> {
  const planned = jobs.some((j) => j.dest.store.prepare);
  const counts = { images: jobs.filter((j) => (j.kind ?? 'image') === 'image').length, charts: jobs.filter((j) => j.kind === 'chart').length };
  const work = planned ? await planFirst(jobs, opts, counts) : jobs;
  // What is to be done, before any image starts. A destination that is told the plan (a bundle)
  // knows every blob and its size; a registry learns them image by image (blob.start events).
  if (!planned) opts.logger.event('plan', counts);
  const run = new Run(opts);
  for (const j of work) run.attachments?.discovery.expect(j.source.store, j.source.repo);
  const results = await inOrder(work, Math.max(2, opts.concurrency * 2), (job) => run.copy(job));
  opts.signal?.throwIfAborted();
  await settleDestinations(results, opts.signal);
  // results name the caller's jobs, not the wrapped ones
  if (work !== jobs) results.forEach((r, i) => (r.job = jobs[i]!));
  return results;
}

/**
 * The planning pass: every job into a preparing destination runs against a
 * PlanningDestination (no blob moves, only manifests are read; image failures
 * surface again in the real pass), each destination gets its plan, and the
 * jobs come back reading through a CachingSource so that the real pass reads
 * no manifest twice.
 */
async function planFirst(jobs: readonly CopyJob[], opts: CopyOptions, counts: { images: number; charts: number }): Promise<CopyJob[]> {
  const sources = new Map<ImageSource, CachingSource>();
  const planners = new Map<ImageDestination, PlanningDestination>();
  const cached = (s: ImageSource): CachingSource => {
    let c = sources.get(s);
    if (!c) sources.set(s, (c = new CachingSource(s)));
    return c;
  };
  const planner = (d: ImageDestination): PlanningDestination => {
    let p = planners.get(d);
    if (!p) planners.set(d, (p = new PlanningDestination(d)));
    return p;
  };
  const { onBytes: _onBytes, ...rest } = opts;
  const quiet: Logger = { log: (level, message, fields) => level !== 'debug' && level !== 'info' && opts.logger.log(level, message, fields), event: () => undefined };
  // the planning run (its blob scheduler's record of every blob, its tag lists) is let go before
  // the destinations are prepared: at 10,000 images that is where a save peaks
  let run: Run | undefined = new Run({ ...rest, logger: quiet, skipExisting: false }, true);
  const planning = jobs.filter((j) => j.dest.store.prepare);
  await inOrder(planning, Math.max(2, opts.concurrency * 2), (j) => run!.copy({ ...j, source: { ...j.source, store: cached(j.source.store) }, dest: { ...j.dest, store: planner(j.dest.store) } }));
  run = undefined;
  opts.signal?.throwIfAborted();
  // the real pass asks what the planning pass asked: each answer goes after its last use
  for (const c of sources.values()) c.replay();
  const plans = [...planners].map(([store, p]) => [store, p.plan()] as const);
  planners.clear();
  for (const [store, plan] of plans) await store.prepare!(plan, opts.signal);
  const distinct = new Map<string, number>();
  for (const [store, plan] of plans) {
    // the blobs that stream (manifests are written when the destination is prepared), not those it leaves out
    for (const b of plan.blobs) if (!store.leavesOut?.(b.digest)) distinct.set(b.digest, b.size);
  }
  let bytes = 0;
  for (const size of distinct.values()) bytes += size;
  opts.logger.event('plan', { ...counts, blobs: distinct.size, bytes });
  return jobs.map((j) => (j.dest.store.prepare ? { ...j, source: { ...j.source, store: cached(j.source.store) } } : j));
}
