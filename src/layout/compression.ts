/**
 * The two compressions of a bundle (`save --compress gzip|zstd`) and how airlift makes them
 * seekable. The tar is cut into frames of FRAME_BYTES uncompressed bytes, each compressed on its
 * own, so any byte range is read by decompressing only the frames it touches:
 *
 * - zstd: independent zstd frames, then the seek table of zstd's "seekable format"
 *   (contrib/seekable_format in the zstd sources) in a skippable frame at the end: for each frame
 *   its compressed and decompressed size (u32 LE), then the frame count, a descriptor byte and
 *   the magic 0x8F92EAB1. `zstd -d` and `tar --zstd` skip that frame.
 * - gzip: one gzip member per frame (RFC 1952 allows many); each member's header carries an extra
 *   subfield `AL` (8 bytes: the member's own length and its uncompressed length, u32 LE), as
 *   bgzip's `BC` does, so the members are found by hopping from header to header. `gunzip` and
 *   `tar xzf` read the members as one stream and ignore the extra field.
 *
 * A foreign `.tar.gz` or `.tar.zst` (tar czf) has neither and is read in one forward pass.
 * zstd comes from node:zlib where it has it (Node 22.15+, 24); on Node 20 the pure-JS `fzstd`
 * decompresses, and compressing is refused with what to do.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { Transform, type TransformCallback } from 'node:stream';
import { UnsupportedError } from '../errors.js';

export type Compression = 'gzip' | 'zstd';

/** Uncompressed bytes per frame (gzip member / zstd frame). */
export const FRAME_BYTES = 1024 * 1024;

export const ZSTD_MAGIC = 0xfd2fb528;
export const SKIPPABLE_SEEK_MAGIC = 0x184d2a5e;
export const SEEKABLE_FOOTER_MAGIC = 0x8f92eab1;
/** The gzip extra subfield that carries a member's sizes. */
export const GZIP_SUBFIELD = Buffer.from('AL', 'ascii');

export function compressionOf(head: Buffer): Compression | undefined {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === ZSTD_MAGIC) return 'zstd';
  return undefined;
}

interface ZstdZlib {
  zstdCompress?: (buf: Buffer, opts: unknown, cb: (err: Error | null, out: Buffer) => void) => void;
  zstdDecompress?: (buf: Buffer, opts: { chunkSize: number }, cb: (err: Error | null, out: Buffer) => void) => void;
  createZstdDecompress?: () => Transform;
}
const z = zlib as unknown as ZstdZlib;

/** True when this Node compresses zstd itself (22.15+, 24). */
export function nodeHasZstd(): boolean {
  return typeof z.zstdCompress === 'function';
}

const deflateRaw = promisify(zlib.deflateRaw);
const gunzip = promisify(zlib.gunzip);

/** One frame of `data`, compressed on its own. */
export async function compressFrame(kind: Compression, data: Buffer): Promise<Buffer> {
  if (kind === 'zstd') {
    if (!z.zstdCompress) {
      throw new UnsupportedError(`save --compress zstd needs Node.js 22.15 or later (this is ${process.version})`, {
        hint: 'use --compress gzip, or run airlift on Node 22.15+/24 (the release executables carry Node 24); reading zstd bundles works on Node 20',
      });
    }
    const compress = z.zstdCompress;
    return new Promise((resolve, reject) => compress(data, {}, (err, out) => (err ? reject(err) : resolve(out))));
  }
  const body = await deflateRaw(data, { level: 6 });
  const head = Buffer.alloc(10 + 2 + 4 + 8);
  head.set([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 255]); // deflate, FEXTRA, no mtime, unknown OS
  head.writeUInt16LE(12, 10); // XLEN
  GZIP_SUBFIELD.copy(head, 12);
  head.writeUInt16LE(8, 14);
  const total = head.length + body.length + 8;
  head.writeUInt32LE(total, 16);
  head.writeUInt32LE(data.length, 20);
  const tail = Buffer.alloc(8);
  tail.writeUInt32LE(zlib.crc32(data) >>> 0, 0);
  tail.writeUInt32LE(data.length >>> 0, 4);
  return Buffer.concat([head, body, tail]);
}

/** The seek table of zstd's seekable format for frames of these sizes, as a skippable frame. */
export function zstdSeekTable(frames: ReadonlyArray<{ compressed: number; size: number }>): Buffer {
  const body = Buffer.alloc(frames.length * 8 + 9);
  frames.forEach((f, i) => {
    body.writeUInt32LE(f.compressed, i * 8);
    body.writeUInt32LE(f.size, i * 8 + 4);
  });
  body.writeUInt32LE(frames.length, frames.length * 8);
  body.writeUInt8(0, frames.length * 8 + 4); // no checksums
  body.writeUInt32LE(SEEKABLE_FOOTER_MAGIC, frames.length * 8 + 5);
  const head = Buffer.alloc(8);
  head.writeUInt32LE(SKIPPABLE_SEEK_MAGIC, 0);
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

/** Decompresses one whole frame (a gzip member, or a zstd frame) of `size` bytes once decompressed, when known. */
export async function decompressFrame(kind: Compression, data: Buffer, size = FRAME_BYTES): Promise<Buffer> {
  // one output chunk for the whole frame: zlib's 16 KiB default made decompression 3 times slower
  const opts = { chunkSize: Math.max(64 * 1024, Math.min(size, 64 * 1024 * 1024)) };
  if (kind === 'gzip') return gunzip(data, opts);
  if (z.zstdDecompress) {
    const d = z.zstdDecompress;
    return new Promise((resolve, reject) => d(data, opts, (err, out) => (err ? reject(err) : resolve(out))));
  }
  const out = (await import('fzstd')).decompress(data); // loaded only here: Node 20 reading zstd
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** A streaming decompressor for a whole foreign stream (many members or frames). */
export async function createDecompressor(kind: Compression): Promise<Transform> {
  if (kind === 'gzip') return zlib.createGunzip();
  if (z.createZstdDecompress) return z.createZstdDecompress();
  return new FzstdTransform(new (await import('fzstd')).Decompress());
}

/** fzstd's streaming decompressor as a Transform (Node 20). */
class FzstdTransform extends Transform {
  constructor(private readonly d: import('fzstd').Decompress) {
    super();
    d.ondata = (chunk: Uint8Array) => {
      this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    };
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.d.push(chunk);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
  override _flush(cb: TransformCallback): void {
    try {
      this.d.push(new Uint8Array(0), true);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
}
