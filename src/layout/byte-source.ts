/**
 * The bytes of an archive, read by position, whatever carries them: one file, the parts of a
 * split bundle (`bundle.tar.000`, `.001`, … listed by `bundle.tar.parts`), or a compressed
 * stream (compressed-source.ts). A tar is indexed and read in place over any of them
 * (source-tar.ts), so a byte range may cross a part boundary or a compressed frame.
 */
import { Readable } from 'node:stream';
import type { FileHandle } from 'node:fs/promises';
import { BundleError, toAirliftError } from '../errors.js';

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

/** One file, through a held descriptor. */
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

/** The bytes [start, end] of a source as a stream, in chunks of `chunk` bytes; checked first where the source checks. */
export class SourceRangeStream extends Readable {
  private pos: number;
  private checked = false;
  constructor(
    private readonly source: ByteSource,
    start: number,
    private readonly end: number,
    private readonly chunk: number,
    private readonly alloc: (n: number) => Buffer = (n) => Buffer.allocUnsafeSlow(n),
    readAhead: number = chunk,
  ) {
    super({ highWaterMark: readAhead });
    this.pos = start;
  }
  override _read(): void {
    void this.next().catch((err: unknown) => {
      if (!this.destroyed) this.destroy(toAirliftError(err));
    });
  }
  private async next(): Promise<void> {
    if (!this.checked) {
      this.checked = true;
      if (this.end >= this.pos) await this.source.checkRange?.(this.pos, this.end);
    }
    const n = Math.min(this.chunk, this.end - this.pos + 1);
    if (n <= 0) {
      this.push(null);
      return;
    }
    const buf = this.alloc(n);
    const got = await this.source.read(buf, 0, n, this.pos);
    if (this.destroyed) return;
    if (got === 0) {
      this.destroy(new BundleError(`${this.source.description} ended ${this.end - this.pos + 1} bytes early (it changed while it was read)`));
      return;
    }
    this.pos += got;
    this.push(got === n ? buf : buf.subarray(0, got));
  }
}
