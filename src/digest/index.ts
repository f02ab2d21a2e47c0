/** sha256 digests: compute, parse, and verify streams. */
import { createHash, hash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { DigestMismatchError, UnsupportedError, InputError } from '../errors.js';

const DIGEST_RE = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
const HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };

/**
 * Whether a manifest reference is a digest (`algorithm:encoded`, the OCI digest grammar) rather
 * than a tag. A tag never holds a colon; the digest's algorithm and length are checked where it is
 * used (parseDigest).
 */
export function isDigestRef(reference: string): boolean {
  return DIGEST_RE.test(reference);
}

// crypto.hash(): one call for bytes already in memory, no Hash object (Node >= 20.12; package.json asks 20.18.1)
export function sha256(data: Uint8Array | string): string {
  return `sha256:${hash('sha256', data, 'hex')}`;
}

/**
 * The sha256 digest and byte count of all a stream yields: for a file read once to be listed or
 * checked (a bundle's files, a docker archive's compressed layers). A caller that must stop on an
 * abort hands the stream over with node:stream's addAbortSignal, so the read ends at once.
 */
export async function sha256OfStream(stream: AsyncIterable<Uint8Array>): Promise<{ digest: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    h.update(chunk);
    size += chunk.byteLength;
  }
  return { digest: `sha256:${h.digest('hex')}`, size };
}

export interface ParsedDigest {
  algorithm: 'sha256' | 'sha512';
  hex: string;
}

/** Validates a digest string; throws for malformed input or algorithms airlift does not verify. */
export function parseDigest(d: string): ParsedDigest {
  const m = DIGEST_RE.exec(d);
  if (!m) throw new InputError(`invalid digest ${JSON.stringify(d)}: expected <algorithm>:<hex>`);
  const algorithm = m[1]!;
  const hex = m[2]!;
  const len = HEX_LENGTH[algorithm];
  if (len === undefined) {
    throw new UnsupportedError(`unsupported digest algorithm ${JSON.stringify(algorithm)} in ${JSON.stringify(d)}: only sha256 and sha512 are supported`);
  }
  if (hex.length !== len || !/^[a-f0-9]+$/.test(hex)) {
    throw new InputError(`invalid digest ${JSON.stringify(d)}: ${algorithm} needs ${len} lowercase hex characters`);
  }
  return { algorithm: algorithm as 'sha256' | 'sha512', hex };
}

export function digestOf(algorithm: 'sha256' | 'sha512', data: Uint8Array): string {
  return `${algorithm}:${hash(algorithm, data, 'hex')}`;
}

/** Verifies bytes already in memory against a digest (and size, if given). */
export function verifyBytes(what: string, data: Uint8Array, expected: string, size?: number): void {
  const { algorithm } = parseDigest(expected);
  if (size !== undefined && data.byteLength !== size) {
    throw new DigestMismatchError(`${what}: size`, String(size), String(data.byteLength));
  }
  const actual = digestOf(algorithm, data);
  if (actual !== expected) throw new DigestMismatchError(what, expected, actual);
}

/** The error for a body that goes on past its descriptor's size. */
export function tooManyBytes(what: string, size: number): DigestMismatchError {
  return new DigestMismatchError(`${what}: more bytes than the descriptor's size`, String(size), `>${size}`);
}

/** The error for a body that ended at another size than its descriptor's. */
export function sizeMismatch(what: string, size: number, bytes: number): DigestMismatchError {
  return new DigestMismatchError(`${what}: size`, String(size), String(bytes));
}

/**
 * The running check of one blob's bytes against its digest and size: update() with each
 * chunk (throws at the first byte past the size), finish() at the end (throws on another
 * size or digest). VerifyingStream and the stores that hash in their own write loop share it,
 * and so its messages. With `sizeOnly`, it counts without hashing (the store the bytes go to
 * hashes them: see VerifyingStream).
 */
export class DigestCheck {
  private readonly hash: Hash | undefined;
  bytes: number;
  constructor(
    private readonly what: string,
    readonly expected: string,
    readonly size?: number,
    initial?: { hash: Hash; bytes: number },
    sizeOnly = false,
  ) {
    this.hash = sizeOnly ? undefined : (initial?.hash ?? createHash(parseDigest(expected).algorithm));
    this.bytes = initial?.bytes ?? 0;
  }
  update(chunk: Uint8Array): void {
    this.bytes += chunk.byteLength;
    if (this.size !== undefined && this.bytes > this.size) throw tooManyBytes(this.what, this.size);
    this.hash?.update(chunk);
  }
  finish(): void {
    if (this.size !== undefined && this.bytes !== this.size) throw sizeMismatch(this.what, this.size, this.bytes);
    if (!this.hash) return;
    const actual = `${parseDigest(this.expected).algorithm}:${this.hash.digest('hex')}`;
    if (actual !== this.expected) throw new DigestMismatchError(this.what, this.expected, actual);
  }
}

/**
 * A pass-through stream that hashes what flows through it and fails the
 * stream (instead of ending it) when the digest or size does not match.
 * Nothing downstream should commit data before this stream has ended.
 * With `sizeOnly` it checks the size alone and does not declare that it
 * verifies (`verifies` is undefined): for a store that hashes the bytes
 * itself, off the main thread (ImageDestination.hashesBlobs).
 */
export class VerifyingStream extends Transform {
  private readonly check: DigestCheck;
  constructor(
    what: string,
    private readonly expected: string,
    private readonly size?: number,
    initial?: { hash: Hash; bytes: number },
    private readonly sizeOnly = false,
  ) {
    super();
    this.check = new DigestCheck(what, expected, size, initial, sizeOnly);
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.check.update(chunk);
    } catch (err) {
      cb(err as Error);
      return;
    }
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    try {
      this.check.finish();
    } catch (err) {
      cb(err as Error);
      return;
    }
    cb();
  }
  get bytesSeen(): number {
    return this.check.bytes;
  }
  /** The digest this stream verifies (a store may skip hashing again what such a stream feeds it). */
  get expectedDigest(): string {
    return this.expected;
  }
  /** The size this stream enforces, if any. */
  get expectedSize(): number | undefined {
    return this.size;
  }
  /** What this stream verifies on its way through (see `verifiesOnWrite`); undefined when it only counts. */
  get verifies(): { digest: string; size: number | undefined } | undefined {
    return this.sizeOnly ? undefined : { digest: this.expected, size: this.size };
  }
}

/**
 * Whether a body declares that it verifies this very digest and size as it flows (it fails
 * instead of ending on other bytes): a store it feeds need not hash the bytes a second time.
 * Asked of the body's declared capability (`verifies`), not of its class.
 */
export function verifiesOnWrite(body: unknown, desc: { digest: string; size: number }): boolean {
  const v = body !== null && typeof body === 'object' ? (body as { verifies?: { digest?: unknown; size?: unknown } }).verifies : undefined;
  return v !== undefined && v.digest === desc.digest && v.size === desc.size;
}
