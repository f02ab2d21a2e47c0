/**
 * The shapes of what travels with an image (pure): OCI 1.1 referrers (a manifest whose `subject`
 * names the image) and their `sha256-<hex>` fallback index, and cosign's tag conventions
 * (`sha256-<hex>.sig`, `.att`, `.sbom`). No I/O: discovery is in src/referrers/, the registry
 * side in src/registry/referrers.ts.
 */
import { parseDigest } from '../digest/index.js';
import { MediaType, type BasicDescriptor, type Descriptor, type ImageIndex, type RawManifest } from './types.js';

/** The OCI 1.0 artifact manifest (withdrawn from the spec; older oras pushed it): `blobs`, no config. */
export const OCI_ARTIFACT_MANIFEST = 'application/vnd.oci.artifact.manifest.v1+json';

/**
 * An attachment as it stands at a destination (a copy's result, a lock's entry): a cosign tag
 * (`tag`) or an OCI referrer (by digest), and the digest it is attached to.
 */
export interface AttachmentRecord extends BasicDescriptor {
  /** The digest it is attached to (the image, one of its platforms, or another attachment). */
  subject: string;
  artifactType?: string;
  /** The cosign tag it is stored under (`sha256-<hex>.sig`); absent for referrers (by digest). */
  tag?: string;
}

/** The record of the attachment `m` of `subject`, with `artifactType` and `tag` only where they are set. */
export function attachmentRecord(subject: string, m: BasicDescriptor, a: { artifactType?: string | undefined; tag?: string | undefined }): AttachmentRecord {
  return {
    subject,
    digest: m.digest,
    mediaType: m.mediaType,
    size: m.size,
    ...(a.artifactType ? { artifactType: a.artifactType } : {}),
    ...(a.tag ? { tag: a.tag } : {}),
  };
}

/** The tag the OCI 1.1 fallback schema uses for the referrers of `digest`: "sha256-<hex>". */
export function fallbackTag(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm}-${hex}`.slice(0, 128);
}

/** cosign's tag suffixes, and the artifact type airlift gives each for --referrers-type. */
export const COSIGN_SUFFIXES = {
  sig: 'application/vnd.dev.cosign.artifact.sig.v1+json',
  att: 'application/vnd.dev.cosign.artifact.att.v1+json',
  sbom: 'application/vnd.dev.cosign.artifact.sbom.v1+json',
} as const;
export type CosignSuffix = keyof typeof COSIGN_SUFFIXES;

/** The cosign tags of `digest` ("sha256-<hex>.sig" …). */
export function cosignTags(digest: string): Array<{ tag: string; suffix: CosignSuffix; artifactType: string }> {
  const base = fallbackTag(digest);
  return (Object.keys(COSIGN_SUFFIXES) as CosignSuffix[]).map((suffix) => ({ tag: `${base}.${suffix}`, suffix, artifactType: COSIGN_SUFFIXES[suffix] }));
}

/** The digest a cosign or fallback tag is about ("sha256-<hex>[.sig]" → "sha256:<hex>"), or undefined. */
export function digestOfAttachmentTag(tag: string): string | undefined {
  const m = /^(sha256|sha512)-([0-9a-f]{64}|[0-9a-f]{128})(?:\.(sig|att|sbom))?$/.exec(tag);
  return m ? `${m[1]}:${m[2]}` : undefined;
}

/**
 * Whether an attachment of `artifactType` is kept under --referrers-type (none given: all). A type
 * given as a cosign suffix (`sig`, `att`, `sbom`) names that cosign type.
 */
export function typeWanted(artifactType: string | undefined, types: readonly string[] | undefined): boolean {
  if (!types || types.length === 0) return true;
  if (!artifactType) return false;
  return types.some((t) => t === artifactType || (t in COSIGN_SUFFIXES && COSIGN_SUFFIXES[t as CosignSuffix] === artifactType));
}

function json(raw: RawManifest): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(Buffer.from(raw.bytes).toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The `subject` a manifest names, when it names one. */
export function subjectOf(raw: RawManifest): Descriptor | undefined {
  const s = json(raw)?.subject as Descriptor | undefined;
  return s && typeof s === 'object' && typeof s.digest === 'string' ? s : undefined;
}

/**
 * The descriptor a referrers list gives for a manifest: its media type, digest and size, its
 * `artifactType` (the manifest's own, else its config's media type unless that is the empty
 * config) and its annotations (image-spec / distribution-spec: "Listing Referrers").
 */
export function referrerDescriptor(raw: RawManifest): Descriptor {
  const o = json(raw) ?? {};
  const config = o.config as { mediaType?: unknown } | undefined;
  const artifactType =
    typeof o.artifactType === 'string' ? o.artifactType : typeof config?.mediaType === 'string' && config.mediaType !== MediaType.OciEmpty ? config.mediaType : undefined;
  const annotations = o.annotations && typeof o.annotations === 'object' && !Array.isArray(o.annotations) ? (o.annotations as Record<string, string>) : undefined;
  return {
    mediaType: raw.mediaType,
    digest: raw.digest,
    size: raw.bytes.byteLength,
    ...(artifactType ? { artifactType } : {}),
    ...(annotations && Object.keys(annotations).length ? { annotations } : {}),
  };
}

/** Reads a fallback index's bytes; an unreadable one counts as empty (the caller rewrites it). */
export function parseReferrersIndex(bytes: Uint8Array | undefined): ImageIndex {
  const empty: ImageIndex = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
  if (!bytes) return empty;
  try {
    const v = JSON.parse(Buffer.from(bytes).toString('utf8')) as ImageIndex;
    return Array.isArray(v?.manifests) ? v : empty;
  } catch {
    return empty;
  }
}

/**
 * The fallback index with `add` merged in: every entry already there is kept as it is (byte for
 * byte in its fields and order), entries whose digest is not yet listed are appended. `bytes` is
 * undefined when nothing needed adding.
 */
export function mergeReferrersIndex(existing: Uint8Array | undefined, add: readonly Descriptor[]): { bytes?: Uint8Array; index: ImageIndex } {
  const index = parseReferrersIndex(existing);
  const have = new Set(index.manifests.map((d) => d.digest));
  const missing = add.filter((d) => !have.has(d.digest) && (have.add(d.digest), true));
  if (missing.length === 0 && existing) return { index };
  const merged: ImageIndex = { ...index, schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [...index.manifests, ...missing] };
  return { bytes: new TextEncoder().encode(JSON.stringify(merged)), index: merged };
}

/** The referrers API answer (an image index of descriptors) for `descriptors`, with `artifactType` applied. */
export function referrersResponse(descriptors: readonly Descriptor[], artifactType?: string): Uint8Array {
  const manifests = artifactType ? descriptors.filter((d) => d.artifactType === artifactType) : [...descriptors];
  const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests };
  return new TextEncoder().encode(JSON.stringify(index));
}
