/**
 * OCI archive: an OCI image layout inside a tar.
 *
 * Reading indexes the tar's headers once and serves every file as a byte range
 * of the archive; nothing is extracted. Writing lays the archive out in a
 * staging directory next to the output (`<out>.airlift-staging/`, kept when
 * the run fails so a re-run reuses what was fetched), streams every blob to
 * its final place, and renames the finished archive to the output path, which
 * never holds a partial file. A character device or FIFO output is never
 * replaced: the finished archive is written into it.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { BundleError, UsageError } from '../errors.js';
import { resolveOutput } from '../output/file.js';
import { parseManifest } from '../oci/manifest.js';
import type { Descriptor, RawManifest } from '../oci/types.js';
import { IndexEntries, layoutIndexText, namedDescriptor, sortedIndex } from '../layout/index-json.js';
import { dockerManifest, dockerManifestText } from '../layout/docker-manifest.js';
import { DOCKER_MANIFEST_FILE, INDEX_FILE, OCI_LAYOUT_FILE, safeEntryPath } from '../layout/paths.js';
import { PlannedTar } from '../layout/planned-tar.js';
import { LayoutReader, type ResolvedManifest } from '../layout/reader.js';
import { deliverArchive, type Delivered, type Packaging } from '../layout/deliver.js';
import type { LayoutFiles } from '../layout/files.js';
import { openArchiveFiles } from '../layout/source-tar.js';
import { PARTS_SUFFIX } from '../layout/parts.js';
import type { TarInput } from '../layout/tar-writer.js';
import { LayoutSource } from './oci-dir.js';
import { referrerEntry } from '../layout/referrers.js';
import type { BlobWriter, ImageDestination, StorePlan } from './types.js';

/** Manifests written together when the archive is prepared. */
const MANIFEST_WRITES = 256;

function isLayoutPath(name: string): boolean {
  return name === OCI_LAYOUT_FILE || name === INDEX_FILE || name === DOCKER_MANIFEST_FILE || name === 'blobs' || name.startsWith('blobs/');
}

/** Reads images (and the extra files such as charts and the lock) from a bundle tar in place. */
export class OciArchiveSource extends LayoutSource {
  constructor(
    reader: LayoutReader,
    readonly tar: LayoutFiles,
  ) {
    super('oci-archive', reader);
  }
  /** Files of the bundle outside the layout (e.g. `airlift.lock.json`, `charts/x-1.0.0.tgz`), sorted. */
  async extraFiles(): Promise<string[]> {
    return (await this.tar.list()).filter((n) => !isLayoutPath(n));
  }
  /** A whole extra file (max bytes) as a Buffer. */
  async readFile(name: string, max: number): Promise<Buffer> {
    return this.tar.read(name, max);
  }
  /** An extra file's bytes as a stream. */
  async openFile(name: string): Promise<Readable> {
    return this.tar.stream(name);
  }
}

export async function openOciArchiveSource(file: string): Promise<OciArchiveSource> {
  // links resolved only to tell a docker archive (which has them) from a bundle (refused for one)
  const refusal: { error?: BundleError } = {};
  const tar = await openArchiveFiles(file, { resolveLinks: true, refusal });
  if ((await tar.size(INDEX_FILE)) === undefined && (await tar.size(DOCKER_MANIFEST_FILE)) !== undefined) {
    await tar.close();
    throw new UsageError(`${file} is a docker archive (written by docker save or podman save: a manifest.json, no index.json), not an OCI archive`, {
      hint: `read it as docker-archive:${file}[:NAME]; load, verify and serve take it as it is`,
    });
  }
  if (refusal.error) {
    await tar.close();
    throw refusal.error;
  }
  return new OciArchiveSource(await LayoutReader.open(tar), tar);
}

/**
 * The staging directory of an archive written at `out`: next to it, or for a device or FIFO
 * (`stream`), where no directory can sit beside it, in the temporary directory (one per user and path).
 */
export function stagingDirFor(out: string, stream = false): string {
  if (!stream) return `${out}.airlift-staging`;
  const who = typeof process.getuid === 'function' ? process.getuid() : 0;
  return path.join(os.tmpdir(), `airlift-staging-${who}-${createHash('sha256').update(path.resolve(out)).digest('hex').slice(0, 16)}`);
}

/**
 * Writes a bundle in one pass. The copy engine first tells it every blob
 * and manifest (prepare()), so that each blob streams straight to its final
 * place in the archive (see PlannedTar); commit() appends index.json, Docker's
 * manifest.json (docker-manifest.ts: `docker load` and `podman load` read it) and the
 * extra files, fsyncs, and renames the archive to the output path.
 */
export class OciArchiveDestination implements ImageDestination {
  readonly kind = 'oci-archive' as const;
  readonly supportsMount = false;
  /** PlannedTar hashes each blob as its chunks arrive, before it counts as stored. */
  readonly hashesBlobs = true;
  private readonly extras = new Map<string, { data: Uint8Array | { text: string | (() => string) } | string; executable: boolean }>();
  /** index.json's entries (looked up per image: an array made a save of N images quadratic). */
  private readonly index = new IndexEntries();
  private tar?: PlannedTar;
  /** After commit(): the images manifest.json leaves out, and why (`docker load` will not load them). */
  dockerLeftOut: string[] = [];
  /** Blobs the plan named that this archive leaves out (a differential bundle's base holds them). */
  private left = new Set<string>();
  /** Every blob the archive carries (manifests included), once prepared. */
  private carried: string[] = [];

  private constructor(
    readonly output: string,
    /** The output is a character device, a FIFO or stdout: the archive is written into it, not renamed over it. */
    private readonly stream: boolean,
    /** `-`: the archive is written here (stdout), which stays open. */
    private readonly into: Writable | undefined,
    /** Compressed and/or split once the tar is complete (save --compress, --split-size). */
    private readonly packaging: Packaging,
    /** Layers to leave out (`save --since`): never fetched, never written; manifests and configs always go in. */
    private readonly omit: ReadonlySet<string>,
    /** What the staging directory is named after: the output's path, or for `-` the command's directory (see stagingDir). */
    private readonly stagedFor: string = output,
  ) {}

  /** What commit() wrote, with --compress or --split-size. */
  delivered?: Delivered;

  /**
   * Checks the output location (a directory, a socket, a missing parent are refused); the staging
   * directory is opened by prepare(). `-` writes the finished archive to `opts.stdout`.
   */
  static async open(output: string, opts: ArchiveDestinationOptions = {}): Promise<OciArchiveDestination> {
    const pack = opts.packaging ?? {};
    const omit = opts.omit ?? new Set<string>();
    if (output === '-') {
      if (!opts.stdout) throw new UsageError('an archive cannot be written to "-" (stdout) here', { hint: 'give a file name' });
      if (pack.splitSize) throw new UsageError('--split-size writes several files: it cannot write to "-" (stdout)', { hint: 'give -o BUNDLE.tar' });
      return new OciArchiveDestination('-', true, opts.stdout, pack, omit, path.resolve(opts.cwd ?? process.cwd(), '-'));
    }
    const target = await resolveOutput(output);
    if (target.kind === 'stream') {
      if (pack.splitSize) throw new UsageError(`--split-size writes several files: it cannot write into ${output}`, { hint: 'give -o a file name' });
      return new OciArchiveDestination(target.path, true, undefined, pack, omit);
    }
    if (pack.splitSize && output.endsWith(PARTS_SUFFIX)) {
      throw new UsageError(`-o ${output}: with --split-size, name the bundle (-o bundle.tar)`, { hint: 'the parts are written as bundle.tar.000, .001, … and bundle.tar.parts' });
    }
    return new OciArchiveDestination(path.resolve(output), false, undefined, pack, omit);
  }

  /**
   * Where the archive is staged until it is complete (kept when the run fails, for a re-run). For
   * `-`, keyed by the directory the command runs in (opts.cwd), not the process's: a re-run of the
   * same command there finds it again, while runs in other directories (two in-process runs, as the
   * tests make, or two shells) do not share one staging directory and its lock.
   */
  get stagingDir(): string {
    return stagingDirFor(this.stagedFor, this.stream);
  }

  get description(): string {
    return `oci-archive:${this.output}`;
  }

  /** Lays out the archive for these blobs and manifests (reusing what a stopped run staged) and stores the manifests. */
  async prepare(plan: StorePlan, signal?: AbortSignal): Promise<void> {
    if (this.tar) throw new BundleError(`${this.description} was already prepared`, { hint: 'this is a bug; run again' });
    // configs always travel (load reads each image's platform from its config), as manifests do;
    // the manifests are parsed for them only when layers are left out (every manifest at once was
    // 20 MB of garbage at 10,000 images, at the run's peak)
    const keep = new Set<string>();
    if (this.omit.size > 0) {
      for (const m of plan.manifests) {
        const parsed = parseManifest(`manifest ${m.digest}`, m);
        if (parsed.kind === 'image') keep.add(parsed.config.digest);
      }
    }
    const left = (d: string): boolean => this.omit.has(d) && !keep.has(d);
    this.left = new Set(plan.blobs.filter((b) => left(b.digest)).map((b) => b.digest));
    const blobs = [...plan.blobs.filter((b) => !left(b.digest)), ...plan.manifests.map((m) => ({ digest: m.digest, size: m.bytes.byteLength }))];
    this.carried = [...new Set(blobs.map((b) => b.digest))].sort();
    this.tar = await PlannedTar.open(this.stagingDir, blobs, signal);
    const tar = this.tar;
    const unstored = [...new Map(plan.manifests.filter((m) => !tar.has(m.digest, m.bytes.byteLength)).map((m) => [m.digest, m])).values()];
    // a few hundred at a time: 10,000 writes at once held a copy of every manifest with its header
    // (and a file system request each) at the run's peak
    for (let i = 0; i < unstored.length; i += MANIFEST_WRITES) {
      await tar.writeBytes(unstored.slice(i, i + MANIFEST_WRITES).map((m) => ({ desc: { digest: m.digest, size: m.bytes.byteLength }, bytes: m.bytes })));
    }
  }

  private planned(): PlannedTar {
    if (!this.tar) throw new BundleError(`${this.description}: nothing was planned before the first blob`, { hint: 'this is a bug in the copy order; run again' });
    return this.tar;
  }

  /**
   * Adds a file outside the layout (a chart `.tgz`, `airlift.lock.json`, the release files of
   * `--include-self`): bytes, text (written as UTF-8; a function makes it when it is written), or the path of a file to copy; `executable` stores it with mode 0755.
   */
  addFile(name: string, data: Uint8Array | { text: string | (() => string) } | string, opts: { executable?: boolean } = {}): void {
    const safe = safeEntryPath('bundle', name);
    if (safe === undefined || isLayoutPath(safe)) {
      throw new UsageError(`cannot add ${JSON.stringify(name)} to a bundle: the name is empty or belongs to the OCI layout`);
    }
    this.extras.set(safe, { data, executable: opts.executable === true });
  }

  /** Only images stored by this run (a re-run never skips an image because of what it staged). */
  async resolveManifest(repo: string, reference: string, signal?: AbortSignal): Promise<ResolvedManifest | undefined> {
    signal?.throwIfAborted();
    const d = this.index.find(repo, reference);
    return d ? { digest: d.digest, mediaType: d.mediaType, size: d.size } : undefined;
  }
  /** A blob left out (the base of a differential holds it) counts as held: the engine does not fetch it. */
  async hasBlob(_repo: string, desc: Descriptor, signal?: AbortSignal): Promise<boolean> {
    signal?.throwIfAborted();
    if (this.left.has(desc.digest)) return true;
    return this.tar?.has(desc.digest, desc.size) ?? false;
  }

  leavesOut(digest: string): boolean {
    return this.left.has(digest);
  }

  /** Blobs the plan named that the archive leaves out (sorted). */
  omitted(): string[] {
    return [...this.left].sort();
  }

  /** Every blob the archive carries under blobs/ (sorted digests). */
  blobDigests(): string[] {
    return [...this.carried];
  }

  /** Planned blobs not stored (an image failed after the plan was made). */
  unstored(): string[] {
    return this.tar?.missing() ?? [];
  }
  async mountBlob(): Promise<boolean> {
    return false;
  }
  async readBlob(_repo: string, desc: Descriptor, signal?: AbortSignal): Promise<Readable | undefined> {
    signal?.throwIfAborted();
    return this.tar?.read(desc.digest, desc.size);
  }
  async putBlob(_repo: string, desc: Descriptor, body: Readable, signal?: AbortSignal): Promise<void> {
    await this.planned().write(desc, body, signal);
  }
  blobWriter(_repo: string, desc: Descriptor, signal?: AbortSignal): BlobWriter {
    return this.planned().writer(desc, signal);
  }
  /**
   * A small blob the engine fetched whole and verified (getBlobBytes): header and data in one
   * write, no stream, buffer pool or second hash (for many small images these cost more than
   * their bytes).
   */
  async putBlobBytes(_repo: string, desc: Descriptor, bytes: Buffer, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    await this.planned().writeBytes([{ desc, bytes }], true);
  }
  async putManifest(repo: string, manifest: RawManifest, tag?: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const tar = this.planned();
    const size = manifest.bytes.byteLength;
    if (!tar.has(manifest.digest, size)) await tar.writeBytes([{ desc: { digest: manifest.digest, size }, bytes: manifest.bytes }]);
    if (tag !== undefined) this.index.set(namedDescriptor(repo, manifest, tag));
    else {
      // a referrer (a manifest with a subject, stored without a tag) gets an entry that names its subject
      const entry = referrerEntry(repo, manifest);
      if (entry) this.index.set(entry);
    }
  }

  /** Appends index.json, manifest.json and the extra files, fsyncs the archive and renames it into place; then removes the staging directory. */
  async commit(signal?: AbortSignal): Promise<void> {
    const index = sortedIndex(this.index.index());
    // the manifests are read back from the staged archive (holding every one to the end kept
    // about 1 KiB an image in memory for the run)
    // each is parsed before the next is read (dockerManifest keeps no bytes): one buffer serves all
    const scratch = Buffer.allocUnsafeSlow(64 * 1024);
    const stored = (d: Descriptor): RawManifest | undefined => {
      const bytes = this.tar?.readBytes(d.digest, d.size, scratch);
      return bytes ? { bytes, digest: d.digest, mediaType: d.mediaType } : undefined;
    };
    const docker = await dockerManifest(index, stored, (d) => this.tar?.has(d.digest, d.size) ?? false);
    this.dockerLeftOut = docker.leftOut;
    // as text, written a piece at a time (at 10,000 images index.json and manifest.json are 7 MB),
    // each made when its entry is written and let go after it: one whole at a time
    const tail: TarInput[] = [{ name: INDEX_FILE, data: { text: () => layoutIndexText(index) } }];
    if (docker.entries.length) tail.push({ name: DOCKER_MANIFEST_FILE, data: { text: () => dockerManifestText(docker.entries) } });
    for (const name of [...this.extras.keys()].sort()) {
      const { data, executable } = this.extras.get(name)!;
      tail.push({ name, data: typeof data === 'string' ? { path: data, size: (await stat(data)).size } : data, ...(executable ? { executable } : {}) });
    }
    const tar = this.tar ?? (await PlannedTar.open(this.stagingDir, [], signal));
    this.tar = tar;
    const into = { stream: this.stream, ...(this.into ? { into: this.into } : {}) };
    if (!this.packaging.compress && !this.packaging.splitSize) {
      await tar.finish(tail, this.output, signal, into);
      return;
    }
    // the whole tar first (beside the staging directory), then compressed and/or split into place
    const whole = `${this.stagingDir}.tar`;
    await tar.finish(tail, whole, signal);
    this.delivered = await deliverArchive(whole, this.output, this.packaging, signal, into);
  }

  /** Without commit(), what was stored stays in the staging directory for a re-run; nothing is written at the output path. */
  async close(): Promise<void> {
    await this.tar?.close();
  }
}

export interface ArchiveDestinationOptions {
  /** Where `-` writes. */
  stdout?: Writable;
  /** The directory the command runs in (default: the process's): `-` is staged under a name made from it. */
  cwd?: string;
  /** `--compress`, `--split-size`: what the finished tar becomes. */
  packaging?: Packaging;
  /** Layers to leave out (a differential bundle: its base holds them). */
  omit?: ReadonlySet<string>;
}

export async function openOciArchiveDestination(output: string, opts: ArchiveDestinationOptions = {}): Promise<OciArchiveDestination> {
  return OciArchiveDestination.open(output, opts);
}
