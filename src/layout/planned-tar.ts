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
import { createReadStream, createWriteStream } from 'node:fs';
import { access, appendFile, mkdir, open, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VerifyingStream, verifiesOnWrite, verifyBytes } from '../digest/index.js';
import { BundleError } from '../errors.js';
import { STREAM_CHUNK } from './files.js';
import { OCI_LAYOUT_CONTENT, OCI_LAYOUT_FILE, blobPath } from './paths.js';
import { LOCK, PositionalWritable, copyRegion, regionMatches, takeLock } from './staging-io.js';
import { planEntries, writeFully, writeTar, type TarInput } from './tar-writer.js';
import { ioFailure } from './writer.js';

const PARTIAL = 'bundle.tar.partial';
const PLAN = 'plan.json';
const DONE = 'done.log';
/** Written bytes between two background fdatasync calls. */
const FLUSH_EVERY = 64 * 1024 * 1024;

interface Slot {
  size: number;
  dataOffset: number;
  /** The tar header block(s) before the data, and where they go (written with the data). */
  header?: Buffer;
  offset?: number;
}

/** What plan.json holds: enough to tell whether a staged file can be reused as it is. */
interface PlanFile {
  version: 1;
  /** [digest, size, dataOffset] of every blob, in archive order. */
  blobs: Array<[string, number, number]>;
  /** Where the blobs end (index.json and the extra files go from here). */
  end: number;
}

export class PlannedTar {
  /** Digests whose data is complete and verified. */
  private readonly done = new Set<string>();
  private unflushed = 0;
  private flushing: Promise<void> | undefined;

  private constructor(
    readonly dir: string,
    private readonly fh: FileHandle,
    private readonly slots: Map<string, Slot>,
    private readonly end: number,
    /** Directory entries the blobs' headers already hold (`blobs`, `blobs/sha256`). */
    private readonly dirs: Set<string>,
  ) {}

  private get partial(): string {
    return path.join(this.dir, PARTIAL);
  }

  /** Lays out `blobs` (duplicates ignored) in `dir`'s partial archive, reusing verified blobs a stopped run left there. */
  static async open(dir: string, blobs: ReadonlyArray<{ digest: string; size: number }>, signal?: AbortSignal): Promise<PlannedTar> {
    const distinct = new Map<string, number>();
    for (const b of blobs) {
      const had = distinct.get(b.digest);
      if (had !== undefined && had !== b.size) throw new BundleError(`blob ${b.digest} is named with two sizes (${had} and ${b.size})`);
      distinct.set(b.digest, b.size);
    }
    const files = [{ name: OCI_LAYOUT_FILE, size: Buffer.byteLength(OCI_LAYOUT_CONTENT), digest: '' }];
    for (const [digest, size] of distinct) files.push({ name: blobPath(digest), size, digest });
    files.sort((a, b) => (a.name === OCI_LAYOUT_FILE ? -1 : b.name === OCI_LAYOUT_FILE ? 1 : a.size !== b.size ? a.size - b.size : a.name < b.name ? -1 : 1));
    const dirs = new Set<string>();
    const { entries, end } = planEntries(files, 0, dirs);
    const slots = new Map<string, Slot>();
    const plan: PlanFile = { version: 1, blobs: [], end };
    for (const [i, e] of entries.entries()) {
      const digest = files[i]!.digest;
      if (!digest) continue;
      slots.set(digest, { size: e.size, dataOffset: e.dataOffset, header: e.header, offset: e.offset });
      plan.blobs.push([digest, e.size, e.dataOffset]);
    }

    let fh: FileHandle | undefined;
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
      const t: PlannedTar = new PlannedTar(dir, fh, slots, end, dirs);
      for (const d of reused) t.done.add(d);
      await writeFile(path.join(dir, DONE), [...reused].map((d) => `${d}\n`).join(''));
      // oci-layout, and the headers of the blobs reused; every other header goes with its blob's
      // data (write), so the file never reaches past what arrived: a size no source confirmed
      // allocates nothing (a file truncated to the planned end once left 1 TB sparse files behind)
      for (const [i, e] of entries.entries()) {
        const digest = files[i]!.digest;
        if (!digest) {
          await writeFully(fh, e.header, e.offset);
          await writeFully(fh, Buffer.from(OCI_LAYOUT_CONTENT), e.dataOffset);
        } else if (reused.has(digest)) await writeFully(fh, e.header, e.offset);
      }
      return t;
    } catch (err) {
      await fh?.close().catch(() => undefined);
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

  /** Streams a blob to its place, verifying digest and size; it counts as stored only when both match. */
  async write(desc: { digest: string; size: number }, body: Readable, signal?: AbortSignal): Promise<void> {
    const s = this.slot(desc.digest, desc.size);
    const what = `blob ${desc.digest}`;
    const keep = (): void => {};
    body.on('error', keep);
    try {
      await this.writeHeader(s);
      const out = new PositionalWritable(this.fh, s.dataOffset, (n) => this.wrote(n));
      const verified = verifiesOnWrite(body, desc);
      const opts = signal ? { signal } : {};
      if (verified) await pipeline(body, out, opts);
      else await pipeline(body, new VerifyingStream(what, desc.digest, desc.size), out, opts);
      await this.markDone(desc.digest);
    } catch (err) {
      body.destroy();
      throw ioFailure(`${what} to ${this.dir}`, body.errored ?? err);
    } finally {
      body.off('error', keep);
    }
  }

  /** Stores bytes already in memory (manifests), verified. */
  async writeBytes(desc: { digest: string; size: number }, bytes: Uint8Array): Promise<void> {
    const s = this.slot(desc.digest, desc.size);
    verifyBytes(`blob ${desc.digest}`, bytes, desc.digest, desc.size);
    try {
      await this.writeHeader(s);
      await writeFully(this.fh, bytes, s.dataOffset);
      await this.markDone(desc.digest);
    } catch (err) {
      throw ioFailure(`blob ${desc.digest} to ${this.dir}`, err);
    }
  }

  private async writeHeader(s: Slot): Promise<void> {
    if (s.header && s.offset !== undefined) await writeFully(this.fh, s.header, s.offset);
    // written in place: a retried transfer rewrites only the data, and a run that stops and
    // starts again lays the headers out anew; not kept (512 bytes a blob: 15 MiB at 10,000 images)
    s.header = undefined;
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

  private async markDone(digest: string): Promise<void> {
    this.done.add(digest);
    await appendFile(path.join(this.dir, DONE), `${digest}\n`);
  }

  /** A stored blob's bytes. */
  read(digest: string, size: number): Readable | undefined {
    if (!this.has(digest, size)) return undefined;
    const s = this.slots.get(digest)!;
    if (size === 0) return Readable.from([]);
    return createReadStream(this.partial, { start: s.dataOffset, end: s.dataOffset + size - 1, highWaterMark: STREAM_CHUNK });
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
  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await rm(path.join(this.dir, LOCK), { force: true });
  }
}

/** The plan and journal a stopped run left, when both are readable and its file exists. */
async function readPrevious(dir: string): Promise<{ plan: PlanFile; slots: Map<string, Slot>; done: string[] } | undefined> {
  try {
    const plan = JSON.parse(await readFile(path.join(dir, PLAN), 'utf8')) as PlanFile;
    if (plan.version !== 1 || !Array.isArray(plan.blobs)) return undefined;
    const slots = new Map<string, Slot>(plan.blobs.map(([d, size, dataOffset]) => [d, { size, dataOffset }]));
    const journal = await readFile(path.join(dir, DONE), 'utf8').catch(() => '');
    const done = [...new Set(journal.split('\n').filter((d) => slots.has(d)))];
    await access(path.join(dir, PARTIAL));
    return { plan, slots, done };
  } catch {
    return undefined;
  }
}
