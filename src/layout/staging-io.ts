/**
 * The file-level pieces of a staged bundle (see planned-tar.ts): the staging directory's lock
 * (one writer per bundle), re-hashing or copying a region of the partial file, and the writing
 * of a stream's bytes at consecutive positions of a file through reused buffers.
 */
import { createHash } from 'node:crypto';
import { link, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { parseDigest } from '../digest/index.js';
import { UsageError } from '../errors.js';
import { STREAM_CHUNK } from './files.js';
import { writeFully } from './tar-writer.js';

export const LOCK = 'lock';

/**
 * Marks the staging directory as this process's: a second run writing the
 * same bundle at the same time would interleave its writes with ours. A lock
 * whose process is gone (killed) is taken over. `name` and `busy` let another
 * writer (an OCI layout directory, src/layout/writer.ts) take its own lock
 * with its own message.
 */
export async function takeLock(dir: string, name = LOCK, busy: (pid: number, file: string) => UsageError = bundleBusy): Promise<void> {
  const file = path.join(dir, name);
  // The lock appears with its pid in it: written under a name of this process's first, then
  // hard-linked to the lock's name (which fails if it exists). A lock created empty and written
  // after ('wx') was read empty by a second run starting at the same moment, taken for a dead
  // run's and removed: two writers in one directory.
  const mine = `${file}.${process.pid}`;
  await writeFile(mine, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(mine, file);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const pid = pidIn(await readFile(file, 'utf8').catch(() => ''));
      if (pid !== undefined && pid !== process.pid && processAlive(pid)) throw busy(pid, file);
      // A dead run's lock. Moved aside (one run can move a given file), not removed: two runs that
      // both read the dead pid would otherwise both remove "it", the second removing the lock the
      // first had just taken, and both write.
      const aside = `${file}.stale.${process.pid}`;
      try {
        await rename(file, aside);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // another run moved it first
        throw err;
      }
      const moved = pidIn(await readFile(aside, 'utf8').catch(() => ''));
      if (moved !== undefined && moved !== pid && moved !== process.pid && processAlive(moved)) {
        // a live run took it over between the read and the move: its lock goes back
        await link(aside, file).catch(() => undefined);
        await rm(aside, { force: true });
        throw busy(moved, file);
      }
      await rm(aside, { force: true });
      // a dead run's own name for it, if it was killed between writing and linking
      if (pid !== undefined && pid !== process.pid) await rm(`${file}.${pid}`, { force: true });
    }
  } finally {
    await rm(mine, { force: true });
  }
  throw new UsageError(`could not take the lock ${file}`, { hint: `another run keeps taking it; run one at a time per ${name === LOCK ? 'bundle' : 'output'}` });
}

function bundleBusy(pid: number, file: string): UsageError {
  return new UsageError(`another airlift (pid ${pid}) is writing this bundle: ${path.dirname(file)} is in use`, {
    hint: `wait for it to finish or stop it; if no such process runs, remove ${file}`,
  });
}

/** The pid a lock holds, if it holds one. */
function pidIn(text: string): number | undefined {
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
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
 * The check of a body on its way to the file (DigestCheck): update() with each chunk as it
 * arrives (throws past the size), finish() once everything was written.
 */
export interface StreamCheck {
  update(chunk: Uint8Array): void;
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
 * Writes `lead` and then a body's bytes, pushed in by write(), at consecutive positions from
 * `position`, through two buffers of `pool`: one fills while the other is being written. write()
 * copies the chunk and returns a promise only when it has to wait (both buffers full): a caller
 * that pushes chunks as they arrive (ImageDestination.blobWriter) pauses its source on it.
 * end() resolves once every byte is written and `check` finished; abort() (or end()'s failure)
 * waits for the write in flight before the buffers go back to the pool.
 */
export class StreamAtWriter {
  private readonly check: StreamCheck | undefined;
  /** The second buffer is taken when the first is full: a blob smaller than one never needs it. */
  private readonly bufs: Buffer[];
  private cur = 0;
  private used = 0;
  private at: number;
  private inFlight: Promise<void> | undefined;
  private failed: { error: unknown } | undefined;
  private released = false;

  constructor(
    private readonly fh: FileHandle,
    private readonly position: number,
    private readonly pool: BufferPool,
    private readonly opts: StreamAtOptions = {},
  ) {
    this.check = opts.check;
    this.at = position;
    this.bufs = [pool.take()];
    if (opts.lead) this.put(opts.lead, 0);
  }

  /** Takes a chunk of the body (copied at once: the caller may reuse it); a promise when the caller must wait before the next. */
  write(chunk: Uint8Array): Promise<void> | undefined {
    if (this.failed) throw this.failed.error;
    this.check?.update(chunk);
    return this.put(chunk, 0);
  }

  private put(chunk: Uint8Array, from: number): Promise<void> | undefined {
    let off = from;
    while (off < chunk.byteLength) {
      const buf = (this.bufs[this.cur] ??= this.pool.take());
      const n = Math.min(chunk.byteLength - off, buf.length - this.used);
      buf.set(n === chunk.byteLength ? chunk : chunk.subarray(off, off + n), this.used);
      this.used += n;
      off += n;
      if (this.used === buf.length) {
        const wait = this.flush();
        if (wait) return wait.then(() => this.put(chunk, off));
      }
    }
    return undefined;
  }

  /** Starts the write of the current buffer, or, while the other one is still being written, a promise to wait for first. */
  private flush(): Promise<void> | undefined {
    if (this.inFlight) {
      return this.inFlight.then(() => {
        this.inFlight = undefined;
        return this.flush();
      });
    }
    if (this.failed) throw this.failed.error;
    if (this.used === 0) return undefined;
    const n = this.used;
    const where = this.at;
    this.at += n;
    this.inFlight = writeFully(this.fh, this.bufs[this.cur]!.subarray(0, n), where).then(
      () => this.opts.onWritten?.(n),
      (error: unknown) => void (this.failed ??= { error }),
    );
    this.cur ^= 1;
    this.used = 0;
    return undefined;
  }

  /** Writes what is left and finishes the check; the number of bytes written (lead included). */
  async end(): Promise<number> {
    try {
      this.opts.signal?.throwIfAborted();
      await this.flush();
      await this.inFlight;
      if (this.failed) throw this.failed.error;
      await this.check?.finish();
      return this.at - this.position;
    } finally {
      await this.release();
    }
  }

  /** Stops: waits for the write in flight and gives the buffers back. */
  async abort(): Promise<void> {
    await this.release();
  }

  private async release(): Promise<void> {
    await this.inFlight;
    if (this.released) return;
    this.released = true;
    for (const b of this.bufs) if (b) this.pool.give(b);
  }
}
