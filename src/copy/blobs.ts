/**
 * The blob scheduler: every blob an image needs goes through here, so that a
 * blob shared by many images is fetched once per run. At a destination that
 * can mount (a registry), a shared blob is uploaded once and mounted into
 * every other repository; what the destination is known to hold is never
 * asked again. Data streams GET → verify → PUT; nothing is buffered beyond a
 * small config captured for the lock.
 */
import type { Readable } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import type { LimitFunction } from 'p-limit';
import { VerifyingStream, verifyBytes } from '../digest/index.js';
import type { ImageDestination, ImageSource } from '../endpoint/types.js';
import { AirliftError, BlobContentError, DigestMismatchError, toAirliftError, withPrefix } from '../errors.js';
import type { Logger } from '../log.js';
import type { Descriptor } from '../oci/types.js';
import { Retries, fixedPauses, isTemporary } from '../registry/retry.js';
import { transferFailure, transferPumped, type BlobRoute } from './pumped.js';
import { TransferStalledError, type StallWatch } from './stall.js';

export interface BlobRequest extends BlobRoute {
  /** Keep the bytes in memory when uploaded (small configs, read for the lock). */
  capture?: boolean;
  /**
   * Whether the destination repository did not exist when this run started using it: it then
   * holds only what this run stored there, so no HEAD is needed.
   */
  destRepoNew?: () => Promise<boolean>;
}

export type BlobOutcome = 'uploaded' | 'mounted' | 'existing';

/** Configs larger than this are not captured. */
export const MAX_CAPTURE = 1024 * 1024;

/**
 * Blobs of at most this size travel in memory between a source that offers getBlobBytes and a
 * destination that offers putBlobBytes (registry to registry): read whole, verified, sent as one
 * PUT. For the configs and small layers of many small images, the streams of the streaming path
 * (a pass-through, a verifier, the hold-back of the last chunk, their pipeline) cost more CPU
 * than the bytes they carry. At most `--concurrency` of them are held at once.
 */
export const SMALL_BLOB = 1024 * 1024;

/** What one destination is known to hold, and the work in flight towards it. */
class DestState {
  /**
   * digest → the repositories known to hold it ('' for stores without repositories): the one
   * repository as a string (every blob of a bundle, most layers of a registry), a Set from the second
   * on (a Set per blob was about 200 bytes each: 6 MiB at 30,000 blobs).
   */
  readonly holders = new Map<string, string | Set<string>>();
  /**
   * key → the one promise doing that work, while it runs. A success leaves it (its digest and
   * repository are then in `holders`); a failure stays, so that other images needing the blob
   * fail with the same error instead of trying again.
   */
  readonly inflight = new Map<string, Promise<BlobOutcome>>();
  /** digest → the first transfer of it to this destination while it runs (mounting waits for it); a failure stays. */
  readonly firsts = new Map<string, Promise<BlobOutcome>>();
  has(digest: string, repo: string): boolean {
    const h = this.holders.get(digest);
    return h === undefined ? false : typeof h === 'string' ? h === repo : h.has(repo);
  }
  add(digest: string, repo: string): void {
    const h = this.holders.get(digest);
    if (h === undefined) this.holders.set(digest, repo);
    else if (typeof h === 'string') {
      if (h !== repo) this.holders.set(digest, new Set([h, repo]));
    } else h.add(repo);
  }
  holderOtherThan(digest: string, repo: string): string | undefined {
    const h = this.holders.get(digest);
    if (h === undefined) return undefined;
    if (typeof h === 'string') return h !== repo ? h : undefined;
    for (const r of h) if (r !== repo) return r;
    return undefined;
  }
}

/**
 * A VerifyingStream that also counts bytes for progress and can keep a small body. Towards a
 * destination that hashes blobs itself (`hashesBlobs`), it checks the size only, and the
 * destination's putBlob verifies the digest.
 */
class MeteredStream extends VerifyingStream {
  verified = false;
  readonly chunks: Buffer[] | undefined;
  constructor(what: string, desc: Descriptor, private readonly onBytes: (n: number) => void, capture: boolean, sizeOnly: boolean) {
    super(what, desc.digest, desc.size, undefined, sizeOnly);
    this.chunks = capture && desc.size <= MAX_CAPTURE ? [] : undefined;
  }
  override _transform(chunk: Buffer, enc: BufferEncoding, cb: TransformCallback): void {
    this.onBytes(chunk.length);
    this.chunks?.push(chunk);
    super._transform(chunk, enc, cb);
  }
  override _flush(cb: TransformCallback): void {
    super._flush((err?: Error | null) => {
      if (!err) this.verified = true;
      cb(err);
    });
  }
}

/**
 * Worth another transfer: what the one predicate calls temporary (src/registry/retry.ts: a
 * dropped connection, a 429 or 5xx the request layer could not retry itself because the body was
 * streamed, a write refused for a moment; not what a loop below already retried), or a digest
 * mismatch read from a source that may serve other bytes next time (a registry). A source that
 * answers with other content than its descriptor (BlobContentError) answers the same way again.
 */
function retryable(e: AirliftError, source: ImageSource): boolean {
  if (e instanceof BlobContentError) return false;
  if (e.code === 'E_DIGEST_MISMATCH') return source.rereadable;
  return isTemporary(e);
}

/** The copy engine's attempts at one blob transfer (GET → verify → PUT): 3, 200 and 400 ms apart. */
const TRANSFER = fixedPauses([200, 400]);

export interface SchedulerOptions {
  /** Blob transfers at once (`--concurrency`). */
  limit: LimitFunction;
  /**
   * The requests that only ask or link (a blob HEAD, a mount) at once; `limit` when absent. Apart
   * from the transfers, so that a transfer never waits for every other image's HEADs queued before
   * it (a load's first byte left after the HEADs of 16 images), and a HEAD never waits for a slot
   * that a 32 MiB upload holds.
   */
  probe?: LimitFunction;
  logger: Logger;
  signal?: AbortSignal;
  onBytes?: (image: string, bytes: number, digest: string) => void;
  /** Reports stalled transfers and fails those under the minimum rate (see stall.ts). */
  stall?: StallWatch;
}

export class BlobScheduler {
  private readonly states = new WeakMap<ImageDestination, DestState>();
  /** Small blobs kept from their upload (digest → bytes). */
  readonly captured = new Map<string, Buffer>();

  constructor(private readonly opts: SchedulerOptions) {}

  private state(dest: ImageDestination): DestState {
    let s = this.states.get(dest);
    if (!s) this.states.set(dest, (s = new DestState()));
    return s;
  }

  /**
   * Makes sure `req.dest` holds the blob in `req.destRepo`. The first caller
   * for a blob does the work; later callers share it and see 'existing'.
   */
  ensure(req: BlobRequest): Promise<BlobOutcome> {
    const st = this.state(req.dest);
    const repo = req.dest.supportsMount ? req.destRepo : '';
    const key = `${repo}@${req.desc.digest}`;
    const running = st.inflight.get(key);
    if (running) return running.then(() => 'existing');
    if (st.has(req.desc.digest, repo)) return Promise.resolve('existing');
    const first = st.firsts.get(req.desc.digest);
    const p = this.work(req, st, repo, first);
    st.inflight.set(key, p);
    // The first transfer of a digest: none before it settled with success (then `holders` has it).
    if (!first && !st.holders.has(req.desc.digest)) st.firsts.set(req.desc.digest, p);
    // Settled with success: every path of work() has added the digest and repository to
    // `holders`, which answers later callers, so the promise (and the request it holds) goes.
    // A rejected promise stays: other images needing the blob fail with the same error.
    p.then(
      () => {
        if (st.inflight.get(key) === p) st.inflight.delete(key);
        if (st.firsts.get(req.desc.digest) === p) st.firsts.delete(req.desc.digest);
      },
      () => undefined,
    );
    return p;
  }

  /** The blob work towards `dest` held by the scheduler: running, or failed (for tests and diagnostics). */
  pending(dest: ImageDestination): { inflight: number; firsts: number } {
    const st = this.states.get(dest);
    return { inflight: st?.inflight.size ?? 0, firsts: st?.firsts.size ?? 0 };
  }

  /** What the scheduler knows `dest` holds: blobs, and how many of them it keeps a Set of repositories for (for tests and diagnostics). */
  holding(dest: ImageDestination): { blobs: number; sets: number } {
    const st = this.states.get(dest);
    let sets = 0;
    for (const h of st?.holders.values() ?? []) if (typeof h !== 'string') sets++;
    return { blobs: st?.holders.size ?? 0, sets };
  }

  private async work(req: BlobRequest, st: DestState, repo: string, first: Promise<BlobOutcome> | undefined): Promise<BlobOutcome> {
    const { dest, desc } = req;
    const { limit, signal } = this.opts;
    // Ask first whether the repository already holds the blob, unless it is known new: a mount or
    // an upload of a blob the repository has makes docker-registry rewrite its link file in place,
    // and clients pulling that blob from the mirror at that moment get HTTP 500. A sync into a live
    // mirror must never disturb its readers, so nothing is ever mounted or uploaded over a blob.
    const knownAbsent = (await req.destRepoNew?.()) === true;
    const probe = this.opts.probe ?? limit;
    if (!knownAbsent && (await probe(() => dest.hasBlob(req.destRepo, desc, signal)))) {
      st.add(desc.digest, repo);
      return 'existing';
    }
    if (dest.supportsMount) {
      // The source reads from this very store (a declared capability, not object identity): mount from its repository.
      const sameStore = dest.storeId !== undefined && req.source.storeId === dest.storeId && req.srcRepo !== req.destRepo;
      if (!sameStore && first) await first; // the blob is on its way into another repository: mount it from there
      const from = st.holderOtherThan(desc.digest, repo) ?? (sameStore ? req.srcRepo : undefined);
      if (from !== undefined) {
        const ok = await probe(() => dest.mountBlob(req.destRepo, desc, from, signal));
        if (ok) {
          st.add(desc.digest, repo);
          return 'mounted';
        }
        this.opts.logger.log('debug', `${dest.description} declined to mount ${desc.digest} from ${from} into ${req.destRepo}`);
      }
    }
    // known to move: progress adds it to the bytes to transfer
    this.opts.logger.event('blob.start', { image: req.image, digest: desc.digest, size: desc.size });
    await limit(() => this.transfer(req));
    st.add(desc.digest, repo);
    return 'uploaded';
  }

  /** GET → verify → PUT, retried a few times for transient faults. */
  private async transfer(req: BlobRequest): Promise<void> {
    const tries = new Retries(TRANSFER, this.opts.signal);
    let last: AirliftError | undefined;
    for (;;) {
      this.opts.signal?.throwIfAborted();
      try {
        await this.transferOnce(req);
        return;
      } catch (err) {
        last = toAirliftError(err);
        // A transfer under the minimum rate for a whole window is not tried again (see stall.ts).
        const d = last instanceof TransferStalledError ? undefined : tries.pause(last, undefined, retryable(last, req.source));
        if (d === undefined) break;
        this.opts.logger.log('warn', `retrying blob ${req.desc.digest} of ${req.image} (attempt ${tries.attempt} of ${TRANSFER.attempts}): ${last.message}`);
        await tries.wait(d);
      }
    }
    if (last instanceof DigestMismatchError && !last.hint) {
      (last as { hint?: string }).hint =
        req.source.rereadable
          ? `the source registry ${req.source.description} serves bytes that do not match the digest; check the image there`
          : `${req.source.description} is damaged: check it with airlift verify, and copy or save it again`;
    }
    throw last ?? new AirliftError('E_INTERNAL', `blob ${req.desc.digest} of ${req.image} was not copied`);
  }

  private async transferOnce(req: BlobRequest): Promise<void> {
    const { source, dest, desc } = req;
    if (desc.size <= SMALL_BLOB && source.getBlobBytes && dest.putBlobBytes) return this.transferBytes(req);
    return this.transferStream(req);
  }

  /** A small blob in memory: GET whole → verify → PUT (see SMALL_BLOB). */
  private async transferBytes(req: BlobRequest): Promise<void> {
    const { source, dest, desc, image } = req;
    const what = `blob ${desc.digest} of ${image} (from ${source.description})`;
    const tracked = this.opts.stall?.track({ image, digest: desc.digest, size: desc.size, from: source.description, to: dest.description }, this.opts.signal);
    const signal = tracked?.signal ?? this.opts.signal;
    try {
      // the stall watch sees the pieces as they arrive (a trickling small blob is not taken for a stalled one)
      let seen = 0;
      const bytes = await source.getBlobBytes!(req.srcRepo, desc, signal, tracked ? (n) => ((seen += n), tracked.add(n)) : undefined);
      if (bytes.length > seen) tracked?.add(bytes.length - seen);
      this.opts.onBytes?.(image, bytes.length, desc.digest);
      verifyBytes(what, bytes, desc.digest, desc.size);
      await dest.putBlobBytes!(req.destRepo, desc, bytes, signal);
      // a copy: the bytes may be a view into a larger buffer of the socket
      if (req.capture && desc.size <= MAX_CAPTURE) this.captured.set(desc.digest, Buffer.from(bytes));
    } catch (err) {
      // Failed for moving too little data: that is the error to report, whatever the abort broke.
      if (tracked?.failure) throw tracked.failure;
      const e = toAirliftError(err);
      // Name the image and the blob in every failure.
      throw e.message.includes(desc.digest) ? e : withPrefix(e, what);
    } finally {
      tracked?.done();
    }
  }

  /**
   * GET → store with no stream between: the source hands each chunk to the destination's writer
   * as it arrives (a save: the registry's body into the planned tar's buffers), the writer
   * verifying digest and size (hashesBlobs). Saves the stream layers of transferStream per chunk.
   */
  private async transferPushed(req: BlobRequest): Promise<void> {
    const { source, dest, desc, image } = req;
    const what = `blob ${desc.digest} of ${image} (from ${source.description})`;
    const onBytes = this.opts.onBytes;
    const tracked = this.opts.stall?.track({ image, digest: desc.digest, size: desc.size, from: source.description, to: dest.description }, this.opts.signal);
    const signal = tracked?.signal ?? this.opts.signal;
    let writer: ReturnType<NonNullable<ImageDestination['blobWriter']>> | undefined;
    try {
      const w = (writer = dest.blobWriter!(req.destRepo, desc, signal));
      await source.pumpBlob!(
        req.srcRepo,
        desc,
        (chunk) => {
          tracked?.add(chunk.length);
          onBytes?.(image, chunk.length, desc.digest);
          return w.write(chunk);
        },
        signal,
      );
      writer = undefined;
      await w.end();
    } catch (err) {
      await writer?.abort().catch(() => undefined);
      // Failed for moving too little data: that is the error to report, whatever the abort broke.
      if (tracked?.failure) throw tracked.failure;
      let e = toAirliftError(err);
      // the destination's own digest check names the blob only: named as the engine's would be
      if (e instanceof DigestMismatchError && !(e instanceof BlobContentError) && e.expected === desc.digest) e = new DigestMismatchError(what, e.expected, e.actual);
      throw e.message.includes(desc.digest) ? e : withPrefix(e, what);
    } finally {
      tracked?.done();
    }
  }

  /** GET → verify → PUT as one stream. */
  private async transferStream(req: BlobRequest): Promise<void> {
    const { source, dest, desc, image } = req;
    if (source.pumpBlob && dest.blobWriter && dest.hashesBlobs === true && !req.capture) return this.transferPushed(req);
    if (source.pumpBlob && !(req.capture && desc.size <= MAX_CAPTURE)) return transferPumped(req, this.opts);
    const what = `blob ${desc.digest} of ${image} (from ${source.description})`;
    const onBytes = this.opts.onBytes;
    const tracked = this.opts.stall?.track({ image, digest: desc.digest, size: desc.size, from: source.description, to: dest.description }, this.opts.signal);
    const counted = (n: number): void => {
      tracked?.add(n);
      onBytes?.(image, n, desc.digest);
    };
    const signal = tracked?.signal ?? this.opts.signal;
    const sizeOnly = dest.hashesBlobs === true;
    const meter = new MeteredStream(what, desc, counted, req.capture === true, sizeOnly);
    let body: Readable | undefined;
    try {
      body = await source.getBlob(req.srcRepo, desc, signal);
      body.once('error', (e) => meter.destroy(e));
      body.pipe(meter);
      await dest.putBlob(req.destRepo, desc, meter, signal);
    } catch (err) {
      body?.destroy();
      meter.destroy();
      throw transferFailure(err, meter.errored, { what, desc, sizeOnly, stalled: tracked?.failure });
    } finally {
      tracked?.done();
    }
    if (!meter.verified) {
      // The destination returned before the whole body was read: never trust it.
      throw new DigestMismatchError(`${what}: the destination stored it before it was verified`, desc.digest, 'an unverified body');
    }
    if (meter.chunks) this.captured.set(desc.digest, Buffer.concat(meter.chunks));
  }
}
