/**
 * The Docker archive `manifest.json` a bundle carries beside its OCI layout, so that
 * `docker load -i bundle.tar` and `podman load -i bundle.tar` accept it as they accept what
 * `docker save` writes (containerd's `ctr images import` reads index.json and needs none of it).
 * Pure: built from index.json and the manifests, checked against them.
 *
 * One entry per image manifest that docker can load:
 * - an index entry naming an image manifest gives that manifest; one naming an index gives the
 *   child of its default platform: linux/amd64 when the index has it, else its first platform
 *   (attestations and unknown/unknown entries left out). A bundle saved with `--platform` holds
 *   the narrowed index, so the chosen platform is what it picks.
 * - `Config` and `Layers` are the blobs of the layout (`blobs/sha256/<hex>`): nothing is stored
 *   twice. Docker 20.10 decompresses plain and gzip layers, not zstd (its `docker load` fails
 *   with "archive/tar: invalid tar header"), and stops at the first image it cannot load: an image
 *   with a zstd layer is left out, named in `leftOut` (save warns; `ctr images import` and
 *   `podman load` of a one-image bundle read index.json and load it).
 * - `RepoTags` are the full references the images were saved under (`REGISTRY/REPO:TAG`); an image
 *   saved by digest only (`REPO@sha256:HEX`) gets the tag `sha256-HEX` (`REPO:sha256-HEX`), the
 *   form cosign and oras use for a digest as a tag. An unnamed entry gets none (loaded untagged).
 *   Two names for one manifest share one entry.
 * - Left out, silently: artifacts (Helm charts, signatures, SBOMs: a config that is not an image
 *   config, or a layer that is not a tar); in `leftOut`: images whose layers the bundle does not
 *   carry (foreign layers) and zstd images.
 * A bundle with no loadable image gets no manifest.json: `docker load` then fails instead of
 * loading nothing and exiting 0.
 */
import { isDigestRef, parseDigest } from '../digest/index.js';
import { isAttestation } from '../oci/platform.js';
import { parseManifest } from '../oci/manifest.js';
import { MediaType, type Descriptor, type RawManifest } from '../oci/types.js';
import { namedEntries, splitRefName, type LayoutIndex } from './index-json.js';
import { blobPath } from './paths.js';

export interface DockerArchiveEntry {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

/** Reads a manifest of the layout by descriptor; undefined when the layout does not hold it. */
export type ManifestLookup = (d: Descriptor) => Promise<RawManifest | undefined> | RawManifest | undefined;
/** Whether the layout holds a blob with this digest and size. */
export type BlobLookup = (d: Descriptor) => Promise<boolean> | boolean;

const IMAGE_CONFIGS: ReadonlySet<string> = new Set([MediaType.OciConfig, MediaType.DockerConfig]);
const TAR_LAYER = /^application\/vnd\.(oci\.image\.layer(\.nondistributable)?\.v1\.tar(\+gzip|\+zstd)?|docker\.image\.rootfs\.(foreign\.)?diff\.tar(\.gzip)?)$/;
const ZSTD_LAYER = /\+zstd$/;

/** What dockerManifest gives: the entries, and the images left out that docker users may miss. */
export interface DockerManifest {
  entries: DockerArchiveEntry[];
  /** `NAME: why` for each image left out (zstd layers, layers not in the bundle). */
  leftOut: string[];
}

/** docker's `name:tag` for a layout ref name; undefined for a plain tag or no name. */
export function dockerRepoTag(refName: string | undefined): string | undefined {
  if (refName === undefined) return undefined;
  const { repo, reference } = splitRefName(refName);
  if (repo === '') return undefined;
  if (!isDigestRef(reference)) return `${repo}:${reference}`;
  const { algorithm, hex } = parseDigest(reference);
  return `${repo}:${algorithm}-${hex}`;
}

/** The child an index's default platform picks: linux/amd64, else its first platform. */
export function defaultChild(children: readonly Descriptor[]): Descriptor | undefined {
  const images = children.filter((c) => !isAttestation(c) && !(c.platform?.os === 'unknown' && c.platform.architecture === 'unknown'));
  return images.find((c) => c.platform?.os === 'linux' && c.platform.architecture === 'amd64') ?? images[0];
}

type Loadable = { digest: string; config: Descriptor; layers: Descriptor[] } | { why?: string };

/** The image manifest docker would load for an index entry, or why not (nothing: an artifact). */
async function loadable(top: Descriptor, read: ManifestLookup, has: BlobLookup): Promise<Loadable> {
  let d: Descriptor | undefined = top;
  for (let depth = 0; d && depth < 2; depth++) {
    const raw = await read(d);
    if (!raw) return { why: `manifest ${d.digest} is not in the bundle` };
    const m = parseManifest(`manifest ${d.digest}`, raw);
    if (m.kind === 'index') {
      d = defaultChild(m.children);
      continue;
    }
    if (!IMAGE_CONFIGS.has(m.config.mediaType) || !m.layers.every((l) => TAR_LAYER.test(l.mediaType))) return {};
    if (m.layers.some((l) => ZSTD_LAYER.test(l.mediaType))) return { why: 'its layers are zstd-compressed, which docker 20.10 cannot load' };
    for (const b of [m.config, ...m.layers]) if (!(await has(b))) return { why: `blob ${b.digest} is not in the bundle (a foreign layer)` };
    return { digest: d.digest, config: m.config, layers: m.layers };
  }
  return {};
}

/** The entries of manifest.json for a layout's index, sorted by their first tag, then config. */
export async function dockerManifest(index: LayoutIndex, read: ManifestLookup, has: BlobLookup): Promise<DockerManifest> {
  const byManifest = new Map<string, DockerArchiveEntry>();
  const leftOut: string[] = [];
  for (const e of namedEntries(index)) {
    const image = await loadable(e.descriptor, read, has);
    if (!('digest' in image)) {
      if (image.why) leftOut.push(`${e.refName ?? e.containerdName ?? e.descriptor.digest}: ${image.why}`);
      continue;
    }
    const entry = byManifest.get(image.digest) ?? { Config: blobPath(image.config.digest), RepoTags: [], Layers: image.layers.map((l) => blobPath(l.digest)) };
    byManifest.set(image.digest, entry);
    const tag = dockerRepoTag(e.refName ?? e.containerdName);
    if (tag !== undefined && !entry.RepoTags.includes(tag)) entry.RepoTags.push(tag);
  }
  const entries = [...byManifest.values()];
  for (const e of entries) e.RepoTags.sort();
  const key = (e: DockerArchiveEntry): string => `${e.RepoTags[0] ?? '\uffff'}\0${e.Config}`;
  return { entries: entries.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)), leftOut };
}

/** manifest.json's bytes: compact JSON as docker save writes it, and a trailing newline. */
export function serializeDockerManifest(entries: readonly DockerArchiveEntry[]): Buffer {
  return Buffer.from(dockerManifestText(entries), 'utf8');
}

/** serializeDockerManifest's text. */
export function dockerManifestText(entries: readonly DockerArchiveEntry[]): string {
  return JSON.stringify(entries) + '\n';
}

/** An entry of a manifest.json as read: RepoTags is null for an untagged image (docker writes null, others leave it out). */
export interface DockerManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

/** The entries of a manifest.json's bytes (RepoTags null where absent), or what is wrong with it. */
export function parseDockerManifest(bytes: Uint8Array): { entries: DockerManifestEntry[] } | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return { problem: 'manifest.json is not valid JSON' };
  }
  const valid = (o: unknown): o is DockerManifestEntry => {
    const e = o as Partial<DockerManifestEntry> | null;
    return (
      typeof e === 'object' &&
      e !== null &&
      typeof e.Config === 'string' &&
      Array.isArray(e.Layers) &&
      e.Layers.every((l) => typeof l === 'string') &&
      (e.RepoTags === null || e.RepoTags === undefined || (Array.isArray(e.RepoTags) && e.RepoTags.every((t) => typeof t === 'string')))
    );
  };
  if (!Array.isArray(parsed) || !parsed.every(valid)) return { problem: 'manifest.json is not a list of {Config, RepoTags, Layers} entries' };
  return { entries: parsed.map((e) => ({ ...e, RepoTags: e.RepoTags ?? null })) };
}

/** Problems of a manifest.json read from a bundle against what its layout gives; empty when it matches. */
export async function checkDockerManifest(bytes: Uint8Array, index: LayoutIndex, read: ManifestLookup, has: BlobLookup): Promise<string[]> {
  const parsed = parseDockerManifest(bytes);
  if ('problem' in parsed) return [parsed.problem];
  const actual = parsed.entries;
  const expected = (await dockerManifest(index, read, has)).entries;
  const problems: string[] = [];
  const same = (a: DockerManifestEntry, b: DockerManifestEntry): boolean => a.Config === b.Config && a.Layers.join('\n') === b.Layers.join('\n');
  for (const want of expected) {
    const got = actual.find((a) => same(a, want));
    const name = want.RepoTags[0] ?? want.Config;
    if (!got) problems.push(`manifest.json has no entry for ${name} (config ${want.Config}, ${want.Layers.length} layers)`);
    else if ([...(got.RepoTags ?? [])].sort().join(' ') !== want.RepoTags.join(' ')) {
      problems.push(`manifest.json names ${name} as ${JSON.stringify(got.RepoTags ?? [])}, index.json as ${JSON.stringify(want.RepoTags)}`);
    }
  }
  for (const got of actual) {
    if (!expected.some((w) => same(w, got))) problems.push(`manifest.json lists config ${got.Config} with layers the layout's images do not have (${got.Layers.join(', ') || 'none'})`);
  }
  return problems;
}
