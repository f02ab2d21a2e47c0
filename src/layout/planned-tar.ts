/**
 * A tar written in place: every blob's header and data offset are laid out
 * before any blob arrives (`oci-layout`, then `blobs/<alg>/<hex>` by size, then
 * name), so each blob streams from the network straight to its final position,
 * in any order and concurrently, and the archive is byte-identical whatever the
 * arrival order. Sizes come from manifests, unverified until the source sends
 * the bytes: a blob's header is written with its data, never before, and the
 * file is never extended beyond what was written; ordered by size, a blob whose
 * manifest claims a huge size (1 TB, 4 PiB) moves only blobs claiming even more,
 * so when the source refutes it nothing has been written far into the file. What follows the blobs (index.json, charts, the lock) is
 * appended by finish(), which then fsyncs the file and renames it to the
 * output path. The data is never copied a second time.
 *
 * The file lives in a staging directory with the plan (`plan.json`) and a
 * journal of the blobs whose data is complete (`done.log`). A run that stops
 * early leaves them for the next one: with the same plan the file is reused in
 * place, with another plan the blobs both share are copied across; either way
 * every reused blob is re-hashed first, and one that does not match is
 * fetched again.
 */
import { createReadStream, createWriteStream, readSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable, addAbortSignal, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestCheck, verifiesOnWrite, verifyBytes } from '../digest/index.js';
import type { BlobWriter } from '../endpoint/types.js';
import { AirliftError, BundleError } from '../errors.js';
import { STREAM_CHUNK } from './files.js';
import { OCI_LAYOUT_CONTENT, OCI_LAYOUT_FILE } from './paths.js';
import { DONE, PARTIAL, PLAN, layOut, leadOf, readPrevious, type Slot } from './planned-tar-plan.js';
import { BufferPool, LOCK, StreamAtWriter, copyRegion, regionMatches, takeLock } from './staging-io.js';
import { entryHeader, writeFully, writeTar, type TarInput } from './tar-writer.js';
import { ioFailure } from './writer.js';

/** Written bytes between two background fdatasync calls. */
const FLUSH_EVERY = 64 * 1024 * 1024;

export class PlannedTar {
  /** Digests whose data is complete and verified. */
  private readonly done = new Set<string>();
  private unflushed = 0;
  private flushing: Promise<void> | undefined;
  /** The lines gathered for the next journal write (at the end of this turn of the event loop). */
  private journalNext: { lines: string[]; written: Promise<void> } | undefined;
  /** Set before done.log is closed: a write still scheduled must not reach its fd (whose number may be reused). */
  private journalClosed = false;
  /** The write buffers of the blobs streaming in (two each), reused from blob to blob. */
  private readonly pool = new BufferPool(32);

  private constructor(
    readonly dir: string,
    private readonly fh: FileHandle,
    private readonly slots: Map<string, Slot>,
    private readonly end: number,
    /** Directory entries the blobs' headers already hold (`blobs`, `blobs/sha256`). */
    private readonly dirs: Set<string>,
    /** done.log, open for appending: one line per blob whose data is complete. */
    private readonly journal: FileHandle,
  ) {}

  private get partial(): string {
    return path.join(this.dir, PARTIAL);
  }

  /** Lays out `blobs` (duplicates ignored) in `dir`'s partial archive, reusing verified blobs a stopped run left there. */
  static async open(dir: string, blobs: ReadonlyArray<{ digest: string; size: number }>, signal?: AbortSignal): Promise<PlannedTar> {
    const { files, entries, end, dirs, slots, plan } = layOut(blobs);

    let fh: FileHandle | undefined;
    let journal: FileHandle | undefined;
    let locked = false;
    try {
      await mkdir(dir, { recursive: true });
      await takeLock(dir);
      locked = true;
      const previous = await readPrevious(dir);
      const partial = path.join(dir, PARTIAL);
      const samePlan = previous !== undefined && JSON.stringify(previous.plan) === JSON.stringify(plan);
      const reused = new Set<string>();
      if (samePlan) {
        fh = await open(partial, 'r+');
        for (const digest of previous.done) {
          signal?.throwIfAborted();
          const s = slots.get(digest)!;
          if (await regionMatches(fh, s.dataOffset, s.size, digest)) reused.add(digest);
        }
      } else {
        const next = `${partial}.next`;
        fh = await open(next, 'w+');
        if (previous) {
          const old = await open(partial, 'r');
          try {
            for (const digest of previous.done) {
              signal?.throwIfAborted();
              const from = previous.slots.get(digest)!;
              const to = slots.get(digest);
              if (to && (await copyRegion(old, from.dataOffset, fh, to.dataOffset, to.size, digest))) reused.add(digest);
            }
          } finally {
            await old.close();
          }
        }
        await rename(next, partial);
        await writeFile(path.join(dir, `${PLAN}.next`), JSON.stringify(plan));
        await rename(path.join(dir, `${PLAN}.next`), path.join(dir, PLAN));
      }
      await writeFile(path.join(dir, DONE), [...reused].map((d) => `${d}\n`).join(''));
      journal = await open(path.join(dir, DONE), 'a');
      const t: PlannedTar = new PlannedTar(dir, fh, slots, end, dirs, journal);
      for (const d of reused) t.done.add(d);
      // oci-layout, and the headers of the blobs reused; every other header goes with its blob's
      // data (write), so the file never reaches past what arrived: a size no source confirmed
      // allocates nothing (a file truncated to the planned end once left 1 TB sparse files behind)
      for (const [i, e] of entries.entries()) {
        const digest = files[i]!.digest;
        if (!digest) {
          await writeFully(fh, e.header ?? entryHeader(OCI_LAYOUT_FILE, e.size, '0'), e.offset);
          await writeFully(fh, Buffer.from(OCI_LAYOUT_CONTENT), e.dataOffset);
        } else if (reused.has(digest)) {
          const s = slots.get(digest)!;
          await writeFully(fh, leadOf(digest, s)!, e.offset);
          s.offset = undefined;
          s.header = undefined;
        }
      }
      return t;
    } catch (err) {
      await fh?.close().catch(() => undefined);
      await journal?.close().catch(() => undefined);
      if (locked) await rm(path.join(dir, LOCK), { force: true });
      throw ioFailure(`the staged bundle in ${dir}`, err);
    }
  }

  /** True when the blob is in the plan and its data is complete. */
  has(digest: string, size: number): boolean {
    return this.done.has(digest) && this.slots.get(digest)?.size === size;
  }

  private slot(digest: string, size: number): Slot {
    const s = this.slots.get(digest);
    if (!s || s.size !== size) {
      throw new BundleError(`blob ${digest} (${size} bytes) is not in the bundle's plan`, { hint: 'this is a bug in the copy order; run again' });
    }
    return s;
  }

  /**
   * Streams a blob to its place, its tar header in the same first write, verifying digest and
   * size; it counts as stored only when both match. The bytes are hashed here, chunk by chunk as
   * they arrive, unless the body verifies this very digest and size itself.
   */
  async write(desc: { digest: string; size: number }, body: Readable, signal?: AbortSignal): Promise<void> {
    const keep = (): void => {};
    body.on('error', keep);
    const w = this.writer(desc, signal, verifiesOnWrite(body, desc));
    try {
      if (signal) addAbortSignal(signal, body);
      for await (const chunk of body as AsyncIterable<Uint8Array>) {
        signal?.throwIfAborted();
        const wait = w.write(chunk);
        if (wait) await wait;
      }
    } catch (err) {
      await w.abort();
      // read before destroy(): leaving the loop early destroys the body with an AbortError of its own
      const cause = err instanceof AirliftError ? err : (body.errored ?? err);
      body.destroy();
      throw ioFailure(`blob ${desc.digest} to ${this.dir}`, cause);
    } finally {
      body.off('error', keep);
    }
    await w.end();
  }

  /**
   * The push form of write(): the caller hands over each chunk as it arrives (a registry's blob
   * GET with no stream between: ImageDestination.blobWriter), waits when write() returns a
   * promise, and calls end(), which resolves once the blob is written, verified and journaled;
   * abort() after any failure. `verified`: the caller's body checks this digest and size itself.
   */
  writer(desc: { digest: string; size: number }, signal?: AbortSignal, verified = false): BlobWriter {
    const s = this.slot(desc.digest, desc.size);
    const what = `blob ${desc.digest}`;
    const fail = (err: unknown): AirliftError => ioFailure(`${what} to ${this.dir}`, err);
    // hashed chunk by chunk as it arrives, on the main thread: the bytes are still in the CPU's
    // cache (a hashing thread reading back the written ranges cost 0.15 CPU-s more for 482 MiB,
    // test/bench/README.md "save big: the full collections again, and hashing inline")
    const check = verified ? undefined : new DigestCheck(what, desc.digest, desc.size);
    const lead = leadOf(desc.digest, s);
    const w = new StreamAtWriter(this.fh, lead ? s.offset! : s.dataOffset, this.pool, {
      ...(lead ? { lead } : {}),
      ...(check ? { check } : {}),
      ...(signal ? { signal } : {}),
      onWritten: (n) => this.wrote(n),
    });
    return {
      write: (chunk) => {
        try {
          return w.write(chunk)?.catch((err: unknown) => Promise.reject(fail(err)));
        } catch (err) {
          throw fail(err);
        }
      },
      end: async () => {
        try {
          await w.end();
          // written: a run that stops and starts again lays the headers out anew
          s.offset = undefined;
          s.header = undefined;
          await this.markDone([desc.digest]);
        } catch (err) {
          throw fail(err);
        }
      },
      abort: async () => {
        await w.abort();
      },
    };
  }

  /**
   * Stores bytes already in memory (manifests, small blobs), verified: each in one write with its
   * header, then one journal line for all. `verified`: the caller has checked these bytes against
   * their digest and size (ImageDestination.putBlobBytes); they are not hashed again.
   */
  async writeBytes(items: ReadonlyArray<{ desc: { digest: string; size: number }; bytes: Uint8Array }>, verified = false): Promise<void> {
    const slots = items.map(({ desc, bytes }) => {
      const s = this.slot(desc.digest, desc.size);
      if (!verified) verifyBytes(`blob ${desc.digest}`, bytes, desc.digest, desc.size);
      return s;
    });
    try {
      await Promise.all(
        items.map(({ bytes }, i) => {
          const s = slots[i]!;
          const lead = leadOf(items[i]!.desc.digest, s);
          const written = lead && s.offset !== undefined ? writeFully(this.fh, Buffer.concat([lead, bytes]), s.offset) : writeFully(this.fh, bytes, s.dataOffset);
          // counted towards the background fdatasync, as writer()'s bytes are (small blobs come this way)
          return written.then(() => this.wrote(bytes.byteLength));
        }),
      );
      for (const s of slots) {
        s.offset = undefined;
        s.header = undefined;
      }
      await this.markDone(items.map((i) => i.desc.digest));
    } catch (err) {
      throw ioFailure(`blob ${items[0]?.desc.digest ?? ''} to ${this.dir}`, err);
    }
  }

  /**
   * Starts an fdatasync (one at a time) for every FLUSH_EVERY bytes written, so
   * that the disk writes the data while the network delivers the rest instead
   * of all at once in finish()'s fsync.
   */
  private wrote(n: number): void {
    this.unflushed += n;
    if (this.unflushed < FLUSH_EVERY || this.flushing) return;
    this.unflushed = 0;
    this.flushing = this.fh
      .datasync()
      .catch(() => undefined) // finish()'s fsync reports what matters
      .finally(() => (this.flushing = undefined));
  }

  /**
   * Journals blobs as complete, then counts them as stored. The lines of one turn of the event
   * loop go out together in one write (many small blobs end in the same turn), appended with
   * writeSync: a few hundred bytes into the page cache cost less than a round trip through the
   * thread pool and its promise (at 200 small images the async writes were ~5% of save's CPU).
   */
  private async markDone(digests: readonly string[]): Promise<void> {
    if (!digests.length) return;
    let batch = this.journalNext;
    if (!batch) {
      const lines: string[] = [];
      const written = new Promise<void>((resolve, reject) =>
        setImmediate(() => {
          this.journalNext = undefined;
          try {
            if (this.journalClosed) throw new Error('done.log was closed before the line was written');
            const bytes = Buffer.from(lines.join(''));
            let off = 0;
            while (off < bytes.length) off += writeSync(this.journal.fd, bytes, off, bytes.length - off);
            resolve();
          } catch (err) {
            reject(err as Error);
          }
        }),
      );
      batch = this.journalNext = { lines, written };
    }
    for (const d of digests) batch.lines.push(`${d}\n`);
    await batch.written;
    for (const d of digests) this.done.add(d);
  }

  /** A stored blob's bytes. */
  read(digest: string, size: number): Readable | undefined {
    if (!this.has(digest, size)) return undefined;
    const s = this.slots.get(digest)!;
    if (size === 0) return Readable.from([]);
    return createReadStream(this.partial, { start: s.dataOffset, end: s.dataOffset + size - 1, highWaterMark: STREAM_CHUNK });
  }

  /** A stored blob's bytes read whole at once (small ones: the manifests commit() reads back for manifest.json, parsed and dropped). */
  readBytes(digest: string, size: number, scratch?: Buffer): Buffer | undefined {
    if (!this.has(digest, size)) return undefined;
    const s = this.slots.get(digest)!;
    // into the caller's scratch buffer when it fits (the bytes are then valid until its next use)
    const buf = scratch && scratch.length >= size ? scratch.subarray(0, size) : Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const n = readSync(this.fh.fd, buf, got, size - got, s.dataOffset + got);
      if (n === 0) return undefined;
      got += n;
    }
    return buf;
  }

  /** Planned blobs not stored yet. */
  missing(): string[] {
    return [...this.slots.keys()].filter((d) => !this.done.has(d)).sort();
  }

  /**
   * Appends `tail` after the blobs, ends the archive, fsyncs it and renames
   * it to `output` (or, with `stream`, copies it into `output`, a device or
   * FIFO that a rename would replace, or into `into`, stdout, left open);
   * then removes the staging directory. Throws, writing
   * nothing at `output`, when a planned blob is missing.
   */
  async finish(tail: readonly TarInput[], output: string, signal?: AbortSignal, opts: { stream?: boolean; into?: Writable } = {}): Promise<void> {
    const missing = this.missing();
    if (missing.length) {
      throw new BundleError(`cannot write ${output}: blob ${missing[0]} was not stored${missing.length > 1 ? ` (nor ${missing.length - 1} more)` : ''}`, {
        hint: 'this is a bug in the copy order; run again',
      });
    }
    try {
      const size = await writeTar(this.fh, tail, signal, { start: this.end, dirs: new Set(this.dirs) });
      await this.flushing;
      await this.fh.truncate(size);
      await this.fh.sync();
      await this.fh.close();
      await this.closeJournal();
      if (opts.stream) {
        // a device or FIFO: its node stays, the finished archive is written into it
        const from = createReadStream(this.partial, { highWaterMark: STREAM_CHUNK });
        if (opts.into) await pipeline(from, opts.into, { signal, end: false });
        else await pipeline(from, createWriteStream(output, { flags: 'w' }), { signal });
        await rm(this.dir, { recursive: true, force: true });
        return;
      }
      await rename(this.partial, output);
    } catch (err) {
      throw ioFailure(`bundle ${output}`, err);
    }
    const parent = await open(path.dirname(output), 'r').catch(() => undefined);
    if (parent) await parent.sync().catch(() => undefined).finally(() => parent.close());
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Closes the file; what was stored stays for a re-run. */
  /** Closes done.log after the lines scheduled for it are written. */
  private async closeJournal(): Promise<void> {
    await this.journalNext?.written.catch(() => undefined);
    this.journalClosed = true;
    await this.journal.close();
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await this.closeJournal().catch(() => undefined);
    await rm(path.join(this.dir, LOCK), { force: true });
  }
}
