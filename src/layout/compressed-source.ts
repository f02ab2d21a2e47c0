/**
 * The uncompressed bytes of a gzip- or zstd-compressed bundle, read by position (compression.ts
 * has the formats). airlift's own compressed bundles are seekable: a read decompresses only the
 * frames it touches (a few kept in memory). A foreign one (`tar czf`) is read forwards in one
 * pass; a read behind what is still held starts the decompression again from the start, so
 * readers of such a bundle go in archive order where they can (verify does).
 */
import type { Readable } from 'node:stream';
import { BundleError, toAirliftError } from '../errors.js';
import { SourceRangeStream, rangeAt, type ByteSource } from './byte-source.js';
import { GZIP_SUBFIELD, SEEKABLE_FOOTER_MAGIC, SKIPPABLE_SEEK_MAGIC, compressionOf, createDecompressor, decompressFrame, type Compression } from './compression.js';

interface Frame {
  /** Where the frame starts in the compressed source, and its length there. */
  cstart: number;
  clen: number;
  /** Where its bytes start once decompressed, and how many. */
  start: number;
  size: number;
}

/** Frames decompressed and kept (1 MiB each). */
const CACHED_FRAMES = 32;

/** airlift's seekable gzip or zstd. */
export class SeekableSource implements ByteSource {
  readonly size: number;
  private readonly cache = new Map<number, Promise<Buffer>>();
  constructor(
    readonly inner: ByteSource,
    readonly kind: Compression,
    private readonly frames: Frame[],
  ) {
    const last = frames[frames.length - 1];
    this.size = last ? last.start + last.size : 0;
  }
  get description(): string {
    return this.inner.description;
  }
  get compressedSize(): number {
    return this.inner.size;
  }
  get frameCount(): number {
    return this.frames.length;
  }
  private frameAt(pos: number): number {
    return rangeAt(this.frames, pos);
  }
  private frame(i: number): Promise<Buffer> {
    const had = this.cache.get(i);
    if (had) {
      this.cache.delete(i);
      this.cache.set(i, had); // most recently used last
      return had;
    }
    const f = this.frames[i]!;
    const p = (async () => {
      const raw = Buffer.allocUnsafe(f.clen);
      const got = await this.inner.read(raw, 0, f.clen, f.cstart);
      if (got < f.clen) throw new BundleError(`${this.description} is truncated: frame ${i} ends after ${got} of its ${f.clen} bytes`, { hint: 'copy the bundle again' });
      let out: Buffer;
      try {
        out = await decompressFrame(this.kind, raw, f.size);
      } catch (err) {
        throw new BundleError(`${this.description} is damaged: ${this.kind} frame ${i} (at byte ${f.cstart}) does not decompress: ${toAirliftError(err).message}`, { hint: 'copy the bundle again' });
      }
      if (out.length !== f.size) throw new BundleError(`${this.description} is damaged: ${this.kind} frame ${i} decompresses to ${out.length} bytes, its seek table says ${f.size}`, { hint: 'copy the bundle again' });
      return out;
    })();
    p.catch(() => this.cache.delete(i));
    this.cache.set(i, p);
    while (this.cache.size > CACHED_FRAMES) this.cache.delete(this.cache.keys().next().value!);
    return p;
  }
  async read(buf: Buffer, off: number, len: number, pos: number): Promise<number> {
    let done = 0;
    while (done < len && pos + done < this.size) {
      const i = this.frameAt(pos + done);
      const f = this.frames[i]!;
      const data = await this.frame(i);
      const from = pos + done - f.start;
      const n = Math.min(len - done, f.size - from);
      data.copy(buf, off + done, from, from + n);
      done += n;
    }
    return done;
  }
  async checkRange(start: number, end: number): Promise<void> {
    if (!this.inner.checkRange || this.frames.length === 0) return;
    const a = this.frames[this.frameAt(start)]!;
    const b = this.frames[this.frameAt(end)]!;
    await this.inner.checkRange(a.cstart, b.cstart + b.clen - 1);
  }
  async close(): Promise<void> {
    this.cache.clear();
    await this.inner.close();
  }
}

/** Bytes a forward cursor keeps behind its furthest read, for reads that go a little back. */
const KEEP_BEHIND = 8 * 1024 * 1024;
/** Forward cursors a foreign stream keeps: concurrent readers (load's blobs) each go forwards on their own. */
const CURSORS = 4;

/** One decompression of a whole foreign stream, going forwards. */
class Cursor {
  chunks: Array<{ start: number; data: Buffer }> = [];
  /** Bytes decompressed so far. */
  pos = 0;
  ended = false;
  /** When it was last read (a tick of its source), and where that read ended. */
  used = 0;
  lastEnd = -1;
  private constructor(
    private readonly stream: Readable,
    private readonly it: AsyncIterator<Buffer>,
    private readonly what: string,
  ) {}
  static async start(inner: ByteSource, kind: Compression): Promise<Cursor> {
    const raw = new SourceRangeStream(inner, 0, inner.size - 1, 1024 * 1024);
    const d = await createDecompressor(kind);
    raw.on('error', (err) => d.destroy(err));
    const stream = raw.pipe(d);
    return new Cursor(stream, (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator](), `${inner.description} does not decompress (${kind})`);
  }
  /** The first byte still held. */
  get held(): number {
    return this.chunks[0]?.start ?? this.pos;
  }
  private async pull(): Promise<boolean> {
    try {
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        return false;
      }
      this.chunks.push({ start: this.pos, data: r.value });
      this.pos += r.value.length;
      return true;
    } catch (err) {
      throw new BundleError(`${this.what}: ${toAirliftError(err).message}`, { hint: 'the bundle is damaged or truncated; copy it again' });
    }
  }
  private drop(before: number): void {
    while (this.chunks.length > 1 && this.chunks[0]!.start + this.chunks[0]!.data.length < before) this.chunks.shift();
  }
  /** Reads [pos, pos+len) (pos >= held), pulling forwards as needed. */
  async read(buf: Buffer, off: number, len: number, pos: number): Promise<number> {
    while (this.pos < pos + len && !this.ended) {
      if (!(await this.pull())) break;
      this.drop(pos - KEEP_BEHIND);
    }
    let done = 0;
    for (const c of this.chunks) {
      const at = pos + done;
      if (done >= len) break;
      if (c.start + c.data.length <= at) continue;
      const from = at - c.start;
      const n = Math.min(len - done, c.data.length - from);
      c.data.copy(buf, off + done, from, from + n);
      done += n;
    }
    this.drop(pos + done - KEEP_BEHIND);
    return done;
  }
  close(): void {
    this.stream.destroy();
  }
}

/**
 * A foreign compressed stream, decompressed forwards by a few cursors: a read goes to the
 * cursor closest behind it, and a read behind them all starts one again from the start (the least
 * recently used). Its size is known once a cursor reaches the end.
 */
export class SequentialSource implements ByteSource {
  private cursors: Cursor[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private total?: number;
  private tick = 0;
  /** Decompressions started from the start (a new cursor), and how many of those replaced one in use. */
  starts = 0;
  restarts = 0;
  constructor(
    readonly inner: ByteSource,
    readonly kind: Compression,
  ) {}
  get description(): string {
    return this.inner.description;
  }
  /** Unknown (the largest safe integer) until the end is reached. */
  get size(): number {
    return this.total ?? Number.MAX_SAFE_INTEGER;
  }
  read(buf: Buffer, off: number, len: number, pos: number): Promise<number> {
    const run = this.queue.then(() => this.readNow(buf, off, len, pos));
    this.queue = run.catch(() => undefined);
    return run;
  }
  private async readNow(buf: Buffer, off: number, len: number, pos: number): Promise<number> {
    // where the same reader goes on, else a cursor holding pos, else an idle one behind it (an
    // active one would be taken from its reader), else a new one while there is room
    let best = this.cursors.find((c) => c.lastEnd === pos) ?? this.cursors.filter((c) => c.held <= pos && pos <= c.pos).sort((a, b) => b.pos - a.pos)[0];
    if (!best) {
      const behind = this.cursors.filter((c) => c.pos <= pos).sort((a, b) => b.pos - a.pos);
      // idle: not read for a while, or read last (most likely by this same reader, jumping forwards)
      best = behind.find((c) => c.used === this.tick || this.tick - c.used > 2 * CURSORS) ?? (this.cursors.length < CURSORS ? undefined : behind[0]);
    }
    if (!best) {
      if (this.cursors.length >= CURSORS) {
        const lru = this.cursors.reduce((a, b) => (a.used <= b.used ? a : b));
        lru.close();
        this.cursors = this.cursors.filter((c) => c !== lru);
        this.restarts++;
      }
      best = await Cursor.start(this.inner, this.kind);
      this.starts++;
      this.cursors.push(best);
    }
    best.used = ++this.tick;
    const n = await best.read(buf, off, len, pos);
    best.lastEnd = pos + n;
    if (best.ended) this.total = best.pos;
    return n;
  }
  async checkRange(): Promise<void> {
    await this.inner.checkRange?.(0, this.inner.size - 1);
  }
  async close(): Promise<void> {
    for (const c of this.cursors) c.close();
    this.cursors = [];
    await this.inner.close();
  }
}

async function readAt(src: ByteSource, pos: number, len: number): Promise<Buffer> {
  const b = Buffer.alloc(len);
  const n = await src.read(b, 0, len, pos);
  return b.subarray(0, n);
}

/** The zstd seek table at the end of `src`, when it has one. */
async function zstdFrames(src: ByteSource): Promise<Frame[] | undefined> {
  if (src.size < 17) return undefined;
  const foot = await readAt(src, src.size - 9, 9);
  if (foot.readUInt32LE(5) !== SEEKABLE_FOOTER_MAGIC) return undefined;
  const count = foot.readUInt32LE(0);
  const entry = foot[4]! & 0x80 ? 12 : 8;
  const tableLen = count * entry + 9;
  const start = src.size - tableLen - 8;
  if (start < 0) throw new BundleError(`${src.description}: the zstd seek table is larger than the file`, { hint: 'copy the bundle again' });
  const table = await readAt(src, start, tableLen + 8);
  if (table.readUInt32LE(0) !== SKIPPABLE_SEEK_MAGIC || table.readUInt32LE(4) !== tableLen) {
    throw new BundleError(`${src.description}: the zstd seek table is damaged`, { hint: 'copy the bundle again' });
  }
  const frames: Frame[] = [];
  let cstart = 0;
  let ustart = 0;
  for (let i = 0; i < count; i++) {
    const clen = table.readUInt32LE(8 + i * entry);
    const size = table.readUInt32LE(8 + i * entry + 4);
    frames.push({ cstart, clen, start: ustart, size });
    cstart += clen;
    ustart += size;
  }
  if (cstart !== start) throw new BundleError(`${src.description}: the zstd seek table does not match the frames before it`, { hint: 'copy the bundle again' });
  return frames;
}

/** airlift's gzip members, found by hopping from header to header; undefined when a member does not carry the sizes. */
async function gzipFrames(src: ByteSource): Promise<Frame[] | undefined> {
  const frames: Frame[] = [];
  let pos = 0;
  let ustart = 0;
  while (pos < src.size) {
    const h = await readAt(src, pos, 24);
    if (h.length < 24 || h[0] !== 0x1f || h[1] !== 0x8b || !(h[3]! & 4) || h.readUInt16LE(10) !== 12 || !h.subarray(12, 14).equals(GZIP_SUBFIELD) || h.readUInt16LE(14) !== 8) {
      if (pos === 0) return undefined;
      throw new BundleError(`${src.description}: gzip member ${frames.length} (at byte ${pos}) has no airlift size field`, { hint: 'the bundle is damaged or was appended to; copy it again' });
    }
    const clen = h.readUInt32LE(16);
    const size = h.readUInt32LE(20);
    if (clen < 32) throw new BundleError(`${src.description}: gzip member at byte ${pos} is damaged`, { hint: 'copy the bundle again' });
    frames.push({ cstart: pos, clen, start: ustart, size });
    pos += clen;
    ustart += size;
  }
  if (pos !== src.size) throw new BundleError(`${src.description} is truncated inside its last gzip member`, { hint: 'copy the bundle again' });
  return frames;
}

/** The uncompressed bytes of a compressed source: seekable when airlift wrote it, forwards-only otherwise. */
export async function openCompressedSource(src: ByteSource): Promise<SeekableSource | SequentialSource> {
  const kind = compressionOf(await readAt(src, 0, 4));
  if (!kind) throw new BundleError(`${src.description} is not compressed`);
  const frames = kind === 'zstd' ? await zstdFrames(src) : await gzipFrames(src);
  return frames ? new SeekableSource(src, kind, frames) : new SequentialSource(src, kind);
}
