/**
 * The bytes of an archive, read by position, whatever carries them: one file, the parts of a
 * split bundle (`bundle.tar.000`, `.001`, … listed by `bundle.tar.parts`), or a compressed
 * stream (compressed-source.ts). A tar is indexed and read in place over any of them
 * (source-tar.ts), so a byte range may cross a part boundary or a compressed frame.
 */
import { Readable } from 'node:stream';
import type { FileHandle } from 'node:fs/promises';
import { BundleError, IoError, toAirliftError } from '../errors.js';

export interface ByteSource {
  /** The path as given, for messages. */
  readonly description: string;
  /** Total bytes (of the uncompressed content for a compressed source). */
  readonly size: number;
  /** Fills buf[off, off+len) from `pos`; resolves with the bytes read (fewer only at the end). */
  read(buf: Buffer, off: number, len: number, pos: number): Promise<number>;
  /**
   * Checks the bytes [start, end] (inclusive) may be served: a split bundle checks the sha256 of
   * every part the range touches, once, before any of its bytes leave (a damaged part is named).
   */
  checkRange?(start: number, end: number): Promise<void>;
  close(): Promise<void>;
}

/** Reads until `len` bytes or the end of the file. */
export async function readFully(fh: FileHandle, buf: Buffer, off: number, len: number, pos: number): Promise<number> {
  let n = 0;
  while (n < len) {
    const { bytesRead } = await fh.read(buf, off + n, len - n, pos + n);
    if (bytesRead === 0) break;
    n += bytesRead;
  }
  return n;
}

/**
 * Reads exactly `len` bytes of `what` from `pos`, or fails with E_IO naming it: for a file this
 * run wrote and reads back whole (the tar that `save --compress` / `--split-size` packs), where
 * fewer bytes mean another process shrank it under the run.
 */
export async function readExactly(fh: FileHandle, buf: Buffer, off: number, len: number, pos: number, what: string): Promise<void> {
  const n = await readFully(fh, buf, off, len, pos);
  if (n < len) {
    throw new IoError(`${what} ended early: ${pos + n} bytes where this run wrote at least ${pos + len} (another process changed it)`, {
      hint: 'let nothing else write to the output while airlift runs, then run again',
    });
  }
}

/** One file, through a held descriptor. */
/**
 * The index of the last of `ranges` (sorted by `start`, the first starting at 0) whose start is at
 * or before `pos`: the part of a split bundle, or the frame of a compressed one, holding that byte.
 */
export function rangeAt(ranges: ReadonlyArray<{ start: number }>, pos: number): number {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ranges[mid]!.start <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export class FileSource implements ByteSource {
  constructor(
    readonly description: string,
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}
  read(buf: Buffer, off: number, len: number, pos: number): Promise<number> {
    return readFully(this.fh, buf, off, Math.max(0, Math.min(len, this.size - pos)), pos);
  }
  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}

/**
 * The bytes [start, end] of something read by position, as a stream in chunks of `chunk` bytes:
 * the one loop (range end, short reads, a source that ends early) of SourceRangeStream and of the
 * held tar file's stream (tar-index.ts), which differ only in how one chunk is read.
 */
export abstract class RangeStream extends Readable {
  protected pos: number;
  constructor(
    /** Names what is read in the error when it ends early ("… ended N bytes early"). */
    private readonly what: string,
    start: number,
    protected readonly end: number,
    private readonly chunk: number,
    private readonly alloc: (n: number) => Buffer = (n) => Buffer.allocUnsafeSlow(n),
    readAhead: number = chunk,
  ) {
    super({ highWaterMark: readAhead });
    this.pos = start;
  }
  /** Reads up to `n` bytes at `pos` into buf[0, n); calls `done` once with the bytes read or an error. */
  protected abstract readAt(buf: Buffer, n: number, pos: number, done: (err: unknown, got: number) => void): void;
  override _read(): void {
    const n = Math.min(this.chunk, this.end - this.pos + 1);
    if (n <= 0) {
      this.push(null);
      return;
    }
    const buf = this.alloc(n);
    this.readAt(buf, n, this.pos, (err, got) => {
      if (this.destroyed) return;
      if (err) {
        this.destroy(toAirliftError(err));
        return;
      }
      if (got === 0) {
        this.destroy(new BundleError(`${this.what} ended ${this.end - this.pos + 1} bytes early (it changed while it was read)`));
        return;
      }
      this.pos += got;
      this.push(got === n ? buf : buf.subarray(0, got));
    });
  }
}

/** The bytes [start, end] of a source as a stream, in chunks of `chunk` bytes; checked first where the source checks. */
export class SourceRangeStream extends RangeStream {
  private checked = false;
  constructor(
    private readonly source: ByteSource,
    start: number,
    end: number,
    chunk: number,
    alloc?: (n: number) => Buffer,
    readAhead?: number,
  ) {
    super(source.description, start, end, chunk, alloc, readAhead);
  }
  protected readAt(buf: Buffer, n: number, pos: number, done: (err: unknown, got: number) => void): void {
    const check = this.checked ? undefined : this.source.checkRange?.(pos, this.end);
    this.checked = true;
    void Promise.resolve(check)
      .then(() => this.source.read(buf, 0, n, pos))
      .then(
        (got) => done(undefined, got),
        (err: unknown) => done(err, 0),
      );
  }
}
