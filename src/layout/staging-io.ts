/**
 * The file-level pieces of a staged bundle (see planned-tar.ts): the staging directory's lock
 * (one writer per bundle), re-hashing or copying a region of the partial file, and the writing
 * of a stream's bytes at consecutive positions of a file through reused buffers.
 */
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
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

/**
 * Two reusable buffers per blob being written, kept between blobs: a blob's bytes are copied
 * into one while the other is being written, so each chunk of the body is released as soon as
 * it is copied (it never waits in a queue long enough to outlive V8's young generation, which
 * made one full mark-compact per 25 MiB written) and the file gets one pwrite per STREAM_CHUNK.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  constructor(private readonly keep: number) {}
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(STREAM_CHUNK);
  }
  give(b: Buffer): void {
    if (this.free.length < this.keep) this.free.push(b);
  }
}

/**
 * The check of a body on its way to the file (DigestCheck inline, OffloadedCheck on the hashing
 * thread): update() with each chunk as it arrives (throws past the size), written() with each
 * range of the file that holds the body's bytes once it was written (in order), finish() once
 * everything was written.
 */
export interface StreamCheck {
  update(chunk: Uint8Array): void;
  written?(position: number, length: number): void;
  finish(): void | Promise<void>;
}

export interface StreamAtOptions {
  /** Bytes written just before the body's (a tar header), in the same write as its first bytes. */
  lead?: Uint8Array;
  /** Hashes and counts the body on its way (a body that verifies itself needs none). */
  check?: StreamCheck;
  /** Called with the bytes of each completed write. */
  onWritten?: (bytes: number) => void;
  signal?: AbortSignal;
}

/**
 * Writes `lead` and then the body's bytes at consecutive positions from `position`, through two
 * buffers of `pool`: one fills while the other is being written. Resolves once every byte is
 * written and `check` finished; on a failure, only after the write in flight has ended.
 */
export async function writeStreamAt(fh: FileHandle, position: number, body: AsyncIterable<Uint8Array>, pool: BufferPool, opts: StreamAtOptions = {}): Promise<number> {
  const check = opts.check;
  // the second buffer is taken when the first is full: a blob smaller than one never needs it
  const bufs: Buffer[] = [pool.take()];
  let cur = 0;
  let used = 0;
  /** Where the body's bytes start in the current buffer (after the lead). */
  let bodyFrom = 0;
  let at = position;
  let inFlight: Promise<void> | undefined;
  let failed: { error: unknown } | undefined;
  const flush = async (): Promise<void> => {
    await inFlight;
    if (failed) throw failed.error;
    if (used === 0) return;
    const n = used;
    const where = at;
    const buf = bufs[cur]!;
    at += n;
    const from = bodyFrom;
    inFlight = writeFully(fh, buf.subarray(0, n), where).then(
      () => {
        check?.written?.(where + from, n - from);
        opts.onWritten?.(n);
      },
      (error: unknown) => void (failed ??= { error }),
    );
    cur ^= 1;
    used = 0;
    bodyFrom = 0;
  };
  const put = async (chunk: Uint8Array): Promise<void> => {
    let off = 0;
    while (off < chunk.byteLength) {
      const buf = (bufs[cur] ??= pool.take());
      const n = Math.min(chunk.byteLength - off, buf.length - used);
      buf.set(n === chunk.byteLength ? chunk : chunk.subarray(off, off + n), used);
      used += n;
      off += n;
      if (used === buf.length) await flush();
    }
  };
  try {
    if (opts.lead) {
      await put(opts.lead);
      bodyFrom = used;
    }
    for await (const chunk of body) {
      opts.signal?.throwIfAborted();
      check?.update(chunk);
      await put(chunk);
    }
    opts.signal?.throwIfAborted();
    await flush();
    await inFlight;
    if (failed) throw failed.error;
    await check?.finish();
    return at - position;
  } finally {
    await inFlight;
    for (const b of bufs) pool.give(b);
  }
}
