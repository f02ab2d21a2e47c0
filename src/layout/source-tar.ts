/**
 * A tar read in place over any ByteSource (the parts of a split bundle, a compressed stream):
 * indexed once by its headers, every file then a byte range of the source. A plain tar file goes
 * through TarFiles (tar-index.ts) instead, with its own faster reads.
 */
import { Readable } from 'node:stream';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { BundleError, NotFoundError, TooLargeError, toAirliftError, withHint } from '../errors.js';
import { FileSource, SourceRangeStream, type ByteSource } from './byte-source.js';
import { STREAM_CHUNK, type LayoutFiles, type StreamOptions } from './files.js';
import { SeekableSource, SequentialSource, openCompressedSource } from './compressed-source.js';
import { compressionOf, type Compression } from './compression.js';
import { PARTS_SUFFIX, PartsSource, partsManifestFor } from './parts.js';
import { TarFiles, indexTarBytes, notARegularFile, notATar, type IndexTarOptions, type TarEntry } from './tar-index.js';

/** Small files a forward-only source keeps once read, and how many bytes of them at most. */
const SMALL_FILE = 256 * 1024;
const SMALL_TOTAL = 64 * 1024 * 1024;

export class SourceTarFiles implements LayoutFiles {
  private readonly small = new Map<string, Buffer>();
  private smallBytes = 0;
  private constructor(
    readonly source: ByteSource,
    private readonly entries: Map<string, TarEntry>,
  ) {}
  /** Indexes the tar the source holds; the files own the source from then on (closed when indexing fails). */
  static async open(source: ByteSource, opts: IndexTarOptions = {}): Promise<SourceTarFiles> {
    try {
      const head = Buffer.alloc(Math.min(512, source.size));
      await source.read(head, 0, head.length, 0);
      if (source.size < 512) throw source.size === 0 ? new BundleError(`${source.description} is empty, not a tar archive`) : notATar(source.description, head);
      const entries = await indexTarBytes(source.description, source.size, (buf, pos) => source.read(buf, 0, buf.length, pos), opts);
      return new SourceTarFiles(source, entries);
    } catch (err) {
      await source.close();
      throw err;
    }
  }
  get description(): string {
    return this.source.description;
  }
  entry(name: string): TarEntry | undefined {
    return this.entries.get(name);
  }
  /** Every tar entry, with its offset in the (uncompressed) source: inspect and sequential readers order by it. */
  allEntries(): TarEntry[] {
    return [...this.entries.values()].sort((a, b) => a.offset - b.offset);
  }
  async size(name: string): Promise<number | undefined> {
    return this.entries.get(name)?.size;
  }
  async read(name: string, max: number): Promise<Buffer> {
    const e = this.entries.get(name);
    if (!e) throw new NotFoundError(`${this.description}: ${name} is missing`);
    if (e.size > max) throw new TooLargeError(`${this.description}: ${name} is ${e.size} bytes, over the ${max}-byte limit`);
    const kept = this.small.get(name);
    if (kept) return Buffer.from(kept);
    const buf = Buffer.alloc(e.size);
    const n = await this.source.read(buf, 0, e.size, e.offset);
    if (n < e.size) throw new BundleError(`${this.description} is truncated: ${name} ends after ${n} of its ${e.size} bytes`, { hint: 'copy the bundle again' });
    // a forward-only source keeps small files (manifests, configs): a second read would start it again
    if (this.source instanceof SequentialSource && e.size <= SMALL_FILE && this.smallBytes + e.size <= SMALL_TOTAL) {
      this.small.set(name, Buffer.from(buf));
      this.smallBytes += e.size;
    }
    return buf;
  }
  async stream(name: string, range?: { start: number; end: number }, opts: StreamOptions = {}): Promise<Readable> {
    const e = this.entries.get(name);
    if (!e) throw new NotFoundError(`${this.description}: ${name} is missing`);
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? e.size - 1, e.size - 1);
    if (end < start) return Readable.from([]);
    return new SourceRangeStream(this.source, e.offset + start, e.offset + end, opts.chunk ?? STREAM_CHUNK, opts.alloc, opts.readAhead);
  }
  async list(): Promise<string[]> {
    return [...this.entries.keys()].sort();
  }
  async close(): Promise<void> {
    await this.source.close();
  }
}

/**
 * The files of a bundle archive at `file`: a tar (read in place), the parts of a split bundle
 * (`bundle.tar.parts`, `bundle.tar.000`, or `bundle.tar` when only its parts are there), and
 * either of those gzip- or zstd-compressed.
 */
export async function openArchiveFiles(file: string, opts: IndexTarOptions = {}): Promise<TarFiles | SourceTarFiles> {
  const manifest = await partsManifestFor(file);
  let source: ByteSource;
  if (manifest) source = await PartsSource.open(manifest);
  else {
    let fh;
    try {
      fh = await open(file, 'r');
    } catch (err) {
      const e = toAirliftError(err);
      if (e.code === 'E_NOT_FOUND') throw new NotFoundError(`bundle ${file} does not exist`, { cause: err });
      throw e;
    }
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      throw notARegularFile(file);
    }
    source = new FileSource(file, fh, st.size);
  }
  try {
    const head = Buffer.alloc(Math.min(4, source.size));
    await source.read(head, 0, head.length, 0);
    if (compressionOf(head)) return await SourceTarFiles.open(await openCompressedSource(source), opts);
  } catch (err) {
    await source.close();
    throw err;
  }
  if (source instanceof PartsSource) return SourceTarFiles.open(source, opts);
  await source.close();
  const part = /^(.*)\.\d{3,}$/.exec(file);
  try {
    return await TarFiles.open(file, opts);
  } catch (err) {
    // bundle.tar.000 alone is not a tar: say which file makes it readable
    if (part) throw withHint(toAirliftError(err), `${file} looks like one part of a split bundle: its ${path.basename(part[1]!)}${PARTS_SUFFIX} file (written by save --split-size) must be next to it`);
    throw err;
  }
}

/** How an archive is stored: split into parts, compressed (seekable when airlift wrote it). */
export interface ArchiveForm {
  parts?: PartsSource;
  compression?: { kind: Compression; seekable: boolean; compressedBytes: number };
  /** Bytes of the tar itself (uncompressed); undefined for a foreign compressed archive not yet read to its end. */
  tarBytes?: number;
}

export function archiveForm(files: LayoutFiles): ArchiveForm {
  if (!(files instanceof SourceTarFiles)) return {};
  const src = files.source;
  if (src instanceof PartsSource) return { parts: src, tarBytes: src.size };
  if (src instanceof SeekableSource || src instanceof SequentialSource) {
    const inner = src.inner;
    const seekable = src instanceof SeekableSource;
    return {
      ...(inner instanceof PartsSource ? { parts: inner } : {}),
      compression: { kind: src.kind, seekable, compressedBytes: inner.size },
      ...(seekable || src.size !== Number.MAX_SAFE_INTEGER ? { tarBytes: src.size } : {}),
    };
  }
  return {};
}
