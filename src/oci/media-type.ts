/**
 * The one place manifest bytes are read for their media type: what a manifest declares, or the
 * type its shape implies (OCI manifests and indexes may omit `mediaType`; Docker schema 2 always
 * declares its own). Pure.
 */
import { BundleError } from '../errors.js';
import { MediaType } from './types.js';

/** What manifest bytes say about their type; undefined when they are not a JSON object. */
export interface ManifestShape {
  /** The manifest's own non-empty `mediaType` field. */
  declared?: string;
  /** OciIndex for a `manifests` list, OciManifest for a `config`; never for schema 1. */
  shape?: string;
  schemaVersion?: number;
}

export function manifestShape(bytes: Uint8Array): ManifestShape | undefined {
  let o: unknown;
  try {
    o = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return undefined;
  const m = o as { mediaType?: unknown; schemaVersion?: unknown; manifests?: unknown; config?: unknown };
  const out: ManifestShape = {};
  if (typeof m.mediaType === 'string' && m.mediaType !== '') out.declared = m.mediaType;
  if (typeof m.schemaVersion === 'number') out.schemaVersion = m.schemaVersion;
  if (m.schemaVersion !== 1) {
    if (Array.isArray(m.manifests)) out.shape = MediaType.OciIndex;
    else if (typeof m.config === 'object' && m.config !== null) out.shape = MediaType.OciManifest;
  }
  return out;
}

/** The media type a manifest's own `mediaType` field declares (undefined: none, or not JSON). */
export function declaredMediaType(bytes: Uint8Array): string | undefined {
  return manifestShape(bytes)?.declared;
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

/** The media type a manifest in a layout declares, or the one its shape implies; `where` names it in errors. */
export function sniffManifestMediaType(where: string, bytes: Uint8Array): string {
  const s = manifestShape(bytes);
  if (!s) {
    let json = true;
    try {
      JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch {
      json = false;
    }
    throw new BundleError(json ? `${where} is not a JSON object` : `${where} is not valid JSON`);
  }
  const type = s.declared ?? s.shape ?? (s.schemaVersion === 1 ? MediaType.DockerSchema1 : undefined);
  if (type === undefined) throw new BundleError(`${where} is not an image manifest or index`);
  return type;
}
