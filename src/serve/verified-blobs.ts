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
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseDigest } from '../digest/index.js';
import { BundleError, DigestMismatchError } from '../errors.js';
import type { LayoutReader } from '../layout/reader.js';
import type { Logger } from '../log.js';

/** Read size for served blobs: small enough that 250 slow clients hold little memory (back-pressure does the rest). */
export const SERVE_CHUNK = 64 * 1024;

/** Hashes what flows through; the last chunk leaves only once bytes and digest match. */
class WithholdingVerifier extends Transform {
  private readonly hash: Hash;
  private bytes = 0;
  private held: Buffer | undefined;
  constructor(
    private readonly digest: string,
    private readonly size: number,
    private readonly onResult: (ok: boolean, why?: string) => void,
  ) {
    super();
    this.hash = createHash(parseDigest(digest).algorithm);
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.size) return cb(this.fail(`more than its ${this.size} bytes`));
    this.hash.update(chunk);
    const out = this.held;
    this.held = chunk;
    cb(null, out);
  }
  override _flush(cb: TransformCallback): void {
    if (this.bytes !== this.size) return cb(this.fail(`${this.bytes} bytes where ${this.size} were announced`));
    const actual = `${parseDigest(this.digest).algorithm}:${this.hash.digest('hex')}`;
    if (actual !== this.digest) return cb(this.fail(`its bytes hash to ${actual}`));
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
