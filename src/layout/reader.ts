/** Reads an OCI image layout (a directory or a tar, through LayoutFiles): names, manifests, blobs. */
import type { Readable } from 'node:stream';
import { isDigestRef, parseDigest, verifyBytes } from '../digest/index.js';
import { AirliftError, BundleError, NotFoundError, TooLargeError } from '../errors.js';
import { MAX_MANIFEST_BYTES, type Descriptor, type RawManifest } from '../oci/types.js';
import type { LayoutFiles, StreamOptions } from './files.js';
import { entryName, findEntry, namedEntries, parseLayoutIndex, type LayoutIndex, type NamedEntry } from './index-json.js';
import { mediaTypeConflict, sniffManifestMediaType } from '../oci/media-type.js';
import { MAX_METADATA_BYTES, metadataTooLarge, readMetadata } from './limits.js';
import { INDEX_FILE, OCI_LAYOUT_FILE, blobPath, checkOciLayoutFile } from './paths.js';

export interface ResolvedManifest {
  digest: string;
  mediaType: string;
  size: number;
}

export class LayoutReader {
  private constructor(
    readonly files: LayoutFiles,
    readonly index: LayoutIndex,
  ) {}

  /** Opens a layout: checks `oci-layout` and parses `index.json`. */
  /** Reads oci-layout and index.json; the reader owns `files` from then on, and closes them when it cannot open. */
  static async open(files: LayoutFiles): Promise<LayoutReader> {
    try {
      return new LayoutReader(files, await readLayoutIndex(files));
    } catch (err) {
      await files.close().catch(() => undefined);
      throw err;
    }
  }

  get description(): string {
    return this.files.description;
  }

  /** The images the layout names (index.json entries, in order). */
  entries(): NamedEntry[] {
    return namedEntries(this.index);
  }

  /** Size of a stored blob, or undefined when absent. */
  async blobSize(digest: string): Promise<number | undefined> {
    return this.files.size(blobPath(digest));
  }

  /**
   * The manifest a tag or digest names in `repo` (see findEntry), or, for a
   * digest, any stored manifest blob with that digest. Undefined when absent.
   */
  async resolveManifest(repo: string, reference: string): Promise<ResolvedManifest | undefined> {
    const d = findEntry(this.index, repo, reference);
    if (d) return { digest: d.digest, mediaType: d.mediaType, size: d.size };
    if (!isDigestRef(reference)) return undefined;
    parseDigest(reference);
    const size = await this.blobSize(reference);
    if (size === undefined) return undefined;
    if (size > MAX_MANIFEST_BYTES) return undefined; // a layer, not a manifest
    const bytes = await this.files.read(blobPath(reference), MAX_MANIFEST_BYTES);
    try {
      return { digest: reference, mediaType: sniffManifestMediaType(reference, bytes), size };
    } catch (err) {
      if (err instanceof BundleError) return undefined; // not a manifest (a config or a layer)
      throw err;
    }
  }

  /** The verified bytes of the manifest a tag or digest names. */
  async getManifest(repo: string, reference: string): Promise<RawManifest> {
    const r = await this.resolveManifest(repo, reference);
    if (!r) throw this.notFound(repo, reference);
    return this.readManifest(r);
  }

  /** Reads and verifies a manifest blob (size cap 4 MiB). */
  async readManifest(d: ResolvedManifest | Descriptor): Promise<RawManifest> {
    const what = `manifest ${d.digest} in ${this.description}`;
    if (d.size > MAX_MANIFEST_BYTES) {
      throw new TooLargeError(`${what} is ${d.size} bytes, over the ${MAX_MANIFEST_BYTES}-byte manifest limit`);
    }
    const p = blobPath(d.digest);
    const size = await this.files.size(p);
    if (size === undefined) {
      throw new BundleError(`${what} is missing (${p})`, { hint: 'the layout or bundle is incomplete; recreate it' });
    }
    if (size > MAX_MANIFEST_BYTES) {
      throw new TooLargeError(`${what} is ${size} bytes, over the ${MAX_MANIFEST_BYTES}-byte manifest limit`);
    }
    const bytes = await this.files.read(p, MAX_MANIFEST_BYTES);
    verifyBytes(what, bytes, d.digest, d.size);
    const conflict = mediaTypeConflict(d.mediaType, bytes);
    if (conflict) {
      throw new BundleError(`${what}: ${conflict}`, {
        hint: 'a registry refuses a manifest pushed as another media type (MANIFEST_INVALID); save the bundle again with this airlift, which takes the type from the manifest itself',
      });
    }
    return { bytes, mediaType: d.mediaType, digest: d.digest };
  }

  /** A blob's bytes (or the inclusive range [start, end]). BundleError when missing or of the wrong size. */
  async openBlob(desc: Pick<Descriptor, 'digest' | 'size'>, range?: { start: number; end: number }, opts?: StreamOptions): Promise<Readable> {
    const p = blobPath(desc.digest);
    const size = await this.files.size(p);
    if (size === undefined) {
      throw new BundleError(`blob ${desc.digest} is missing from ${this.description}`, {
        hint: 'the layout or bundle is incomplete; recreate it with airlift save',
      });
    }
    if (desc.size >= 0 && size !== desc.size) {
      throw new BundleError(`blob ${desc.digest} in ${this.description} has ${size} bytes, but its descriptor says ${desc.size}`, {
        hint: 'the layout or bundle is damaged; recreate it',
      });
    }
    return this.files.stream(p, range, opts);
  }

  notFound(repo: string, reference: string): AirliftError {
    const names = this.entries().map(entryName);
    const shown = names.slice(0, 10).join(', ') + (names.length > 10 ? `, … (${names.length} in all)` : '');
    const wanted = repo === '' ? reference || '(no reference)' : `${repo}${isDigestRef(reference) ? '@' : ':'}${reference}`;
    return new NotFoundError(`image ${wanted} is not in ${this.description}`, {
      hint: names.length ? `it holds: ${shown}` : 'it holds no named images',
    });
  }

  async close(): Promise<void> {
    await this.files.close();
  }
}

async function readLayoutIndex(files: LayoutFiles): Promise<LayoutIndex> {
  const where = files.description;
  const hint = 'expected an OCI image layout (oci-layout, index.json, blobs/) as written by airlift save or skopeo';
  const layoutSize = await files.size(OCI_LAYOUT_FILE);
  if (layoutSize === undefined) throw new BundleError(`${where} is not an OCI image layout: oci-layout is missing`, { hint });
  checkOciLayoutFile(where, await files.read(OCI_LAYOUT_FILE, 4096));
  const indexSize = await files.size(INDEX_FILE);
  if (indexSize === undefined) throw new BundleError(`${where} is not an OCI image layout: index.json is missing`, { hint });
  if (indexSize > MAX_METADATA_BYTES) throw metadataTooLarge(`${where}: index.json`, indexSize);
  return parseLayoutIndex(`${where}: index.json`, await readMetadata((max) => files.read(INDEX_FILE, max)));
}
