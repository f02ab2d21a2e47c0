/**
 * Writes a deterministic tar: entries in the order given, fixed mtime 0,
 * uid/gid 0, no user names, mode 0644 (files; 0755 for executables) / 0755 (directories), parent
 * directories emitted once before their first file, pax headers only for
 * names over 100 bytes or sizes over 8 GiB. File data streams from disk in
 * large chunks, so memory stays bounded whatever the file size.
 */
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { IoError } from '../errors.js';
import { STREAM_CHUNK } from './files.js';

const BLOCK = 512;
const MAX_OCTAL_SIZE = 0o77777777777;

export interface TarInput {
  /** Slash-separated relative path. */
  name: string;
  /**
   * In-memory content, text (written as UTF-8 a piece at a time: no copy of the whole, for
   * index.json, manifest.json and the lock of a large bundle; a function is called when the entry
   * is written and its text let go after it, so of several only one is whole at a time), or a file
   * on disk with its expected size.
   */
  data: Uint8Array | { text: string | (() => string) } | { path: string; size: number };
  /** Mode 0755 instead of 0644: a program people run once extracted (the release files of `save --include-self`). */
  executable?: boolean;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/**
 * The fields a header of this type and mode always has (no name, no size; the checksum field as the
 * eight spaces it is summed as) and their byte sum, made once: a header is then a copy of it, the name
 * and size written in, and only their bytes added to the sum (a save writes a header per blob, and
 * building each from scratch was a tenth of the bundle's own CPU in a save of 200 small images).
 */
const templates = new Map<string, { block: Buffer; sum: number }>();
function templateOf(type: '0' | '5' | 'x', mode: number): { block: Buffer; sum: number } {
  const key = `${type}${mode}`;
  let t = templates.get(key);
  if (!t) {
    const h = Buffer.alloc(BLOCK);
    h.write(octal(mode, 8), 100, 'ascii');
    h.write(octal(0, 8), 108, 'ascii');
    h.write(octal(0, 8), 116, 'ascii');
    h.write(octal(0, 12), 136, 'ascii');
    h.write('        ', 148, 'ascii');
    h.write(type, 156, 'ascii');
    h.write('ustar\0', 257, 'ascii');
    h.write('00', 263, 'ascii');
    h.write(octal(0, 8), 329, 'ascii');
    h.write(octal(0, 8), 337, 'ascii');
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += h[i]!;
    templates.set(key, (t = { block: h, sum }));
  }
  return t;
}

function header(name: string, size: number, type: '0' | '5' | 'x', mode: number): Buffer {
  const t = templateOf(type, mode);
  const h = Buffer.allocUnsafe(BLOCK);
  t.block.copy(h);
  const n = h.write(name, 0, 100, 'utf8');
  h.write(octal(size > MAX_OCTAL_SIZE ? 0 : size, 12), 124, 'ascii');
  let sum = t.sum;
  for (let i = 0; i < n; i++) sum += h[i]!;
  for (let i = 124; i < 136; i++) sum += h[i]!;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

function padding(size: number): Buffer {
  return Buffer.alloc(paddingLength(size));
}

/** The header blocks (pax extension included when needed) for one entry. */
export function entryHeader(name: string, size: number, type: '0' | '5', executable = false): Buffer {
  const mode = type === '5' || executable ? 0o755 : 0o644;
  const fullName = type === '5' ? `${name}/` : name;
  const records: string[] = [];
  if (Buffer.byteLength(fullName) > 100) records.push(paxRecord('path', fullName));
  if (size > MAX_OCTAL_SIZE) records.push(paxRecord('size', String(size)));
  const main = header(Buffer.byteLength(fullName) > 100 ? fullName.slice(0, 99) : fullName, size, type, mode);
  if (records.length === 0) return main;
  const pax = Buffer.from(records.join(''), 'utf8');
  return Buffer.concat([header('PaxHeaders/entry', pax.length, 'x', 0o644), pax, padding(pax.length), main]);
}

/** One file of a planned tar: its header blocks (with any parent directory entries before it) and where its data goes. */
export interface PlannedEntry {
  name: string;
  size: number;
  /** Where the header blocks start. */
  offset: number;
  /** Parent directory entries not emitted before, then the file's own header (pax included). */
  header: Buffer;
  /** offset + header.length. */
  dataOffset: number;
}

/**
 * Lays out files as tar entries from `start`, in the order given; a parent
 * directory gets an entry once, before its first file (`dirs` names those
 * already emitted and is updated). Pure: no I/O. `end` is where the next
 * entry (or the end-of-archive blocks) would go.
 */
export function planEntries(files: ReadonlyArray<{ name: string; size: number; executable?: boolean }>, start = 0, dirs = new Set<string>()): { entries: PlannedEntry[]; end: number } {
  const { entries, end } = layoutEntries(files, start, dirs, true);
  return { entries: entries as PlannedEntry[], end };
}

/**
 * planEntries without the header of an entry that is one plain block (no parent directory entry,
 * no pax record): `entryHeader(name, size, '0')` gives it again when its data is written. A
 * planned tar of 30,000 blobs (10,000 images) holds 15 MiB of headers less, and never builds them
 * all at once.
 */
export function planEntriesLazy(
  files: ReadonlyArray<{ name: string; size: number; executable?: boolean }>,
  start = 0,
  dirs = new Set<string>(),
): { entries: Array<Omit<PlannedEntry, 'header'> & { header?: Buffer }>; end: number } {
  return layoutEntries(files, start, dirs, false);
}

function layoutEntries(
  files: ReadonlyArray<{ name: string; size: number; executable?: boolean }>,
  start: number,
  dirs: Set<string>,
  all: boolean,
): { entries: Array<Omit<PlannedEntry, 'header'> & { header?: Buffer }>; end: number } {
  const entries: Array<Omit<PlannedEntry, 'header'> & { header?: Buffer }> = [];
  let pos = start;
  for (const f of files) {
    const parts = f.name.split('/');
    const blocks: Buffer[] = [];
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!dirs.has(dir)) {
        dirs.add(dir);
        blocks.push(entryHeader(dir, 0, '5'));
      }
    }
    const plain = blocks.length === 0 && Buffer.byteLength(f.name) <= 100 && f.size <= MAX_OCTAL_SIZE;
    let header: Buffer | undefined;
    if (all || !plain) {
      blocks.push(entryHeader(f.name, f.size, '0', f.executable));
      header = blocks.length === 1 ? blocks[0]! : Buffer.concat(blocks);
    }
    const length = header?.length ?? BLOCK;
    entries.push({ name: f.name, size: f.size, offset: pos, ...(header ? { header } : {}), dataOffset: pos + length });
    pos += length + f.size + paddingLength(f.size);
  }
  return { entries, end: pos };
}

function paddingLength(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}

/** The two zero blocks that end an archive. */
export const END_OF_ARCHIVE = BLOCK * 2;

/** Buffers small writes into large ones, written at explicit positions from `position`. */
class BlockWriter {
  private buf = Buffer.allocUnsafe(STREAM_CHUNK);
  private used = 0;
  private flushed: number;
  constructor(
    private readonly fh: FileHandle,
    public position: number,
  ) {
    this.flushed = position;
  }
  async write(chunk: Uint8Array): Promise<void> {
    this.position += chunk.byteLength;
    if (chunk.byteLength >= STREAM_CHUNK / 2) {
      await this.flush();
      await this.writeAll(chunk);
      return;
    }
    if (this.used + chunk.byteLength > this.buf.length) await this.flush();
    this.buf.set(chunk, this.used);
    this.used += chunk.byteLength;
  }
  /** Text as UTF-8, encoded straight into the block buffer (no Buffer of its own). */
  async writeText(text: string): Promise<void> {
    // at most 3 bytes a UTF-16 unit (a surrogate pair: 4 bytes for 2 units)
    if (this.used + text.length * 3 > this.buf.length) await this.flush();
    if (text.length * 3 > this.buf.length) {
      await this.write(Buffer.from(text, 'utf8'));
      return;
    }
    const n = this.buf.write(text, this.used, 'utf8');
    this.used += n;
    this.position += n;
  }
  async flush(): Promise<void> {
    if (this.used === 0) return;
    const data = this.buf.subarray(0, this.used);
    this.used = 0;
    // written whole before this returns (every caller awaits): the buffer is reused, not replaced by
    // a new 1 MiB one each time
    await this.writeAll(data);
  }
  private async writeAll(data: Uint8Array): Promise<void> {
    await writeFully(this.fh, data, this.flushed);
    this.flushed += data.byteLength;
  }
}

/** pwrite until every byte is written. */
export async function writeFully(fh: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let off = 0;
  while (off < data.byteLength) {
    const { bytesWritten } = await fh.write(data, off, data.byteLength - off, position + off);
    off += bytesWritten;
  }
}

async function copyFile(w: BlockWriter, src: { path: string; size: number }, signal?: AbortSignal): Promise<void> {
  let seen = 0;
  const rs = createReadStream(src.path, { highWaterMark: STREAM_CHUNK });
  try {
    for await (const chunk of rs as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      seen += chunk.length;
      if (seen > src.size) break;
      await w.write(chunk);
    }
  } finally {
    rs.destroy();
  }
  if (seen !== src.size) {
    throw new IoError(`${src.path} changed while it was being written to the archive (expected ${src.size} bytes, found ${seen})`);
  }
}

/** Text as UTF-8, 64 Ki characters at a time into the block buffer (a piece never ends between the two halves of a surrogate pair). */
async function writeText(w: BlockWriter, text: string): Promise<void> {
  const PIECE = 64 * 1024;
  for (let i = 0; i < text.length; ) {
    let j = Math.min(text.length, i + PIECE);
    const c = text.charCodeAt(j - 1);
    if (j < text.length && c >= 0xd800 && c <= 0xdbff) j--;
    await w.writeText(text.slice(i, j));
    i = j;
  }
}

/**
 * Writes the entries as a tar into an open file from `opts.start` (default 0;
 * `opts.dirs` names directory entries already written before it), ending
 * with two zero blocks. Resolves with the archive's end.
 */
export async function writeTar(fh: FileHandle, inputs: readonly TarInput[], signal?: AbortSignal, opts: { start?: number; dirs?: Set<string> } = {}): Promise<number> {
  const dirs = opts.dirs ?? new Set<string>();
  const w = new BlockWriter(fh, opts.start ?? 0);
  // each entry is laid out when it is written (a text made by a function has its size only then)
  for (const input of inputs) {
    signal?.throwIfAborted();
    const data = input.data;
    const text = data instanceof Uint8Array || !('text' in data) ? undefined : typeof data.text === 'function' ? data.text() : data.text;
    const size = data instanceof Uint8Array ? data.byteLength : text !== undefined ? Buffer.byteLength(text, 'utf8') : (data as { size: number }).size;
    const { entries, end } = planEntries([{ name: input.name, size, ...(input.executable ? { executable: true } : {}) }], w.position, dirs);
    const e = entries[0]!;
    await w.write(e.header);
    if (data instanceof Uint8Array) await w.write(data);
    else if (text !== undefined) await writeText(w, text);
    else await copyFile(w, data as { path: string; size: number }, signal);
    await w.write(Buffer.alloc(paddingLength(e.size)));
    if (w.position !== end) throw new IoError(`tar layout mismatch: ${input.name} written up to ${w.position}, planned ${end}`);
  }
  await w.write(Buffer.alloc(END_OF_ARCHIVE));
  await w.flush();
  return w.position;
}
