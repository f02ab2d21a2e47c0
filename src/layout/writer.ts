/**
 * Writes an OCI image layout directory. Blobs stream into a temporary file in
 * their own directory while their digest and size are verified, and are
 * renamed into place only when both match; index.json is replaced atomically
 * by commit().
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VerifyingStream, parseDigest, verifiesOnWrite, verifyBytes } from '../digest/index.js';
import { AirliftError, IoError, UsageError, toAirliftError } from '../errors.js';
import type { Descriptor, RawManifest } from '../oci/types.js';
import { STREAM_CHUNK } from './files.js';
import { IndexEntries, emptyLayoutIndex, parseLayoutIndex, serializeLayoutIndex, sortedIndex, type LayoutIndex } from './index-json.js';
import { MAX_METADATA_BYTES, metadataTooLarge } from './limits.js';
import { BLOBS_DIR, INDEX_FILE, OCI_LAYOUT_CONTENT, OCI_LAYOUT_FILE, blobPath, checkOciLayoutFile } from './paths.js';
import { takeLock } from './staging-io.js';

export interface LayoutWriterOptions {
  /** fsync every blob and index.json before renaming (a final output). Default true. */
  durable?: boolean;
}

const TMP_PREFIX = '.tmp-';

/**
 * The lock file a run writing a layout directory holds in it (its pid), created with O_EXCL when the
 * writer opens and removed when it is done (committed or discarded): a second run writing the same
 * directory at the same time fails at its start, instead of a failing run removing the directory
 * the other is still writing (or the two index.json rewrites losing one's entries). The lock of a
 * run that was killed (its pid gone) is taken over.
 */
export const LAYOUT_LOCK = '.airlift.lock';

function layoutBusy(root: string): (pid: number, file: string) => UsageError {
  return (pid, file) =>
    new UsageError(`another airlift (pid ${pid}) is writing the OCI layout ${root}`, {
      hint: `wait for it to finish (or stop it), then run again, or write to another directory; if no airlift runs as pid ${pid} (its run was killed and the pid reused), remove ${file}`,
    });
}

/** Turns a file-system failure into an IoError that names what was being written. */
export function ioFailure(what: string, err: unknown): AirliftError {
  if (err instanceof AirliftError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new IoError(`disk full while writing ${what}`, { cause: err, hint: 'free some space or write to another file system, then run again' });
  }
  if (code === 'EFBIG') {
    return new IoError(`file size limit reached while writing ${what}`, {
      cause: err,
      hint: 'raise the file size limit (ulimit -f) or write to a file system that allows larger files, then run again',
    });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new IoError(`cannot write ${what}: ${(err as Error).message}`, { cause: err, hint: 'check the permissions of the output location' });
  }
  if (code === 'ENOTDIR') {
    return new UsageError(`cannot write ${what}: a part of its path is a file, not a directory (${(err as Error).message})`, { cause: err, hint: 'name a path under a directory' });
  }
  return toAirliftError(err);
}

async function fsyncPath(p: string, flags = 'r'): Promise<void> {
  const fh = await open(p, flags);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class LayoutWriter {
  /** index.json's fields but its entries (an existing layout's are kept as they were). */
  private readonly base: LayoutIndex;
  /** index.json's entries (looked up per image: the array, sorted per lookup, made a copy of N images quadratic). */
  private readonly entries = new IndexEntries();
  private readonly durable: boolean;

  /** The directories and files open() made (the first directory it created, and oci-layout when that was inside an existing root). */
  private made: string[] = [];
  private committed = false;
  /** Whether this run still holds LAYOUT_LOCK (until commit or discard). */
  private locked = true;

  private constructor(
    readonly root: string,
    index: LayoutIndex,
    opts: LayoutWriterOptions,
  ) {
    const { manifests, ...base } = index;
    this.base = { ...base, manifests: [] };
    // an existing index.json's entries as setIndexEntry would have taken them one at a time
    for (const d of manifests) this.entries.set(d);
    this.durable = opts.durable ?? true;
  }

  /** Creates the layout directory (or opens an existing one and keeps its index entries). */
  static async open(root: string, opts: LayoutWriterOptions = {}): Promise<LayoutWriter> {
    try {
      const there = await stat(root).catch(() => undefined);
      if (there && !there.isDirectory()) {
        throw new UsageError(`${root} is not a directory: an OCI layout is one`, { hint: 'name a new or existing layout directory, or write a tar with oci-archive:FILE' });
      }
      const created = await mkdir(path.join(root, BLOBS_DIR), { recursive: true });
      // refused here, a run leaves what it created to the run that holds the lock
      await takeLock(root, LAYOUT_LOCK, layoutBusy(root));
      const lock = path.join(root, LAYOUT_LOCK);
      try {
        const layoutFile = path.join(root, OCI_LAYOUT_FILE);
        let existing: Buffer | undefined;
        try {
          existing = await readFile(layoutFile);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
        if (existing) checkOciLayoutFile(root, existing);
        else await writeFile(layoutFile, OCI_LAYOUT_CONTENT);
        let index = emptyLayoutIndex();
        try {
          const st = await stat(path.join(root, INDEX_FILE));
          if (st.size > MAX_METADATA_BYTES) throw metadataTooLarge(`${root}: index.json`, st.size);
          index = parseLayoutIndex(`${root}: index.json`, await readFile(path.join(root, INDEX_FILE)));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
        const writer = new LayoutWriter(root, index, opts);
        // what this run made, removed by discard() if it never commits
        writer.made = created === undefined ? [] : path.relative(created, root).startsWith('..') ? [created, ...(existing ? [] : [layoutFile])] : [created];
        return writer;
      } catch (err) {
        await rm(lock, { force: true });
        throw err;
      }
    } catch (err) {
      throw ioFailure(`the OCI layout ${root}`, err);
    }
  }

  private abs(rel: string): string {
    return path.join(this.root, ...rel.split('/'));
  }

  private tmpName(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return path.join(this.root, BLOBS_DIR, algorithm, `${TMP_PREFIX}${hex.slice(0, 12)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  }

  /** Size of a stored blob, or undefined. */
  async blobSize(digest: string): Promise<number | undefined> {
    try {
      const st = await stat(this.abs(blobPath(digest)));
      return st.isFile() ? st.size : undefined;
    } catch {
      return undefined;
    }
  }

  /** True when the blob is stored with the descriptor's size. */
  async hasBlob(desc: Pick<Descriptor, 'digest' | 'size'>): Promise<boolean> {
    return (await this.blobSize(desc.digest)) === desc.size;
  }

  /** Streams a blob in, verifying digest and size; stores nothing unless both match. */
  async writeBlob(desc: Pick<Descriptor, 'digest' | 'size'>, body: Readable, signal?: AbortSignal): Promise<void> {
    const final = this.abs(blobPath(desc.digest));
    const tmp = this.tmpName(desc.digest);
    const what = `blob ${desc.digest}`;
    // The body may fail before the pipeline below listens (a VerifyingStream
    // that ends early): keep that error for the pipeline instead of crashing.
    const keep = (): void => {};
    body.on('error', keep);
    let out: WriteStream | undefined;
    try {
      await this.ensureDir(path.dirname(final));
      out = createWriteStream(tmp, { flags: 'wx', highWaterMark: STREAM_CHUNK });
      // A body verifying this very digest and size (verifiesOnWrite) already fails instead of
      // ending on a mismatch: hashing the bytes a second time would only cost CPU.
      const verified = verifiesOnWrite(body, desc);
      const opts = signal ? { signal } : {};
      if (verified) await pipeline(body, out, opts);
      else await pipeline(body, new VerifyingStream(what, desc.digest, desc.size), out, opts);
      if (this.durable) await fsyncPath(tmp, 'r+');
      await rename(tmp, final);
    } catch (err) {
      body.destroy();
      // the file may still be opening: remove it only once the stream has closed
      if (out && !out.closed) await new Promise<void>((resolve) => out!.destroy().once('close', () => resolve()));
      await rm(tmp, { force: true });
      throw ioFailure(`${what} to ${this.root}`, body.errored ?? err);
    } finally {
      body.off('error', keep);
    }
  }

  private readonly dirs = new Set<string>();
  private async ensureDir(dir: string): Promise<void> {
    if (this.dirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.dirs.add(dir);
  }

  /** Stores bytes already in memory (manifests), verified against the descriptor. */
  async writeBytes(desc: Pick<Descriptor, 'digest' | 'size'>, bytes: Uint8Array): Promise<void> {
    verifyBytes(`blob ${desc.digest}`, bytes, desc.digest, desc.size);
    if (await this.hasBlob(desc)) return;
    const final = this.abs(blobPath(desc.digest));
    const tmp = this.tmpName(desc.digest);
    try {
      await mkdir(path.dirname(final), { recursive: true });
      const fh = await open(tmp, 'wx');
      try {
        await fh.writeFile(bytes);
        if (this.durable) await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, final);
    } catch (err) {
      await rm(tmp, { force: true });
      throw ioFailure(`blob ${desc.digest} to ${this.root}`, err);
    }
  }

  /** Stores a manifest blob and, when `entry` is given (see namedDescriptor), names it in index.json. */
  async writeManifest(manifest: RawManifest, entry?: Descriptor): Promise<void> {
    await this.writeBytes({ digest: manifest.digest, size: manifest.bytes.byteLength }, manifest.bytes);
    if (entry) this.entries.set(entry);
  }

  /** findEntry's answer over the entries so far (constant time). */
  findEntry(repo: string, reference: string): Descriptor | undefined {
    return this.entries.find(repo, reference);
  }

  /** The index as it stands (entries sorted by name, then digest, for deterministic output). */
  currentIndex(): LayoutIndex {
    return sortedIndex({ ...this.base, manifests: this.entries.index().manifests });
  }

  /** Writes index.json atomically (temporary file, fsync, rename). */
  async commit(): Promise<void> {
    const final = path.join(this.root, INDEX_FILE);
    const tmp = `${final}${TMP_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      const fh = await open(tmp, 'wx');
      try {
        await fh.writeFile(serializeLayoutIndex(this.currentIndex()));
        if (this.durable) await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, final);
      this.committed = true;
      if (this.durable) await fsyncPath(this.root).catch(() => undefined);
      await this.unlock();
    } catch (err) {
      await rm(tmp, { force: true });
      throw ioFailure(`${final}`, err);
    }
  }

  /**
   * A run that never committed removes what open() made: a layout directory it created (with the
   * blobs it stored: without index.json they name no image), or the oci-layout file and blobs/ it
   * added to an existing empty directory. A layout that was there keeps what it had (blobs stored
   * into it are whole and verified; its index.json is unchanged).
   */
  async discard(): Promise<void> {
    if (!this.committed) {
      const made = this.made;
      this.made = [];
      for (const p of made) await rm(p, { recursive: true, force: true });
    }
    // the lock goes last (with the directory, when this run made it)
    await this.unlock();
  }

  /** Removes LAYOUT_LOCK once (a later run may hold one of its own by then). */
  private async unlock(): Promise<void> {
    if (!this.locked) return;
    this.locked = false;
    await rm(path.join(this.root, LAYOUT_LOCK), { force: true });
  }
}
