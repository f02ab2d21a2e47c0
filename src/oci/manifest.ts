/**
 * What the walk needs from a manifest: its children (index) or its config and
 * layers (image). Pure; the manifest bytes are never re-serialised.
 */
import { parseDigest } from '../digest/index.js';
import { AirliftError, BundleError, TooLargeError, UnsupportedError } from '../errors.js';
import {
  MAX_MANIFEST_BYTES,
  MediaType,
  isIndexMediaType,
  type Descriptor,
  type RawManifest,
} from '../oci/types.js';

export type ParsedManifest =
  | { kind: 'index'; mediaType: string; json: Record<string, unknown>; children: Descriptor[] }
  | { kind: 'image'; mediaType: string; json: Record<string, unknown>; config: Descriptor; layers: Descriptor[] };

function bad(what: string, problem: string): BundleError {
  return new BundleError(`${what}: ${problem}`, { hint: 'the source holds a malformed manifest; check the image at its source' });
}

function descriptor(what: string, v: unknown, field: string): Descriptor {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(what, `${field} is not a descriptor object`);
  const o = v as Record<string, unknown>;
  if (typeof o.mediaType !== 'string' || o.mediaType === '') throw bad(what, `${field} has no mediaType`);
  if (typeof o.digest !== 'string') throw bad(what, `${field} has no digest`);
  if (typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) throw bad(what, `${field} has an invalid size`);
  try {
    parseDigest(o.digest);
  } catch (e) {
    if (e instanceof UnsupportedError) throw new UnsupportedError(`${what}: ${field}: ${e.message}`);
    throw bad(what, `${field}: ${e instanceof AirliftError ? e.message : String(e)}`);
  }
  return o as unknown as Descriptor;
}

/** Parses a manifest for the walk; `what` names it in errors ("manifest sha256:… of docker.io/x:1"). */
export function parseManifest(what: string, raw: RawManifest): ParsedManifest {
  if (raw.bytes.byteLength > MAX_MANIFEST_BYTES) {
    throw new TooLargeError(`${what} is ${raw.bytes.byteLength} bytes, over the ${MAX_MANIFEST_BYTES}-byte manifest limit`);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(raw.bytes).toString('utf8'));
  } catch {
    throw bad(what, 'not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad(what, 'not a JSON object');
  const o = json as Record<string, unknown>;
  if (o.schemaVersion === 1 || raw.mediaType === MediaType.DockerSchema1 || raw.mediaType === MediaType.DockerSchema1Signed) {
    throw new UnsupportedError(`${what} is a Docker schema 1 manifest, which airlift does not copy`, {
      hint: 'push the image again with a current Docker or buildah (schema 2 / OCI)',
    });
  }
  const declared = typeof o.mediaType === 'string' && o.mediaType !== '' ? o.mediaType : undefined;
  const mediaType = declared ?? raw.mediaType;
  if (Array.isArray(o.manifests) || isIndexMediaType(mediaType)) {
    if (!Array.isArray(o.manifests)) throw bad(what, 'an index without a "manifests" list');
    const children = o.manifests.map((c, i) => descriptor(what, c, `manifests[${i}]`));
    return { kind: 'index', mediaType: isIndexMediaType(mediaType) ? mediaType : MediaType.OciIndex, json: o, children };
  }
  if (o.config === undefined) throw bad(what, 'neither an image manifest (config) nor an index (manifests)');
  const config = descriptor(what, o.config, 'config');
  if (o.layers !== undefined && !Array.isArray(o.layers)) throw bad(what, '"layers" is not a list');
  const layers = ((o.layers as unknown[] | undefined) ?? []).map((l, i) => descriptor(what, l, `layers[${i}]`));
  return { kind: 'image', mediaType, json: o, config, layers };
}

/** Layers that must not be copied: Docker foreign layers and descriptors that point elsewhere (urls). */
export function isForeignLayer(d: Descriptor): boolean {
  return (
    d.mediaType === MediaType.DockerForeignLayer ||
    d.mediaType.includes('.nondistributable.') ||
    (Array.isArray(d.urls) && d.urls.length > 0)
  );
}

/** Image config media types worth reading for the platform (small JSON). */
export function isImageConfig(d: Descriptor): boolean {
  return d.mediaType === MediaType.OciConfig || d.mediaType === MediaType.DockerConfig;
}
