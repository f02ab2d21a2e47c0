/**
 * The file-level pieces of a staged bundle (see planned-tar.ts): the staging directory's lock
 * (one writer per bundle), re-hashing or copying a region of the partial file, and a Writable
 * that writes a stream's chunks at consecutive positions of a file.
 */
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { parseDigest } from '../digest/index.js';
import { UsageError } from '../errors.js';
import { STREAM_CHUNK } from './files.js';
import { writeFully } from './tar-writer.js';

export const LOCK = 'lock';

/**
 * Marks the staging directory as this process's: a second run writing the
 * same bundle at the same time would interleave its writes with ours. A lock
 * whose process is gone (killed) is taken over.
 */
export async function takeLock(dir: string): Promise<void> {
  const file = path.join(dir, LOCK);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
      throw new UsageError(`another airlift (pid ${pid}) is writing this bundle: ${dir} is in use`, {
        hint: `wait for it to finish or stop it; if no such process runs, remove ${file}`,
      });
    }
    await rm(file, { force: true });
  }
  throw new UsageError(`could not take the lock ${file}`, { hint: 'another run keeps taking it; run one save at a time per bundle' });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Re-hashes `size` bytes at `offset`. */
export async function regionMatches(fh: FileHandle, offset: number, size: number, digest: string): Promise<boolean> {
  return (await copyRegion(fh, offset, undefined, 0, size, digest)) === true;
}

/** Copies a region to another file (or only reads it), true when its bytes match `digest`. */
export async function copyRegion(from: FileHandle, offset: number, to: FileHandle | undefined, toOffset: number, size: number, digest: string): Promise<boolean> {
  const hash = createHash(parseDigest(digest).algorithm);
  const buf = Buffer.allocUnsafe(Math.min(STREAM_CHUNK, Math.max(1, size)));
  let pos = 0;
  while (pos < size) {
    const { bytesRead } = await from.read(buf, 0, Math.min(buf.length, size - pos), offset + pos);
    if (bytesRead === 0) return false;
    const chunk = buf.subarray(0, bytesRead);
    hash.update(chunk);
    if (to) await writeFully(to, chunk, toOffset + pos);
    pos += bytesRead;
  }
  return `${parseDigest(digest).algorithm}:${hash.digest('hex')}` === digest;
}

/** Writes a stream's chunks at consecutive positions of a file; buffered chunks go out in one pwritev. */
export class PositionalWritable extends Writable {
  constructor(
    private readonly fh: FileHandle,
    private position: number,
    private readonly onWritten: (bytes: number) => void,
  ) {
    super({ highWaterMark: STREAM_CHUNK });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const at = this.position;
    this.position += chunk.length;
    writeFully(this.fh, chunk, at).then(() => {
      this.onWritten(chunk.length);
      cb();
    }, cb);
  }
  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    const bufs = chunks.map((c) => c.chunk);
    const total = bufs.reduce((n, b) => n + b.length, 0);
    const at = this.position;
    this.position += total;
    writevFully(this.fh, bufs, at, total).then(() => {
      this.onWritten(total);
      cb();
    }, cb);
  }
}

async function writevFully(fh: FileHandle, bufs: Buffer[], position: number, total: number): Promise<void> {
  const { bytesWritten } = await fh.writev(bufs, position);
  if (bytesWritten === total) return;
  // a short write: the rest one buffer at a time
  let skip = bytesWritten;
  let at = position + bytesWritten;
  for (const b of bufs) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    const rest = b.subarray(skip);
    skip = 0;
    await writeFully(fh, rest, at);
    at += rest.length;
  }
}
