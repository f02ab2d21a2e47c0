/** Manifest GET / HEAD / PUT with digest verification, size cap and schema 1 refusal. */
import { DigestMismatchError, RegistryError, TooLargeError, UnsupportedError } from '../errors.js';
import { digestOf, isDigestRef, parseDigest } from '../digest/index.js';
import { MANIFEST_MEDIA_TYPES, MAX_MANIFEST_BYTES, MediaType, type BasicDescriptor, type RawManifest } from '../oci/types.js';
import { manifestShape } from '../oci/media-type.js';
import { repoScope } from './challenge.js';
import type { Requester } from './request.js';
import { header } from './transport.js';
import type { Readable } from 'node:stream';

/** The OCI 1.0 artifact manifest (withdrawn from the spec, still served by some registries). */
export const OCI_ARTIFACT_MANIFEST = 'application/vnd.oci.artifact.manifest.v1+json';
export const MANIFEST_ACCEPT = [...MANIFEST_MEDIA_TYPES, OCI_ARTIFACT_MANIFEST].join(', ');

const SCHEMA1 = new Set<string>([MediaType.DockerSchema1, MediaType.DockerSchema1Signed]);

export interface ManifestOptions {
  signal?: AbortSignal;
  /** Ask for push,pull scope (destination use) so one token serves every call. */
  push?: boolean;
}

function scopes(repo: string, o: ManifestOptions) {
  return [o.push ? repoScope(repo, 'pull', 'push') : repoScope(repo, 'pull')];
}

function schema1Error(host: string, repo: string, ref: string): UnsupportedError {
  return new UnsupportedError(`${host}/${repo}${isDigestRef(ref) ? '@' : ':'}${ref} is a Docker schema 1 manifest, which airlift does not copy`, {
    hint: 'schema 1 is deprecated; push the image again with a current docker/buildkit/podman (schema 2 or OCI)',
  });
}

function baseMediaType(ct: string | undefined): string | undefined {
  const v = ct?.split(';')[0]?.trim();
  return v || undefined;
}

/** Reads a body of at most MAX_MANIFEST_BYTES; stops reading and throws past it. */
async function readManifestBody(body: Readable, what: string, declared: number | undefined): Promise<Buffer> {
  if (declared !== undefined && declared > MAX_MANIFEST_BYTES) {
    body.destroy();
    throw tooLarge(what, declared);
  }
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    const b = c as Buffer;
    n += b.length;
    if (n > MAX_MANIFEST_BYTES) {
      body.destroy();
      throw tooLarge(what, n);
    }
    chunks.push(b);
  }
  return ownBuffer(chunks, n);
}

/**
 * The chunks in one buffer of exactly `n` bytes with memory of its own. Buffer.concat takes
 * anything under 4 KiB (most manifests) from Node's shared 8 KiB pool, and a manifest kept for the
 * run (save's planning pass keeps every one it read) then holds a whole slab: 48 MiB of external
 * memory at the peak of a save of 10,000 images.
 */
function ownBuffer(chunks: Buffer[], n: number): Buffer {
  const out = Buffer.allocUnsafeSlow(n);
  let at = 0;
  for (const c of chunks) at += c.copy(out, at);
  return out;
}

function tooLarge(what: string, n: number): TooLargeError {
  return new TooLargeError(`${what} is larger than the ${MAX_MANIFEST_BYTES} byte manifest limit (${n} bytes or more)`, {
    hint: 'registries and container runtimes refuse manifests this large; check that the reference points at an image',
  });
}

/**
 * The media type of manifest bytes. The body's own `mediaType` is part of what the digest covers
 * and what a registry checks on push, so it wins over the Content-Type; a body that declares none
 * is an OCI manifest or index (Docker schema 2 always declares its type), told apart by its shape;
 * the Content-Type decides only for bodies that are neither (schema 1, unknown). `corrected` tells
 * that the Content-Type said something else.
 */
function sniffMediaType(bytes: Buffer, contentType: string | undefined): { mediaType: string; schemaVersion?: number; corrected?: string } {
  // Not a JSON object: the caller reports it through the media type check.
  const { declared: fromBody, shape, schemaVersion } = manifestShape(bytes) ?? {};
  const ct = baseMediaType(contentType);
  const known = ct && (MANIFEST_MEDIA_TYPES.includes(ct) || ct === OCI_ARTIFACT_MANIFEST || SCHEMA1.has(ct)) ? ct : undefined;
  const mediaType = fromBody ?? shape ?? known ?? ct ?? 'application/octet-stream';
  const corrected = known && known !== mediaType ? known : undefined;
  return { mediaType, ...(schemaVersion !== undefined ? { schemaVersion } : {}), ...(corrected ? { corrected } : {}) };
}

export async function getManifest(r: Requester, host: string, repo: string, ref: string, o: ManifestOptions = {}): Promise<RawManifest> {
  const what = `manifest ${host}/${repo}${isDigestRef(ref) ? '@' : ':'}${ref}`;
  if (isDigestRef(ref)) parseDigest(ref);
  const { res } = await r.request({
    method: 'GET',
    host,
    path: `/v2/${repo}/manifests/${ref}`,
    scopes: scopes(repo, o),
    headers: { accept: MANIFEST_ACCEPT },
    accept: [200],
    // registry.k8s.io answers manifests, not only blobs, with a 307 to another host; the body's
    // digest is checked below wherever it came from, and Authorization never leaves the registry.
    followRedirects: true,
    what,
    signal: o.signal,
    // read whole below: gathered, not streamed (one byte past the limit shows it is passed)
    gather: MAX_MANIFEST_BYTES + 1,
  });
  const type = baseMediaType(header(res, 'content-type'))?.toLowerCase();
  if (type === 'text/html' || type === 'application/xhtml+xml') {
    await res.body.dump().catch(() => undefined);
    throw new UnsupportedError(`${what}: not a manifest: ${host} answered HTTP ${res.statusCode} with an HTML page (media type "${type}")`, {
      hint: `a proxy or login page answered instead of the registry; check the registry address and what sits in front of ${host}`,
    });
  }
  const declared = header(res, 'content-length');
  const bytes = await readManifestBody(res.body, what, declared === undefined ? undefined : Number(declared));
  const { mediaType, schemaVersion, corrected } = sniffMediaType(bytes, header(res, 'content-type'));
  if (corrected) r.logger.log('warn', `${what} was served as ${corrected} but is ${mediaType} (its own mediaType field); it is copied as ${mediaType}`);
  if (SCHEMA1.has(mediaType) || schemaVersion === 1) throw schema1Error(host, repo, ref);
  if (!MANIFEST_MEDIA_TYPES.includes(mediaType) && mediaType !== OCI_ARTIFACT_MANIFEST) {
    throw new UnsupportedError(`${what} has media type ${JSON.stringify(mediaType)}, which airlift does not copy`, {
      hint: `supported: ${MANIFEST_MEDIA_TYPES.join(', ')}`,
    });
  }
  const headerDigest = header(res, 'docker-content-digest');
  let digest: string;
  if (isDigestRef(ref)) {
    const algorithm = parseDigest(ref).algorithm;
    digest = digestOf(algorithm, bytes);
    if (digest !== ref) throw new DigestMismatchError(what, ref, digest);
  } else {
    const algorithm = headerDigest && /^sha512:/.test(headerDigest) ? 'sha512' : 'sha256';
    digest = digestOf(algorithm, bytes);
    if (headerDigest && headerDigest !== digest) {
      throw new DigestMismatchError(`${what}: Docker-Content-Digest header`, headerDigest, digest);
    }
  }
  return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), mediaType, digest };
}

/** HEAD; undefined on 404. Falls back to GET when the registry omits the digest header. */
export async function headManifest(r: Requester, host: string, repo: string, ref: string, o: ManifestOptions = {}): Promise<BasicDescriptor | undefined> {
  const what = `manifest ${host}/${repo}${isDigestRef(ref) ? '@' : ':'}${ref}`;
  const { res } = await r.request({
    method: 'HEAD',
    host,
    path: `/v2/${repo}/manifests/${ref}`,
    scopes: scopes(repo, o),
    headers: { accept: MANIFEST_ACCEPT },
    accept: [200, 404],
    followRedirects: true,
    what,
    signal: o.signal,
  });
  await res.body.dump();
  if (res.statusCode === 404) return undefined;
  const mediaType = baseMediaType(header(res, 'content-type'));
  if (mediaType && SCHEMA1.has(mediaType)) throw schema1Error(host, repo, ref);
  const digest = header(res, 'docker-content-digest');
  const size = Number(header(res, 'content-length'));
  if (!digest || !mediaType || !Number.isFinite(size) || (isDigestRef(ref) && digest !== ref)) {
    const m = await getManifest(r, host, repo, ref, o);
    return { digest: m.digest, mediaType: m.mediaType, size: m.bytes.byteLength };
  }
  if (size > MAX_MANIFEST_BYTES) throw tooLarge(what, size);
  return { digest, mediaType, size };
}

/** PUT by tag or digest; returns the digest, checked against what the registry reports. */
export async function putManifest(
  r: Requester,
  host: string,
  repo: string,
  ref: string,
  m: RawManifest,
  o: { signal?: AbortSignal; answered?: { ociSubject?: string } } = {},
): Promise<string> {
  const what = `manifest ${host}/${repo}${isDigestRef(ref) ? '@' : ':'}${ref}`;
  if (m.bytes.byteLength > MAX_MANIFEST_BYTES) throw tooLarge(what, m.bytes.byteLength);
  const actual = digestOf(parseDigest(m.digest).algorithm, m.bytes);
  if (actual !== m.digest) throw new DigestMismatchError(what, m.digest, actual);
  if (isDigestRef(ref) && ref !== m.digest) throw new DigestMismatchError(what, ref, m.digest);
  // A write refused for a moment (MANIFEST_BLOB_UNKNOWN while another writer pushes the same
  // blobs) is retried by the request layer with its own pauses (src/registry/retry.ts).
  const { res } = await r.request({
    method: 'PUT',
    host,
    path: `/v2/${repo}/manifests/${ref}`,
    scopes: [repoScope(repo, 'pull', 'push')],
    headers: { 'content-type': m.mediaType },
    body: Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength),
    accept: [200, 201, 202],
    what,
    signal: o.signal,
  });
  await res.body.dump();
  // a registry with the referrers API says so for a manifest with a subject (OCI-Subject header)
  const ociSubject = header(res, 'oci-subject');
  if (o.answered && ociSubject) o.answered.ociSubject = ociSubject;
  const reported = header(res, 'docker-content-digest');
  if (reported && reported !== m.digest) {
    throw new RegistryError({ status: res.statusCode, method: 'PUT', url: `/v2/${repo}/manifests/${ref}`, message: `${host} stored ${what} as ${reported}, not ${m.digest}` });
  }
  return m.digest;
}
