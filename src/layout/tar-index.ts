/**
 * Indexes a tar archive by reading only its 512-byte headers and seeking past
 * file data, so a layout inside a tar is read in place: every file is then a
 * byte range of the archive. ustar, pax (long names, large sizes) and GNU
 * long names are understood. Links, devices and paths that could escape a
 * directory are refused; nothing is ever extracted.
 */
import { read, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { BundleError, NotFoundError, TooLargeError, toAirliftError } from '../errors.js';
import { RangeStream } from './byte-source.js';
import { STREAM_CHUNK, type LayoutFiles, type StreamOptions } from './files.js';
import { safeEntryPath } from './paths.js';

const BLOCK = 512;
const MAX_META = 1024 * 1024;

export interface TarEntry {
  name: string;
  /** Offset of the file's data in the archive. */
  offset: number;
  size: number;
}

function cstr(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end === -1 || end > start + len ? start + len : end);
}

function parseNumeric(buf: Buffer, start: number, len: number): number | undefined {
  const first = buf[start]!;
  if (first & 0x80) {
    // base-256 (GNU/star) for values that do not fit in octal
    let v = first & 0x3f;
    if (first & 0x40) return undefined; // negative
    for (let i = 1; i < len; i++) v = v * 256 + buf[start + i]!;
    return Number.isSafeInteger(v) ? v : undefined;
  }
  const s = buf.toString('ascii', start, start + len).replace(/[\0 ]+$/g, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return undefined;
  return parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  const stored = parseNumeric(h, 148, 8);
  if (stored === undefined) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

function parsePax(where: string, data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    if (sp === -1) break;
    const len = Number(data.toString('ascii', pos, sp));
    if (!Number.isSafeInteger(len) || len <= sp - pos || pos + len > data.length) {
      throw new BundleError(`${where}: malformed pax extended header`);
    }
    const rec = data.toString('utf8', sp + 1, pos + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    pos += len;
  }
  return out;
}

export function notATar(file: string, head: Buffer): BundleError {
  const hint = 'an airlift bundle is an uncompressed tar made by `airlift save`';
  if (head[0] === 0x1f && head[1] === 0x8b) {
    return new BundleError(`${file} is gzip-compressed, not a tar archive`, { hint: `decompress it first (gunzip); ${hint}` });
  }
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) {
    return new BundleError(`${file} is zstd-compressed, not a tar archive`, { hint: `decompress it first (zstd -d); ${hint}` });
  }
  return new BundleError(`${file} is not a tar archive`, { hint });
}

async function readAt(fh: FileHandle, buf: Buffer, pos: number): Promise<number> {
  let off = 0;
  while (off < buf.length) {
    const { bytesRead } = await fh.read(buf, off, buf.length - off, pos + off);
    if (bytesRead === 0) break;
    off += bytesRead;
  }
  return off;
}

/** Opens a bundle tar for reading; a missing file is E_NOT_FOUND naming it. */
async function openBundleFile(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (err) {
    const e = toAirliftError(err);
    if (e.code === 'E_NOT_FOUND') throw new NotFoundError(`bundle ${file} does not exist`, { cause: err });
    throw e;
  }
}

/** How indexTar treats links: refuse the archive (a bundle has none), or resolve them (docker and podman save write them). */
export interface IndexTarOptions {
  /**
   * Resolve hard and symbolic links to the regular file they name inside the archive (a link out of
   * it, or to no file, is left out); the refusal a bundle would get is kept in `refusal`.
   */
  resolveLinks?: boolean;
  /** Set, with resolveLinks, to the error a link would have raised. */
  refusal?: { error?: BundleError };
}

/** What the header reads of one file go through: a window this large, read at the first header outside it. */
const HEADER_WINDOW = 16 * 1024;

/**
 * The positional reads of indexing one file (a 512-byte header, or a pax or long-name record, per
 * entry), served from a 16 KiB window read synchronously. Indexing asks for one small range at a
 * time and waits for each; asynchronous reads cost a thread-pool round trip each (a bundle of
 * 2,000 images has some 8,000 entries), which on a busy machine took longer than the reads. The
 * window serves the headers of the small files (manifests, configs, index.json) that sit together,
 * and a header after a layer costs one read. Nothing else runs while a bundle is opened.
 */
export function windowedReads(fd: number): (buf: Buffer, pos: number) => Promise<number> {
  const window = Buffer.allocUnsafe(HEADER_WINDOW);
  let start = 0;
  let length = 0;
  const fill = (into: Buffer, at: number): number => {
    let off = 0;
    while (off < into.length) {
      const n = readSync(fd, into, off, into.length - off, at + off);
      if (n === 0) break;
      off += n;
    }
    return off;
  };
  return (buf, pos) => {
    try {
      if (buf.length > HEADER_WINDOW) return Promise.resolve(fill(buf, pos));
      if (pos < start || pos + buf.length > start + length) {
        start = pos;
        length = fill(window, pos);
      }
      const n = Math.max(0, Math.min(buf.length, start + length - pos));
      window.copy(buf, 0, pos - start, pos - start + n);
      return Promise.resolve(n);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  };
}

/** The error for a bundle that is not a regular file (a pipe, `<(…)`, a device): it is read in place, by offset. */
export function notARegularFile(file: string): BundleError {
  return new BundleError(`${file} is not a regular file`, { hint: 'a bundle is read in place (by offset), not as a stream: write it to a file first (… > bundle.tar) and give that file' });
}

/** Lists the regular files of a tar archive with their data offsets. */
export async function indexTar(file: string, held?: FileHandle, opts: IndexTarOptions = {}): Promise<Map<string, TarEntry>> {
  const fh = held ?? (await openBundleFile(file));
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw notARegularFile(file);
    return await indexTarBytes(file, st.size, windowedReads(fh.fd), opts);
  } finally {
    if (!held) await fh.close();
  }
}

/**
 * Lists the regular files of a tar of `total` bytes read through `readAt` (fills buf from pos,
 * resolves with the bytes read): a file, or a tar spread over parts or inside a compressed stream.
 */
export async function indexTarBytes(
  file: string,
  total: number,
  readAt: (buf: Buffer, pos: number) => Promise<number>,
  opts: IndexTarOptions = {},
): Promise<Map<string, TarEntry>> {
  {
    const entries = new Map<string, TarEntry>();
    const links = new Map<string, string>();
    const h = Buffer.alloc(BLOCK);
    let pos = 0;
    let pax: Record<string, string> = {};
    let longName: string | undefined;
    let longLink: string | undefined;
    for (;;) {
      if (pos >= total) {
        if (pos === 0) throw new BundleError(`${file} is empty, not a tar archive`);
        break; // no end-of-archive blocks; accept what was complete
      }
      const n = await readAt(h, pos);
      if (n < BLOCK) {
        if (pos === 0) throw notATar(file, h.subarray(0, n));
        throw new BundleError(`${file} is truncated: it ends inside a tar header at offset ${pos}`, {
          hint: 'the bundle is incomplete; copy it again',
        });
      }
      if (h.every((b) => b === 0)) break;
      if (!checksumOk(h)) {
        if (pos === 0) throw notATar(file, h);
        throw new BundleError(`${file} is damaged: bad tar header checksum at offset ${pos}`, { hint: 'copy the bundle again' });
      }
      const type = String.fromCharCode(h[156]!);
      const magic = h.toString('ascii', 257, 263);
      let size = parseNumeric(h, 124, 12);
      if (size === undefined) throw new BundleError(`${file}: invalid size in tar header at offset ${pos}`);
      const dataStart = pos + BLOCK;
      if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
        if (size > MAX_META) throw new TooLargeError(`${file}: tar metadata entry at offset ${pos} is ${size} bytes`);
        const data = Buffer.alloc(size);
        if ((await readAt(data, dataStart)) < size) throw new BundleError(`${file} is truncated inside a tar header at offset ${pos}`);
        if (type === 'x') pax = { ...pax, ...parsePax(file, data) };
        else if (type === 'L') longName = cstr(data, 0, data.length);
        else if (type === 'K') longLink = cstr(data, 0, data.length);
        pos = dataStart + Math.ceil(size / BLOCK) * BLOCK;
        continue;
      }
      let rawName = pax.path ?? longName;
      if (rawName === undefined) {
        const base = cstr(h, 0, 100);
        const prefix = magic === 'ustar\0' ? cstr(h, 345, 155) : '';
        rawName = prefix ? `${prefix}/${base}` : base;
      }
      if (pax.size !== undefined) {
        const s = Number(pax.size);
        if (!Number.isSafeInteger(s) || s < 0) throw new BundleError(`${file}: entry ${JSON.stringify(rawName)} has an invalid pax size`);
        size = s;
      }
      const linkName = pax.linkpath ?? longLink ?? cstr(h, 157, 100);
      pax = {};
      longName = undefined;
      longLink = undefined;
      const name = safeEntryPath(file, rawName);
      if (type === '1' || type === '2') {
        const kind = type === '1' ? 'a hard link' : 'a symbolic link';
        const error = new BundleError(`${file}: entry ${JSON.stringify(rawName)} is ${kind}; refusing to read this archive`, {
          hint: 'an airlift bundle contains only regular files and directories',
        });
        if (!opts.resolveLinks) throw error;
        if (opts.refusal) opts.refusal.error ??= error;
        // a hard link names an archive path; a symbolic link is relative to its own directory
        const target = type === '1' ? linkName : path.posix.join(path.posix.dirname(name ?? ''), linkName);
        const normal = path.posix.normalize(target);
        if (name !== undefined && !linkName.startsWith('/') && !normal.startsWith('../') && normal !== '..') links.set(name, normal.replace(/^\.\//, ''));
        pos = dataStart;
        continue;
      }
      if (type === '5') {
        pos = dataStart;
        continue;
      }
      if (type !== '0' && type !== '\0' && type !== '7') {
        throw new BundleError(`${file}: entry ${JSON.stringify(rawName)} has unsupported tar type ${JSON.stringify(type)}`, {
          hint: 'an airlift bundle contains only regular files and directories',
        });
      }
      const next = dataStart + Math.ceil(size / BLOCK) * BLOCK;
      if (dataStart + size > total) {
        throw new BundleError(`${file} is truncated: entry ${JSON.stringify(rawName)} needs ${size} bytes but the file ends first`, {
          hint: 'the bundle is incomplete; copy it again',
        });
      }
      if (name !== undefined) entries.set(name, { name, offset: dataStart, size });
      pos = next;
    }
    for (const [name, target] of links) {
      let t: string | undefined = target;
      for (let hop = 0; t !== undefined && !entries.has(t) && hop < 8; hop++) t = links.get(t);
      const e = t === undefined ? undefined : entries.get(t);
      if (e && !entries.has(name)) entries.set(name, { ...e, name });
    }
    return entries;
  }
}

/**
 * The bytes [start, end] of a held file, read with positional reads. Never
 * closes the descriptor: fs.createReadStream closes even a borrowed `fd` when
 * the stream is destroyed (an aborted upload), and FileHandle.createReadStream
 * adds a 'close' listener to the handle per stream that is never removed.
 */
class HandleRangeStream extends RangeStream {
  constructor(
    private readonly fh: FileHandle,
    start: number,
    end: number,
    chunk: number,
    alloc?: (n: number) => Buffer,
    readAhead?: number,
  ) {
    super('the bundle', start, end, chunk, alloc, readAhead);
  }
  protected readAt(buf: Buffer, n: number, pos: number, done: (err: unknown, got: number) => void): void {
    // The callback API: no promise per chunk (those outlive slow sockets and pile up in the old generation).
    read(this.fh.fd, buf, 0, n, pos, (err, bytesRead) => done(err, bytesRead));
  }
}

/**
 * The files of a tar archive, read in place through one descriptor opened
 * with the index and held until close(): every read comes from the archive
 * that was indexed, even when the path is replaced on disk (a rename) while
 * it is being read, so offsets and sizes never apply to another file.
 */
export class TarFiles implements LayoutFiles {
  private constructor(
    readonly file: string,
    private readonly entries: Map<string, TarEntry>,
    private readonly fh: FileHandle,
    private readonly identity: { dev: number; ino: number },
  ) {}
  /** With `resolveLinks`, links are read as the files they name (docker and podman archives); see IndexTarOptions. */
  static async open(file: string, opts: IndexTarOptions = {}): Promise<TarFiles> {
    const fh = await openBundleFile(file);
    try {
      const st = await fh.stat();
      return new TarFiles(file, await indexTar(file, fh, opts), fh, { dev: st.dev, ino: st.ino });
    } catch (err) {
      await fh.close();
      throw err;
    }
  }
  get description(): string {
    return this.file;
  }
  entry(name: string): TarEntry | undefined {
    return this.entries.get(name);
  }
  /** True when the path now names another file than the one opened (replaced or removed on disk). */
  async replacedOnDisk(): Promise<boolean> {
    try {
      const st = await stat(this.file);
      return st.dev !== this.identity.dev || st.ino !== this.identity.ino;
    } catch {
      return true;
    }
  }
  async changeStamp(): Promise<string | undefined> {
    const st = await this.fh.stat();
    return `${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  }
  async size(name: string): Promise<number | undefined> {
    return this.entries.get(name)?.size;
  }
  async read(name: string, max: number): Promise<Buffer> {
    const e = this.entries.get(name);
    if (!e) throw new NotFoundError(`${this.file}: ${name} is missing`);
    if (e.size > max) throw new TooLargeError(`${this.file}: ${name} is ${e.size} bytes, over the ${max}-byte limit`);
    const buf = Buffer.alloc(e.size);
    const n = await readAt(this.fh, buf, e.offset);
    if (n < e.size) throw new BundleError(`${this.file} is truncated: ${name} ends after ${n} of its ${e.size} bytes`, { hint: 'the bundle changed while it was read; copy it again' });
    return buf;
  }
  async stream(name: string, range?: { start: number; end: number }, opts: StreamOptions = {}): Promise<Readable> {
    const e = this.entries.get(name);
    if (!e) throw new NotFoundError(`${this.file}: ${name} is missing`);
    const start = range?.start ?? 0;
    const end = range?.end ?? e.size - 1;
    if (end < start) return Readable.from([]);
    return new HandleRangeStream(this.fh, e.offset + start, e.offset + Math.min(end, e.size - 1), opts.chunk ?? STREAM_CHUNK, opts.alloc, opts.readAhead);
  }
  async list(): Promise<string[]> {
    return [...this.entries.keys()].sort();
  }
  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}
