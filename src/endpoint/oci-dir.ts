/**
 * ImageSource and ImageDestination over an OCI image layout directory.
 * `repo` is the image name: `docker.io/library/nginx` with tag `1.25` is the
 * index entry whose org.opencontainers.image.ref.name is
 * `docker.io/library/nginx:1.25`; an empty repo addresses plain tag ref names
 * (`skopeo copy … oci:DIR:tag` writes those).
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { NotFoundError, UsageError } from '../errors.js';
import { MAX_MANIFEST_BYTES, type Descriptor, type RawManifest } from '../oci/types.js';
import { DirFiles } from '../layout/files.js';
import { isDigestRef } from '../digest/index.js';
import { namedDescriptor, type NamedEntry } from '../layout/index-json.js';
import { layoutReferrers, layoutTags, referrerEntry } from '../layout/referrers.js';
import { sniffManifestMediaType } from '../oci/media-type.js';
import { blobPath } from '../layout/paths.js';
import { LayoutReader, type ResolvedManifest } from '../layout/reader.js';
import { LayoutWriter, type LayoutWriterOptions } from '../layout/writer.js';
import type { ImageDestination, ImageSource } from './types.js';

/** Reads images from a layout read through LayoutFiles (a directory here; a tar in oci-archive.ts). */
export class LayoutSource implements ImageSource {
  /** A file gives the same bytes every time. */
  readonly rereadable = false;
  constructor(
    readonly kind: 'oci-dir' | 'oci-archive' | 'docker-archive',
    readonly reader: LayoutReader,
  ) {}
  get description(): string {
    return `${this.kind}:${this.reader.description}`;
  }
  /** The named images (index.json entries). */
  images(): NamedEntry[] {
    return this.reader.entries();
  }
  async getManifest(repo: string, reference: string, signal?: AbortSignal): Promise<RawManifest> {
    signal?.throwIfAborted();
    return this.reader.getManifest(repo, reference);
  }
  async resolveManifest(repo: string, reference: string, signal?: AbortSignal): Promise<ResolvedManifest | undefined> {
    signal?.throwIfAborted();
    return this.reader.resolveManifest(repo, reference);
  }
  async getBlob(_repo: string, desc: Descriptor, signal?: AbortSignal): Promise<Readable> {
    signal?.throwIfAborted();
    return this.reader.openBlob(desc);
  }
  /**
   * A small blob's bytes in memory, read through the same stream as getBlob (so a split bundle's
   * part checks and a compressed bundle's reader apply as they do there); presence and size are
   * checked, the caller verifies the digest. The copy engine's path for small blobs into a
   * registry (a load's configs and small layers) asks for bytes this way where it can, instead of
   * streaming them through a verifier into the upload.
   */
  async getBlobBytes(_repo: string, desc: Descriptor, signal?: AbortSignal): Promise<Buffer> {
    signal?.throwIfAborted();
    const chunks: Buffer[] = [];
    for await (const c of await this.reader.openBlob(desc)) chunks.push(c as Buffer);
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  }
  /** The tags of `repo`: its ref names (cosign's `sha256-<hex>.sig` among them). */
  async listTags(repo: string): Promise<string[]> {
    return layoutTags(this.reader.entries(), repo);
  }
  /** A layout answers for its referrers itself (their index.json entries name the subject). */
  async referrers(repo: string, digest: string): Promise<Descriptor[]> {
    return layoutReferrers(this.reader.entries(), repo, digest);
  }
  async close(): Promise<void> {
    await this.reader.close();
  }
}

async function requireDir(dir: string): Promise<void> {
  let st;
  try {
    st = await stat(dir);
  } catch {
    throw new NotFoundError(`OCI layout directory ${dir} does not exist`, { hint: 'check the path after oci:' });
  }
  if (!st.isDirectory()) throw new UsageError(`${dir} is not a directory`, { hint: 'use oci-archive:FILE for a tar bundle' });
}

export async function openOciDirSource(dir: string): Promise<LayoutSource> {
  await requireDir(dir);
  return new LayoutSource('oci-dir', await LayoutReader.open(new DirFiles(dir)));
}

/** Writes images into a layout directory; index.json is written by commit(). */
export class OciDirDestination implements ImageDestination {
  readonly kind = 'oci-dir' as const;
  readonly supportsMount = false;
  constructor(readonly writer: LayoutWriter) {}

  static async open(dir: string, opts: LayoutWriterOptions = {}): Promise<OciDirDestination> {
    return new OciDirDestination(await LayoutWriter.open(path.resolve(dir), opts));
  }

  get description(): string {
    return `oci:${this.writer.root}`;
  }

  async resolveManifest(repo: string, reference: string, signal?: AbortSignal): Promise<ResolvedManifest | undefined> {
    signal?.throwIfAborted();
    const d = this.writer.findEntry(repo, reference);
    if (d) return { digest: d.digest, mediaType: d.mediaType, size: d.size };
    if (!isDigestRef(reference)) return undefined;
    const size = await this.writer.blobSize(reference);
    if (size === undefined || size > MAX_MANIFEST_BYTES) return undefined;
    try {
      const bytes = await readFile(path.join(this.writer.root, ...blobPath(reference).split('/')));
      return { digest: reference, mediaType: sniffManifestMediaType(reference, bytes), size };
    } catch {
      return undefined;
    }
  }
  async hasBlob(_repo: string, desc: Descriptor, signal?: AbortSignal): Promise<boolean> {
    signal?.throwIfAborted();
    return this.writer.hasBlob(desc);
  }
  async mountBlob(): Promise<boolean> {
    return false;
  }
  async readBlob(_repo: string, desc: Descriptor, signal?: AbortSignal): Promise<Readable | undefined> {
    signal?.throwIfAborted();
    if (!(await this.writer.hasBlob(desc))) return undefined;
    return createReadStream(path.join(this.writer.root, ...blobPath(desc.digest).split('/')));
  }

  async putBlob(_repo: string, desc: Descriptor, body: Readable, signal?: AbortSignal): Promise<void> {
    await this.writer.writeBlob(desc, body, signal);
  }
  /**
   * Stores the manifest blob; with `tag`, also names it `repo:tag` (or
   * `repo@digest` when `tag` is a digest; a plain `tag` when repo is empty)
   * in both org.opencontainers.image.ref.name and io.containerd.image.name.
   */
  async putManifest(repo: string, manifest: RawManifest, tag?: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    // a referrer (a manifest with a subject, stored without a tag) gets an entry that names its subject
    await this.writer.writeManifest(manifest, tag === undefined ? referrerEntry(repo, manifest) : namedDescriptor(repo, manifest, tag));
  }
  async commit(): Promise<void> {
    await this.writer.commit();
  }
  /** Without a commit, the layout directory this run created goes (nothing half-written stays). */
  async close(): Promise<void> {
    await this.writer.discard();
  }
}

export async function openOciDirDestination(dir: string, opts?: LayoutWriterOptions): Promise<OciDirDestination> {
  return OciDirDestination.open(dir, opts);
}
