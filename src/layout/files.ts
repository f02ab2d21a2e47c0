/** Read-only access to the files of a layout, whether a directory or a tar. */
import { createReadStream } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { BundleError, NotFoundError, TooLargeError, toAirliftError } from '../errors.js';

/** Read chunk size for blob streams: large chunks keep throughput up on big layers. */
export const STREAM_CHUNK = 1024 * 1024;

export interface StreamOptions {
  chunk?: number;
  alloc?: (n: number) => Buffer;
  /** Bytes read ahead of the consumer where the source honours it (default: one chunk; 0: a read only when asked). */
  readAhead?: number;
}

export interface LayoutFiles {
  /** The directory or archive path, for messages. */
  readonly description: string;
  /** Size of a regular file, or undefined when it is absent. */
  size(name: string): Promise<number | undefined>;
  /** A whole small file; TooLargeError over `max` bytes, NotFoundError when absent. */
  read(name: string, max: number): Promise<Buffer>;
  /**
   * A file's bytes, or the inclusive byte range [start, end] of it. The file must exist.
   * `chunk` is the read size (and the stream's buffer), STREAM_CHUNK unless given.
   * `alloc`, where a source reads into buffers of its own choosing, gives the
   * buffer for a read of n bytes (a pool that the consumer gives them back to).
   */
  stream(name: string, range?: { start: number; end: number }, opts?: StreamOptions): Promise<Readable>;
  /**
   * Changes when the bytes under the open files may have changed (a tar's
   * held descriptor written in place); undefined when it cannot be told.
   */
  changeStamp?(): Promise<string | undefined>;
  /** True when the path now names another file than the one opened (a tar replaced by a rename). */
  replacedOnDisk?(): Promise<boolean>;
  /** Every regular file, as slash-separated relative paths. */
  list(): Promise<string[]>;
  close(): Promise<void>;
}

/** A layout directory on disk. Names are relative paths built by airlift (never user input). */
export class DirFiles implements LayoutFiles {
  constructor(readonly root: string) {}
  get description(): string {
    return this.root;
  }
  private abs(name: string): string {
    return path.join(this.root, ...name.split('/'));
  }
  async size(name: string): Promise<number | undefined> {
    try {
      const st = await lstat(this.abs(name));
      if (st.isSymbolicLink()) {
        throw new BundleError(`${this.root}: ${name} is a symbolic link; airlift reads only regular files from a layout`);
      }
      return st.isFile() ? st.size : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw toAirliftError(err);
    }
  }
  async read(name: string, max: number): Promise<Buffer> {
    const size = await this.size(name);
    if (size === undefined) throw new NotFoundError(`${this.root}: ${name} is missing`);
    if (size > max) throw new TooLargeError(`${this.root}: ${name} is ${size} bytes, over the ${max}-byte limit`);
    const fh = await open(this.abs(name), 'r');
    try {
      const buf = Buffer.alloc(size);
      let off = 0;
      while (off < size) {
        const { bytesRead } = await fh.read(buf, off, size - off, off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      return buf.subarray(0, off);
    } finally {
      await fh.close();
    }
  }
  async stream(name: string, range?: { start: number; end: number }, opts: StreamOptions = {}): Promise<Readable> {
    return createReadStream(this.abs(name), { highWaterMark: opts.chunk ?? STREAM_CHUNK, ...(range ?? {}) });
  }
  async list(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      const entries = await readdir(rel === '' ? this.root : this.abs(rel), { withFileTypes: true });
      for (const e of entries) {
        const p = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) await walk(p);
        else if (e.isFile()) out.push(p);
      }
    };
    await walk('');
    return out.sort();
  }
  async close(): Promise<void> {}
}
