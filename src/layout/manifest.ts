/** The little manifest knowledge a layout needs: media type sniffing and child descriptors. Pure. */
import { BundleError } from '../errors.js';
import { MediaType, isIndexMediaType, type Descriptor } from '../oci/types.js';

function parseJson(where: string, bytes: Uint8Array): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new BundleError(`${where} is not valid JSON`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BundleError(`${where} is not a JSON object`);
  return v as Record<string, unknown>;
}

/** The media type a manifest's own `mediaType` field declares (undefined: none, or not JSON). */
export function declaredMediaType(bytes: Uint8Array): string | undefined {
  try {
    const o = JSON.parse(Buffer.from(bytes).toString('utf8')) as { mediaType?: unknown };
    return typeof o === 'object' && o !== null && typeof o.mediaType === 'string' && o.mediaType !== '' ? o.mediaType : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why a descriptor's media type cannot be the manifest's, or undefined when it can: the manifest
 * declares another one, or declares none (an OCI manifest) while the descriptor says Docker, whose
 * manifests always declare theirs. A registry refuses a manifest pushed as another type.
 */
export function mediaTypeConflict(descriptorType: string, bytes: Uint8Array): string | undefined {
  const declared = declaredMediaType(bytes);
  if (declared === descriptorType) return undefined;
  if (declared === undefined && !descriptorType.startsWith('application/vnd.docker.')) return undefined;
  return `its descriptor says ${descriptorType}, the manifest itself ${declared ? `says ${declared}` : 'declares no media type (an OCI manifest)'}`;
}

/** The media type a manifest declares, or the one its shape implies (OCI manifests may omit it). */
export function sniffManifestMediaType(where: string, bytes: Uint8Array): string {
  const o = parseJson(where, bytes);
  if (typeof o.mediaType === 'string' && o.mediaType !== '') return o.mediaType;
  if (Array.isArray(o.manifests)) return MediaType.OciIndex;
  if (typeof o.config === 'object' && o.config !== null) return MediaType.OciManifest;
  if (o.schemaVersion === 1) return MediaType.DockerSchema1;
  throw new BundleError(`${where} is not an image manifest or index`);
}

function descriptors(v: unknown): Descriptor[] {
  if (!Array.isArray(v)) return [];
  return v.filter(
    (d): d is Descriptor =>
      typeof d === 'object' && d !== null && typeof (d as Descriptor).digest === 'string' && typeof (d as Descriptor).size === 'number',
  );
}

/**
 * What a manifest points to: for an index its child manifests; for an image
 * manifest its config and layers. `subject` is not followed (it may live elsewhere).
 */
export function manifestChildren(where: string, mediaType: string, bytes: Uint8Array): { manifests: Descriptor[]; blobs: Descriptor[] } {
  const o = parseJson(where, bytes);
  if (isIndexMediaType(mediaType) || (Array.isArray(o.manifests) && o.config === undefined)) {
    return { manifests: descriptors(o.manifests), blobs: [] };
  }
  const blobs = descriptors(o.layers);
  if (typeof o.config === 'object' && o.config !== null) blobs.unshift(...descriptors([o.config]));
  return { manifests: [], blobs };
}
