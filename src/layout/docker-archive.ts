/**
 * A `docker save` / `podman save` archive (Docker's `manifest.json`, no `index.json`) read as an
 * OCI image layout, in place: the tar's files are presented as `oci-layout`, an `index.json` and
 * `blobs/sha256/<hex>`, so LayoutReader, and with it load, copy, verify and serve, read it as
 * they read a bundle. Nothing is extracted.
 *
 * Each manifest.json entry becomes an OCI image manifest, written here:
 * - its config: the archive's config file, byte for byte (its digest is the image ID);
 * - its layers: the archive's layer files as they are. docker and podman save them uncompressed,
 *   so they are pushed uncompressed (`application/vnd.oci.image.layer.v1.tar`): each layer's digest
 *   is its diff_id, and the manifest's digest depends on the archive alone (the same archive gives
 *   the same digest on any machine, unlike a gzip whose bytes depend on the compressor). A layer
 *   file that is gzip or zstd (another tool's archive) keeps its bytes and gets that media type;
 *   its digest is then hashed here.
 * - its names: every RepoTag, normalised as docker does (`nginx:1.25` is
 *   `docker.io/library/nginx:1.25`), in both ref-name annotations; an untagged image has none (it
 *   is the archive's only image or is not reachable by name).
 */
import { Readable } from 'node:stream';
import { sha256, sha256OfStream } from '../digest/index.js';
import { BundleError, NotFoundError, TooLargeError, toAirliftError } from '../errors.js';
import { ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME, MediaType, type Descriptor } from '../oci/types.js';
import { formatReference, parseReference } from '../reference/index.js';
import type { LayoutFiles, StreamOptions } from './files.js';
import { openArchiveFiles, type SourceTarFiles } from './source-tar.js';
import type { TarFiles } from './tar-index.js';
import { parseDockerManifest, type DockerManifestEntry } from './docker-manifest.js';
import { readMetadata } from './limits.js';
import { serializeLayoutIndex, type LayoutIndex } from './index-json.js';
import { DOCKER_MANIFEST_FILE, INDEX_FILE, OCI_LAYOUT_CONTENT, OCI_LAYOUT_FILE, blobPath } from './paths.js';

/** An image's config (one image's JSON, not a list). */
const MAX_CONFIG = 16 * 1024 * 1024;
const HINT = 'the archive is damaged or was not written by docker save / podman save; save it again';

function parseEntries(where: string, bytes: Buffer): DockerManifestEntry[] {
  const parsed = parseDockerManifest(bytes);
  if ('problem' in parsed) throw new BundleError(`${where}: ${parsed.problem}`, { hint: HINT });
  if (parsed.entries.length === 0) throw new BundleError(`${where}: manifest.json lists no image`, { hint: HINT });
  return parsed.entries;
}

/** `nginx:1.25` → `docker.io/library/nginx:1.25`, as docker names it. */
function fullName(where: string, tag: string): string {
  try {
    return formatReference(parseReference(tag));
  } catch (err) {
    throw new BundleError(`${where}: manifest.json names an image ${JSON.stringify(tag)}, which is not an image reference (${toAirliftError(err).message})`, { hint: HINT });
  }
}

/** The media type of a layer file from its first bytes: a plain tar, gzip or zstd. */
function layerMediaType(head: Buffer): string {
  if (head[0] === 0x1f && head[1] === 0x8b) return MediaType.OciLayerGzip;
  if (head.readUInt32LE(0) === 0xfd2fb528) return MediaType.OciLayerZstd;
  return MediaType.OciLayer;
}

async function headOf(files: LayoutFiles, name: string, size: number): Promise<Buffer> {
  const n = Math.min(size, 512);
  const out = Buffer.alloc(4, 0);
  if (n === 0) return out;
  const chunks: Buffer[] = [];
  for await (const c of await files.stream(name, { start: 0, end: n - 1 })) chunks.push(c as Buffer);
  const head = Buffer.concat(chunks);
  head.copy(out, 0, 0, Math.min(4, head.length));
  return out;
}

async function hashOf(files: LayoutFiles, name: string): Promise<string> {
  return (await sha256OfStream(await files.stream(name))).digest;
}

/** The files of a docker archive presented as an OCI image layout. */
export class DockerArchiveFiles implements LayoutFiles {
  private constructor(
    private readonly tar: LayoutFiles,
    /** Synthesised files (oci-layout, index.json, manifests) by layout path. */
    private readonly made: Map<string, Buffer>,
    /** Blob layout path → the archive's file holding it. */
    private readonly mapped: Map<string, string>,
    /** The images, in manifest.json order: their manifest descriptors and names (for messages). */
    readonly images: Array<{ descriptor: Descriptor; names: string[] }>,
  ) {}

  get description(): string {
    return this.tar.description;
  }

  /** Reads manifest.json and every config; hashes only layer files that are compressed. */
  static async open(tar: LayoutFiles): Promise<DockerArchiveFiles> {
    const where = tar.description;
    const size = await tar.size(DOCKER_MANIFEST_FILE);
    if (size === undefined) throw new BundleError(`${where} is not a docker archive: manifest.json is missing`, { hint: HINT });
    const entries = parseEntries(where, await readMetadata((max) => tar.read(DOCKER_MANIFEST_FILE, max)));
    const made = new Map<string, Buffer>();
    const mapped = new Map<string, string>();
    const images: Array<{ descriptor: Descriptor; names: string[] }> = [];
    const index: LayoutIndex = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
    for (const [i, e] of entries.entries()) {
      const what = `${where}: image ${e.RepoTags?.[0] ?? `#${i + 1}`}`;
      const configBytes = await tar.read(e.Config, MAX_CONFIG).catch((err: unknown) => {
        const a = toAirliftError(err);
        throw new BundleError(`${what}: its config ${e.Config} ${a instanceof NotFoundError ? 'is not in the archive' : a instanceof TooLargeError ? 'is too large' : `cannot be read (${a.message})`}`, { hint: HINT });
      });
      let diffIds: unknown;
      try {
        diffIds = (JSON.parse(configBytes.toString('utf8')) as { rootfs?: { diff_ids?: unknown } }).rootfs?.diff_ids;
      } catch {
        throw new BundleError(`${what}: its config ${e.Config} is not JSON`, { hint: HINT });
      }
      if (!Array.isArray(diffIds) || diffIds.length !== e.Layers.length || !diffIds.every((d) => typeof d === 'string' && /^sha256:[0-9a-f]{64}$/.test(d))) {
        throw new BundleError(`${what}: its config lists ${Array.isArray(diffIds) ? diffIds.length : 'no'} diff_ids for ${e.Layers.length} layers`, { hint: HINT });
      }
      const config: Descriptor = { mediaType: MediaType.OciConfig, digest: sha256(configBytes), size: configBytes.length };
      mapped.set(blobPath(config.digest), e.Config);
      const layers: Descriptor[] = [];
      for (const [j, file] of e.Layers.entries()) {
        const lsize = await tar.size(file);
        if (lsize === undefined) throw new BundleError(`${what}: its layer ${file} is not in the archive`, { hint: HINT });
        const mediaType = layerMediaType(await headOf(tar, file, lsize));
        // a plain tar's digest is its diff_id (checked as its bytes are read); a compressed one is hashed now
        const digest = mediaType === MediaType.OciLayer ? (diffIds[j] as string) : await hashOf(tar, file);
        layers.push({ mediaType, digest, size: lsize });
        mapped.set(blobPath(digest), file);
      }
      const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers }));
      const descriptor: Descriptor = { mediaType: MediaType.OciManifest, digest: sha256(manifest), size: manifest.length };
      made.set(blobPath(descriptor.digest), manifest);
      const names = (e.RepoTags ?? []).map((t) => fullName(where, t));
      images.push({ descriptor, names });
      if (names.length === 0) index.manifests.push(descriptor);
      for (const n of names) index.manifests.push({ ...descriptor, annotations: { [ANNOTATION_REF_NAME]: n, [ANNOTATION_CONTAINERD_NAME]: n } });
    }
    made.set(OCI_LAYOUT_FILE, Buffer.from(OCI_LAYOUT_CONTENT));
    made.set(INDEX_FILE, serializeLayoutIndex(index));
    return new DockerArchiveFiles(tar, made, mapped, images);
  }

  async size(name: string): Promise<number | undefined> {
    const m = this.made.get(name);
    if (m) return m.length;
    const file = this.mapped.get(name);
    return file === undefined ? undefined : this.tar.size(file);
  }
  async read(name: string, max: number): Promise<Buffer> {
    const m = this.made.get(name);
    if (m) {
      if (m.length > max) throw new TooLargeError(`${this.description}: ${name} is ${m.length} bytes, over the ${max}-byte limit`);
      return m;
    }
    const file = this.mapped.get(name);
    if (file === undefined) throw new NotFoundError(`${this.description}: ${name} is missing`);
    return this.tar.read(file, max);
  }
  async stream(name: string, range?: { start: number; end: number }, opts?: StreamOptions): Promise<Readable> {
    const m = this.made.get(name);
    if (m) return Readable.from([range ? m.subarray(range.start, range.end + 1) : m]);
    const file = this.mapped.get(name);
    if (file === undefined) throw new NotFoundError(`${this.description}: ${name} is missing`);
    return this.tar.stream(file, range, opts);
  }
  async changeStamp(): Promise<string | undefined> {
    return this.tar.changeStamp?.();
  }
  async replacedOnDisk(): Promise<boolean> {
    return (await this.tar.replacedOnDisk?.()) ?? false;
  }
  async list(): Promise<string[]> {
    return [...this.made.keys(), ...this.mapped.keys()].sort();
  }
  async close(): Promise<void> {
    await this.tar.close();
  }
}

/**
 * A tar given where a bundle is expected, opened as the layout it holds: an OCI archive (a bundle;
 * a link in it is refused) or a docker archive (manifest.json, no index.json; links followed inside it).
 */
export async function openBundleArchive(file: string): Promise<{ kind: 'oci-archive'; files: TarFiles | SourceTarFiles } | { kind: 'docker-archive'; files: DockerArchiveFiles }> {
  const refusal: { error?: BundleError } = {};
  const tar = await openArchiveFiles(file, { resolveLinks: true, refusal });
  try {
    if ((await tar.size(INDEX_FILE)) === undefined && (await tar.size(DOCKER_MANIFEST_FILE)) !== undefined) {
      return { kind: 'docker-archive', files: await DockerArchiveFiles.open(tar) };
    }
    if (refusal.error) throw refusal.error;
    return { kind: 'oci-archive', files: tar };
  } catch (err) {
    await tar.close();
    throw err;
  }
}
