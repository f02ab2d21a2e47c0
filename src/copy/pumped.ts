/**
 * A blob's body pumped from its source (ImageSource.pumpBlob) into the one Readable a destination's
 * putBlob reads: each chunk checked (digest and size, DigestCheck) and counted as it arrives, the
 * last one held back until the whole body has been checked, so that a body that does not match its
 * descriptor errors instead of ending and never reaches a destination whole. One stream layer where
 * the streaming path had three per chunk (the source's PassThrough, the engine's verifier and the
 * upload's HoldLast): a registry-to-registry sync of big blobs spends that CPU on every 64 KiB.
 */
import { Readable } from 'node:stream';
import { DigestCheck } from '../digest/index.js';
import { AirliftError, BlobContentError, DigestMismatchError, toAirliftError, withPrefix } from '../errors.js';
import type { Descriptor } from '../oci/types.js';
import type { ImageDestination, ImageSource } from '../endpoint/types.js';
import type { StallWatch } from './stall.js';

/** One blob, where it comes from and where it goes: what a transfer needs of blobs.ts's BlobRequest, which extends it. */
export interface BlobRoute {
  source: ImageSource;
  srcRepo: string;
  dest: ImageDestination;
  destRepo: string;
  desc: Descriptor;
  /** The image asking, for messages and byte accounting. */
  image: string;
}
interface PumpedOptions {
  signal?: AbortSignal;
  onBytes?: (image: string, bytes: number, digest: string) => void;
  stall?: StallWatch;
}

export class PumpedBody extends Readable {
  private readonly check: DigestCheck;
  private held: Buffer | undefined;
  private wake: (() => void) | undefined;
  /** Set once the whole body was checked: the destination must not have returned before. */
  verified = false;
  /** The last chunk leaves only after the check (an upload need not hold it back again). */
  readonly holdsLast = true;

  constructor(
    what: string,
    private readonly desc: Descriptor,
    private readonly onBytes: (n: number) => void,
    private readonly sizeOnly: boolean,
  ) {
    super({ highWaterMark: 1 << 20 });
    this.check = new DigestCheck(what, desc.digest, desc.size, undefined, sizeOnly);
  }

  /** What this body verifies as it flows (see `verifiesOnWrite`); undefined when it checks the size only. */
  get verifies(): { digest: string; size: number } | undefined {
    return this.sizeOnly ? undefined : { digest: this.desc.digest, size: this.desc.size };
  }

  override _read(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    // a pump waiting for room goes on, and finds the body gone at its next chunk
    this._read();
    cb(err);
  }

  /** The source's sink: a promise while the reader has no room, a throw once it has gone or the bytes are wrong. */
  feed(chunk: Buffer): Promise<void> | undefined {
    if (this.destroyed) throw this.errored ?? new Error('the destination stopped reading the blob');
    this.check.update(chunk);
    this.onBytes(chunk.length);
    const prev = this.held;
    this.held = chunk;
    if (prev === undefined || this.push(prev)) return undefined;
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  /** The source's body ended: checked whole, then the last chunk and the end go out. */
  finish(): void {
    this.check.finish();
    this.verified = true;
    const last = this.held;
    this.held = undefined;
    if (last) this.push(last);
    this.push(null);
  }
}

/**
 * GET → verify → PUT with one stream between (PumpedBody): the source hands each chunk to the body
 * the destination reads, checked and counted on the way. The upload starts once the source has
 * answered with its first bytes (a GET that fails opens no upload).
 */
export async function transferPumped(req: BlobRoute, opts: PumpedOptions): Promise<void> {
  const { source, dest, desc, image } = req;
  const what = `blob ${desc.digest} of ${image} (from ${source.description})`;
  const onBytes = opts.onBytes;
  const tracked = opts.stall?.track({ image, digest: desc.digest, size: desc.size, from: source.description, to: dest.description }, opts.signal);
  const signal = tracked?.signal ?? opts.signal;
  const sizeOnly = dest.hashesBlobs === true;
  const body = new PumpedBody(
    what,
    desc,
    (n) => {
      tracked?.add(n);
      onBytes?.(image, n, desc.digest);
    },
    sizeOnly,
  );
  // its failure is reported from pumpError or by the upload that reads it, not as an 'error' event
  body.on('error', () => undefined);
  let answered!: () => void;
  const first = new Promise<void>((resolve) => (answered = resolve));
  let pumpError: { error: unknown } | undefined;
  // settles without rejecting: its failure is kept and fails the body the destination reads
  const pumped = source
    .pumpBlob!(
      req.srcRepo,
      desc,
      (chunk) => {
        answered();
        return body.feed(chunk);
      },
      signal,
    )
    .then(() => body.finish())
    .catch((error: unknown) => {
      pumpError = { error };
      body.destroy(error as Error);
    })
    .finally(answered);
  try {
    await first;
    if (pumpError) throw pumpError.error;
    await dest.putBlob(req.destRepo, desc, body, signal);
    if (!body.verified) {
      // The destination returned before the whole body was read: never trust it.
      throw new DigestMismatchError(`${what}: the destination stored it before it was verified`, desc.digest, 'an unverified body');
    }
    await pumped;
  } catch (err) {
    body.destroy();
    throw transferFailure(err, pumpError?.error ?? body.errored, { what, desc, sizeOnly, stalled: tracked?.failure });
  } finally {
    tracked?.done();
  }
}

/**
 * The error a failed streaming transfer reports (the engine's stream path and transferPumped):
 * `bodyErr` is the failure of the body the destination read (a digest or size mismatch, the
 * source's error), `err` what the upload threw.
 */
export function transferFailure(err: unknown, bodyErr: unknown, o: { what: string; desc: Descriptor; sizeOnly: boolean; stalled?: Error }): Error {
  // Failed for moving too little data: that is the error to report, whatever the abort broke.
  if (o.stalled) return o.stalled;
  // The body's own failure names the cause best; else the destination's error when it explains
  // itself (a full disk), else whatever broke the body.
  let e = toAirliftError(bodyErr instanceof AirliftError ? bodyErr : err instanceof AirliftError ? err : (bodyErr ?? err));
  // the destination's own digest check names the blob only: named as the engine's would be
  if (o.sizeOnly && e instanceof DigestMismatchError && !(e instanceof BlobContentError) && e.expected === o.desc.digest) e = new DigestMismatchError(o.what, e.expected, e.actual);
  // Name the image and the blob in every failure.
  return e.message.includes(o.desc.digest) ? e : withPrefix(e, o.what);
}
