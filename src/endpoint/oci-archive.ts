/**
 * OCI archive: an OCI image layout inside a tar.
 *
 * Reading indexes the tar's headers once and serves every file as a byte range
 * of the archive; nothing is extracted. Writing goes to an oci-dir destination
 * in a staging directory next to the output (`<out>.airlift-staging/`, kept
 * when the run fails so a re-run reuses what was fetched); commit() writes a
 * deterministic tar to `<out>.tmp-<pid>`, fsyncs it, renames it into place and
 * removes the staging directory. The output path never holds a partial file.
 */
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { DigestMismatchError, BundleError, NotFoundError, UsageError } from '../errors.js';
import { ANNOTATION_REF_NAME, type Descriptor, type RawManifest } from '../oci/types.js';
import { serializeLayoutIndex } from '../layout/index-json.js';
import { manifestChildren } from '../layout/manifest.js';
import { INDEX_FILE, OCI_LAYOUT_CONTENT, OCI_LAYOUT_FILE, blobPath, safeEntryPath } from '../layout/paths.js';
import { LayoutReader, type ResolvedManifest } from '../layout/reader.js';
import { TarFiles } from '../layout/tar-index.js';
import { writeTar, type TarInput } from '../layout/tar-writer.js';
import { ioFailure } from '../layout/writer.js';
import { LayoutSource, OciDirDestination } from './oci-dir.js';
import type { ImageDestination } from './types.js';

function isLayoutPath(name: string): boolean {
  return name === OCI_LAYOUT_FILE || name === INDEX_FILE || name === 'blobs' || name.startsWith('blobs/');
}

/** Reads images (and the extra files such as charts and the lock) from a bundle tar in place. */
export class OciArchiveSource extends LayoutSource {
  constructor(
    reader: LayoutReader,
    readonly tar: TarFiles,
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
  const tar = await TarFiles.open(file);
  return new OciArchiveSource(await LayoutReader.open(tar), tar);
}

/** Removes `<out>.tmp-<pid>` files left by runs whose process is gone. */
async function removeDeadTemps(out: string): Promise<void> {
  const prefix = `${path.basename(out)}.tmp-`;
  const names = await readdir(path.dirname(out)).catch(() => [] as string[]);
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const pid = Number(n.slice(prefix.length));
    if (!Number.isInteger(pid) || pid <= 0) continue;
    let alive = pid === process.pid;
    if (!alive) {
      try {
        process.kill(pid, 0);
        alive = true;
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    }
    if (!alive || pid === process.pid) await rm(path.join(path.dirname(out), n), { force: true });
  }
}

export function stagingDirFor(out: string): string {
  return `${out}.airlift-staging`;
}

export class OciArchiveDestination implements ImageDestination {
  readonly kind = 'oci-archive' as const;
  readonly supportsMount = false;
  private readonly extras = new Map<string, Uint8Array | string>();
  private committed = false;

  private constructor(
    readonly output: string,
    readonly staging: OciDirDestination,
  ) {}

  /** Prepares `<out>.airlift-staging/`, reusing blobs a previous interrupted run fetched. */
  static async open(output: string): Promise<OciArchiveDestination> {
    const out = path.resolve(output);
    const parent = path.dirname(out);
    try {
      if (!(await stat(parent)).isDirectory()) throw new Error('not a directory');
    } catch {
      throw new NotFoundError(`cannot write ${output}: directory ${parent} does not exist`, { hint: 'create it or choose another -o path' });
    }
    try {
      if ((await stat(out)).isDirectory()) throw new UsageError(`${output} is a directory; expected a bundle file name`, { hint: 'for a layout directory use oci:DIR' });
    } catch (err) {
      if (err instanceof UsageError) throw err;
    }
    await removeDeadTemps(out);
    const staging = await OciDirDestination.open(stagingDirFor(out), { durable: false, freshIndex: true });
    await staging.writer.removeStaleTemp();
    return new OciArchiveDestination(out, staging);
  }

  get description(): string {
    return `oci-archive:${this.output}`;
  }

  /** Adds a file outside the layout (a chart `.tgz`, `airlift.lock.json`): bytes, or the path of a file to copy. */
  addFile(name: string, data: Uint8Array | string): void {
    const safe = safeEntryPath('bundle', name);
    if (safe === undefined || isLayoutPath(safe)) {
      throw new UsageError(`cannot add ${JSON.stringify(name)} to a bundle: the name is empty or belongs to the OCI layout`);
    }
    this.extras.set(safe, data);
  }

  resolveManifest(repo: string, reference: string, signal?: AbortSignal): Promise<ResolvedManifest | undefined> {
    return this.staging.resolveManifest(repo, reference, signal);
  }
  hasBlob(repo: string, desc: Descriptor, signal?: AbortSignal): Promise<boolean> {
    return this.staging.hasBlob(repo, desc, signal);
  }
  async mountBlob(): Promise<boolean> {
    return false;
  }
  readBlob(repo: string, desc: Descriptor, signal?: AbortSignal): Promise<Readable | undefined> {
    return this.staging.readBlob(repo, desc, signal);
  }

  putBlob(repo: string, desc: Descriptor, body: Readable, signal?: AbortSignal): Promise<void> {
    return this.staging.putBlob(repo, desc, body, signal);
  }
  putManifest(repo: string, manifest: RawManifest, tag?: string, signal?: AbortSignal): Promise<void> {
    return this.staging.putManifest(repo, manifest, tag, signal);
  }

  /** Blobs reachable from the index (manifests, configs, layers), checked present; sorted by path. */
  private async reachableBlobs(): Promise<Descriptor[]> {
    const w = this.staging.writer;
    const seen = new Map<string, Descriptor>();
    const visitManifest = async (d: Descriptor, from: string): Promise<void> => {
      if (seen.has(d.digest)) return;
      await this.requireBlob(d, from);
      seen.set(d.digest, d);
      const p = path.join(w.root, ...blobPath(d.digest).split('/'));
      const fh = await open(p, 'r');
      let bytes: Buffer;
      try {
        bytes = await fh.readFile();
      } finally {
        await fh.close();
      }
      const children = manifestChildren(`manifest ${d.digest}`, d.mediaType, bytes);
      for (const m of children.manifests) await visitManifest(m, `index ${d.digest}`);
      for (const b of children.blobs) {
        if (seen.has(b.digest)) continue;
        if (b.urls?.length && (await w.blobSize(b.digest)) === undefined) continue; // foreign layer, fetched from its URL
        await this.requireBlob(b, `manifest ${d.digest}`);
        seen.set(b.digest, b);
      }
    };
    for (const d of w.currentIndex().manifests) await visitManifest(d, d.annotations?.[ANNOTATION_REF_NAME] ?? d.digest);
    return [...seen.values()].sort((a, b) => (blobPath(a.digest) < blobPath(b.digest) ? -1 : 1));
  }

  private async requireBlob(d: Descriptor, from: string): Promise<void> {
    const size = await this.staging.writer.blobSize(d.digest);
    if (size !== d.size) {
      throw new BundleError(`cannot write ${this.output}: blob ${d.digest} referenced by ${from} was not stored${size === undefined ? '' : ` (${size} bytes, expected ${d.size})`}`, {
        hint: 'this is a bug in the copy order; run again',
      });
    }
  }

  /** Writes the tar to a temporary name, fsyncs it and renames it into place; then removes the staging directory. */
  async commit(signal?: AbortSignal): Promise<void> {
    const w = this.staging.writer;
    const tmp = `${this.output}.tmp-${process.pid}`;
    try {
      const blobs = await this.reachableBlobs();
      const inputs: TarInput[] = [
        { name: OCI_LAYOUT_FILE, data: Buffer.from(OCI_LAYOUT_CONTENT) },
        { name: INDEX_FILE, data: serializeLayoutIndex(w.currentIndex()) },
      ];
      for (const b of blobs) {
        const input: TarInput = { name: blobPath(b.digest), data: { path: path.join(w.root, ...blobPath(b.digest).split('/')), size: b.size } };
        // blobs that a previous run stored are re-verified as they are copied
        if (!w.written.has(b.digest)) input.verifyDigest = b.digest;
        inputs.push(input);
      }
      for (const name of [...this.extras.keys()].sort()) {
        const data = this.extras.get(name)!;
        inputs.push({ name, data: typeof data === 'string' ? { path: data, size: (await stat(data)).size } : data });
      }
      const fh = await open(tmp, 'w', 0o644);
      try {
        await writeTar(fh, inputs, signal);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.output);
    } catch (err) {
      await rm(tmp, { force: true });
      if (err instanceof DigestMismatchError) {
        // drop the damaged staged copy so that the next run fetches it again
        await rm(path.join(w.root, ...blobPath(err.expected).split('/')), { force: true });
      }
      throw ioFailure(`bundle ${this.output}`, err);
    }
    this.committed = true;
    const dir = await open(path.dirname(this.output), 'r').catch(() => undefined);
    if (dir) await dir.sync().catch(() => undefined).finally(() => dir.close());
    await rm(w.root, { recursive: true, force: true });
  }

  /** Without commit(), the staging directory is kept for a re-run; nothing is written at the output path. */
  async close(): Promise<void> {
    void this.committed;
  }
}

export async function openOciArchiveDestination(output: string): Promise<OciArchiveDestination> {
  return OciArchiveDestination.open(output);
}
