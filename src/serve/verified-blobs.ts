/**
 * `serve` never sends bytes that do not match the digest it announces.
 *
 * A whole blob goes through a guard that hashes it on the way out and holds
 * back its last chunk until the digest is checked: on a mismatch the
 * connection is cut before the body is complete, so no client ever receives
 * a whole body that does not match. A range is served only from a blob
 * already verified whole. What was verified is remembered while the bundle's
 * file (the descriptor serve holds) is unchanged; an in-place write to it
 * (a new mtime or size) forgets it, and a layout directory is checked on
 * every request. A blob found damaged is refused from then on.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseDigest } from '../digest/index.js';
import { BundleError, DigestMismatchError } from '../errors.js';
import type { LayoutReader } from '../layout/reader.js';
import type { Logger } from '../log.js';
import type { ChunkPool } from './chunk-pool.js';

/** Read size for served blobs: small enough that 250 slow clients hold little memory (back-pressure does the rest). */
export const SERVE_CHUNK = 64 * 1024;

/** Counts and hashes a blob's bytes as they pass; says why they do not match, or undefined. */
class BlobTally {
  private readonly hash: Hash;
  private bytes = 0;
  constructor(
    private readonly digest: string,
    private readonly size: number,
  ) {
    this.hash = createHash(parseDigest(digest).algorithm);
  }
  /** Why the bytes so far already cannot match, or undefined. */
  add(chunk: Buffer): string | undefined {
    this.bytes += chunk.length;
    if (this.bytes > this.size) return `more than its ${this.size} bytes`;
    this.hash.update(chunk);
    return undefined;
  }
  finish(): string | undefined {
    if (this.bytes !== this.size) return `${this.bytes} bytes where ${this.size} were announced`;
    const actual = `${parseDigest(this.digest).algorithm}:${this.hash.digest('hex')}`;
    return actual === this.digest ? undefined : `its bytes hash to ${actual}`;
  }
}

/** Hashes what flows through; the last chunk leaves only once bytes and digest match. */
class WithholdingVerifier extends Transform {
  private readonly tally: BlobTally;
  private held: Buffer | undefined;
  constructor(
    private readonly digest: string,
    size: number,
    private readonly onResult: (ok: boolean, why?: string) => void,
  ) {
    super();
    this.tally = new BlobTally(digest, size);
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const why = this.tally.add(chunk);
    if (why !== undefined) return cb(this.fail(why));
    const out = this.held;
    this.held = chunk;
    cb(null, out);
  }
  override _flush(cb: TransformCallback): void {
    const why = this.tally.finish();
    if (why !== undefined) return cb(this.fail(why));
    this.onResult(true);
    if (this.held) this.push(this.held);
    this.held = undefined;
    cb();
  }
  private fail(why: string): Error {
    this.held = undefined;
    this.onResult(false, why);
    return new DigestMismatchError(`blob ${this.digest}: ${why}`, this.digest, why);
  }
}

/**
 * Writes one chunk and waits until the socket has taken it (the write's
 * callback): then nothing holds the chunk any more and it goes back to the
 * pool. One write in flight per connection is the back-pressure.
 */
function writeChunk(out: Writable, chunk: Buffer, pool: ChunkPool | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = (): void => reject(new Error('the client closed the connection'));
    out.once('close', onClose);
    out.write(chunk, (err) => {
      out.off('close', onClose);
      if (err) return reject(err);
      pool?.give(chunk);
      resolve();
    });
  });
}

export class BlobGuard {
  private readonly verified = new Set<string>();
  private readonly damaged = new Map<string, string>();
  private readonly pending = new Map<string, Promise<void>>();
  private stamp: string | undefined;
  private replacedCheckedAt = 0;
  private replacedSaid = false;

  constructor(
    private readonly reader: LayoutReader,
    private readonly logger?: Logger,
  ) {}

  /** Forgets what was verified when the file under the held descriptor changed in place. */
  private async refresh(): Promise<void> {
    const now = Date.now();
    if (!this.replacedSaid && this.reader.files.replacedOnDisk && now - this.replacedCheckedAt > 2000) {
      this.replacedCheckedAt = now;
      if (await this.reader.files.replacedOnDisk()) {
        this.replacedSaid = true;
        this.logger?.log('warn', `serve: ${this.reader.description} was replaced on disk; serving the bundle opened at start (restart serve to serve the new one)`);
      }
    }
    const stamp = await this.reader.files.changeStamp?.();
    if (stamp === undefined) {
      this.verified.clear();
      return;
    }
    if (stamp !== this.stamp) {
      if (this.stamp !== undefined) {
        this.logger?.log('warn', `serve: ${this.reader.description} was modified in place; every blob is verified again as it is served`);
        this.damaged.clear();
      }
      this.verified.clear();
      this.stamp = stamp;
    }
  }

  /** Why a blob is refused (its bytes did not match before), or undefined. */
  async refused(digest: string): Promise<string | undefined> {
    await this.refresh();
    return this.damaged.get(digest);
  }

  private record(digest: string, ok: boolean, why?: string): void {
    if (ok) {
      this.verified.add(digest);
      return;
    }
    const message = `blob ${digest} in ${this.reader.description} does not match its digest (${why}); it is not served`;
    if (!this.damaged.has(digest)) this.logger?.log('error', `serve: ${message}`);
    this.damaged.set(digest, message);
  }

  /** A pass-through for the whole blob: a mismatch errors it before its last chunk leaves. */
  verifier(digest: string, size: number): Transform {
    return new WithholdingVerifier(digest, size, (ok, why) => this.record(digest, ok, why));
  }

  /**
   * Sends a whole blob from `body` to `out` (then ends it), hashing it on the
   * way. Every chunk leaves as soon as it is hashed, except the one that
   * completes the blob: that leaves only once bytes and digest match, so a
   * mismatch (thrown) cuts the body short. The next chunk is read only once
   * the socket has taken the last (one chunk per connection), and chunks go
   * back to `pool` then.
   */
  async send(digest: string, size: number, body: Readable, out: Writable, pool?: ChunkPool): Promise<void> {
    const tally = new BlobTally(digest, size);
    const fail = (why: string): Error => {
      this.record(digest, false, why);
      return new DigestMismatchError(`blob ${digest}: ${why}`, digest, why);
    };
    let held: Buffer | undefined;
    let bytes = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const why = tally.add(chunk);
      if (why !== undefined) throw fail(why);
      bytes += chunk.length;
      if (bytes < size) await writeChunk(out, chunk, pool);
      else held = chunk;
    }
    const why = tally.finish();
    if (why !== undefined) throw fail(why);
    this.record(digest, true);
    if (held) await writeChunk(out, held, pool);
    await new Promise<void>((resolve) => out.end(resolve));
  }

  /** Verifies the whole blob once (shared by concurrent callers); BundleError when it does not match. */
  async ensureVerified(digest: string, size: number): Promise<void> {
    if (this.verified.has(digest)) return;
    let p = this.pending.get(digest);
    if (!p) {
      p = (async () => {
        const body = await this.reader.openBlob({ digest, size }, undefined, { chunk: SERVE_CHUNK });
        await pipeline(body, this.verifier(digest, size), async (src: AsyncIterable<unknown>) => {
          for await (const _ of src) void _;
        });
      })().finally(() => this.pending.delete(digest));
      this.pending.set(digest, p);
    }
    try {
      await p;
    } catch {
      throw new BundleError(this.damaged.get(digest) ?? `blob ${digest} could not be verified`);
    }
  }
}
