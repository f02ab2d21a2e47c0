/**
 * Writes a deterministic tar: entries in the order given, fixed mtime 0,
 * uid/gid 0, no user names, mode 0644 (files) / 0755 (directories), parent
 * directories emitted once before their first file, pax headers only for
 * names over 100 bytes or sizes over 8 GiB. File data streams from disk in
 * large chunks, so memory stays bounded whatever the file size.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { parseDigest } from '../digest/index.js';
import { DigestMismatchError, IoError } from '../errors.js';
import { STREAM_CHUNK } from './files.js';

const BLOCK = 512;
const MAX_OCTAL_SIZE = 0o77777777777;

export interface TarInput {
  /** Slash-separated relative path. */
  name: string;
  /** In-memory content, or a file on disk with its expected size. */
  data: Uint8Array | { path: string; size: number };
  /** When set, the file's bytes are hashed while written and must match. */
  verifyDigest?: string;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number, type: '0' | '5' | 'x', mode: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size > MAX_OCTAL_SIZE ? 0 : size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(octal(0, 8), 329, 'ascii');
  h.write(octal(0, 8), 337, 'ascii');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i]!;
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
  const r = size % BLOCK;
  return Buffer.alloc(r === 0 ? 0 : BLOCK - r);
}

/** The header blocks (pax extension included when needed) for one entry. */
export function entryHeader(name: string, size: number, type: '0' | '5'): Buffer {
  const mode = type === '5' ? 0o755 : 0o644;
  const fullName = type === '5' ? `${name}/` : name;
  const records: string[] = [];
  if (Buffer.byteLength(fullName) > 100) records.push(paxRecord('path', fullName));
  if (size > MAX_OCTAL_SIZE) records.push(paxRecord('size', String(size)));
  const main = header(Buffer.byteLength(fullName) > 100 ? fullName.slice(0, 99) : fullName, size, type, mode);
  if (records.length === 0) return main;
  const pax = Buffer.from(records.join(''), 'utf8');
  return Buffer.concat([header('PaxHeaders/entry', pax.length, 'x', 0o644), pax, padding(pax.length), main]);
}

/** Buffers small writes into large ones. */
class BlockWriter {
  private buf = Buffer.allocUnsafe(STREAM_CHUNK);
  private used = 0;
  position = 0;
  constructor(private readonly fh: FileHandle) {}
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
  async flush(): Promise<void> {
    if (this.used === 0) return;
    const data = this.buf.subarray(0, this.used);
    this.used = 0;
    await this.writeAll(data);
    this.buf = Buffer.allocUnsafe(STREAM_CHUNK);
  }
  private async writeAll(data: Uint8Array): Promise<void> {
    let off = 0;
    while (off < data.byteLength) {
      const { bytesWritten } = await this.fh.write(data, off, data.byteLength - off);
      off += bytesWritten;
    }
  }
}

async function copyFile(w: BlockWriter, input: TarInput, src: { path: string; size: number }, signal?: AbortSignal): Promise<void> {
  let hash: Hash | undefined;
  if (input.verifyDigest) hash = createHash(parseDigest(input.verifyDigest).algorithm);
  let seen = 0;
  const rs = createReadStream(src.path, { highWaterMark: STREAM_CHUNK });
  try {
    for await (const chunk of rs as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      seen += chunk.length;
      if (seen > src.size) break;
      hash?.update(chunk);
      await w.write(chunk);
    }
  } finally {
    rs.destroy();
  }
  if (seen !== src.size) {
    throw new IoError(`${src.path} changed while it was being written to the archive (expected ${src.size} bytes, found ${seen})`);
  }
  if (hash && input.verifyDigest) {
    const actual = `${parseDigest(input.verifyDigest).algorithm}:${hash.digest('hex')}`;
    if (actual !== input.verifyDigest) {
      throw new DigestMismatchError(`blob ${input.verifyDigest} (${src.path})`, input.verifyDigest, actual, {
        hint: 'a stored copy is damaged; remove it (or the staging directory) and run again',
      });
    }
  }
}

/** Writes the entries as a tar to an open file, ending with two zero blocks. */
export async function writeTar(fh: FileHandle, inputs: Iterable<TarInput>, signal?: AbortSignal): Promise<number> {
  const w = new BlockWriter(fh);
  const dirs = new Set<string>();
  for (const input of inputs) {
    signal?.throwIfAborted();
    const parts = input.name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!dirs.has(dir)) {
        dirs.add(dir);
        await w.write(entryHeader(dir, 0, '5'));
      }
    }
    const size = input.data instanceof Uint8Array ? input.data.byteLength : input.data.size;
    await w.write(entryHeader(input.name, size, '0'));
    if (input.data instanceof Uint8Array) await w.write(input.data);
    else await copyFile(w, input, input.data, signal);
    await w.write(padding(size));
  }
  await w.write(Buffer.alloc(BLOCK * 2));
  await w.flush();
  return w.position;
}
