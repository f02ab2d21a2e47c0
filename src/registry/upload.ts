/**
 * Blob uploads: POST + one PUT with the whole body (monolithic, the fewest
 * requests), chunked PATCH for large blobs, and cross-repository mount.
 *
 * Our side verifies too: the body flows through VerifyingStream and then a
 * stream that holds back the last chunk until the digest and size have been
 * checked, so a body that does not match its descriptor is never sent in
 * full and the final PUT never completes.
 */
import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import { VerifyingStream, verifiesOnWrite, verifyBytes } from '../digest/index.js';
import { AirliftError, RegistryError } from '../errors.js';
import type { Descriptor } from '../oci/types.js';
import { repoScope } from './challenge.js';
import type { Requester } from './request.js';
import { header } from './transport.js';
import { resolveOn, withQueryParam } from './url.js';

export interface UploadSession {
  host: string;
  repo: string;
  /** Absolute URL to continue the upload at. */
  location: string;
}

export type MountResult = { mounted: true } | { mounted: false; session: UploadSession };

export interface UploadOptions {
  signal?: AbortSignal;
  /** An upload session already opened (a declined mount); used instead of a new POST. */
  session?: UploadSession;
  /** Force chunked upload (PATCH per chunk). Default: only above chunkedThreshold. */
  chunked?: boolean;
  /** Blobs larger than this go up in chunks (default: never; monolithic is fastest). */
  chunkedThreshold?: number;
  /** Chunk size for chunked uploads (default 16 MiB). */
  chunkSize?: number;
  /** A body in memory that the caller has verified against the descriptor: not hashed again. */
  verified?: boolean;
}

export const DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;

/** Passes chunks on one step late; the last one leaves only when upstream ended cleanly. */
export class HoldLast extends Transform {
  private held: Buffer | undefined;
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    const prev = this.held;
    this.held = chunk;
    cb(null, prev);
  }
  override _flush(cb: TransformCallback): void {
    if (this.held) this.push(this.held);
    this.held = undefined;
    cb();
  }
}

function pushScopes(repo: string) {
  return [repoScope(repo, 'pull', 'push')];
}

function sessionFrom(host: string, repo: string, base: string, location: string | undefined, what: string, status: number): UploadSession {
  if (!location) throw new RegistryError({ status, method: 'POST', url: base, message: `${host} opened ${what} without a Location header` });
  return { host, repo, location: resolveOn(base, location) };
}

export async function startUpload(r: Requester, host: string, repo: string, o: { signal?: AbortSignal } = {}): Promise<UploadSession> {
  const what = `an upload to ${host}/${repo}`;
  const { res, url } = await r.request({
    method: 'POST',
    host,
    path: `/v2/${repo}/blobs/uploads/`,
    scopes: pushScopes(repo),
    headers: { 'content-length': '0' },
    accept: [202],
    what,
    signal: o.signal,
  });
  await res.body.dump();
  return sessionFrom(host, repo, url, header(res, 'location'), what, res.statusCode);
}

/** POST ?mount=&from=: 201 means mounted; 202 means declined, with a session to upload into. */
export async function mountBlob(r: Requester, host: string, repo: string, digest: string, fromRepo: string, o: { signal?: AbortSignal } = {}): Promise<MountResult> {
  const what = `mount of ${digest} from ${host}/${fromRepo} into ${host}/${repo}`;
  const q = new URLSearchParams({ mount: digest, from: fromRepo });
  const { res, url } = await r.request({
    method: 'POST',
    host,
    path: `/v2/${repo}/blobs/uploads/?${q.toString()}`,
    scopes: [repoScope(repo, 'pull', 'push'), repoScope(fromRepo, 'pull')],
    headers: { 'content-length': '0' },
    accept: [201, 202],
    what,
    signal: o.signal,
  });
  await res.body.dump();
  if (res.statusCode === 201) return { mounted: true };
  return { mounted: false, session: sessionFrom(host, repo, url, header(res, 'location'), what, res.statusCode) };
}

/** Abandons an upload session (best effort). */
export async function cancelUpload(r: Requester, s: UploadSession): Promise<void> {
  try {
    const { res } = await r.request({
      method: 'DELETE',
      host: s.host,
      path: s.location,
      scopes: pushScopes(s.repo),
      accept: [200, 202, 204, 404],
      what: `cancel upload to ${s.host}/${s.repo}`,
    });
    await res.body.dump();
  } catch {
    // the registry purges abandoned uploads itself
  }
}

function withDigest(location: string, digest: string): string {
  return withQueryParam(location, 'digest', digest);
}

/**
 * Uploads `body` as the blob `desc` into `repo`. Nothing is committed when the bytes are wrong.
 * Bytes in memory (a small blob) are checked before the upload starts (unless the caller says it
 * has: `verified`) and go up as one monolithic PUT whose body the request layer can send again.
 */
export async function uploadBlob(r: Requester, host: string, repo: string, desc: Descriptor, body: Readable | Buffer, o: UploadOptions = {}): Promise<void> {
  const what = `blob ${host}/${repo}@${desc.digest}`;
  if (Buffer.isBuffer(body)) {
    const chunked = o.chunked || (o.chunkedThreshold !== undefined && desc.size > o.chunkedThreshold);
    if (chunked) return uploadBlob(r, host, repo, desc, Readable.from([body]), o);
    if (!o.verified) verifyBytes(what, body, desc.digest, desc.size);
    let session: UploadSession | undefined = o.session;
    try {
      session ??= await startUpload(r, host, repo, o);
      await monolithicPut(r, session, desc, body, o, what);
    } catch (err) {
      if (session) await cancelUpload(r, session);
      throw err;
    }
    return;
  }
  // A body that declares it verifies this digest and size (the copy engine's MeteredStream) already
  // fails instead of ending on wrong bytes: it is not hashed a second time. HoldLast still keeps
  // the last chunk until that verdict, unless the body declares it holds it back itself (the
  // engine's PumpedBody): then it goes up as it is.
  const own = verifiesOnWrite(body, desc) ? undefined : new VerifyingStream(what, desc.digest, desc.size);
  const verifier: Readable = own ?? body;
  let bodyError: unknown;
  const onDone = (err: Error | null | undefined): void => {
    if (err) bodyError = err;
  };
  const holdsLast = !own && (body as { holdsLast?: unknown }).holdsLast === true;
  const verified = (holdsLast ? body : own ? pipeline(body, own, new HoldLast(), onDone) : pipeline(body, new HoldLast(), onDone)) as unknown as Readable;
  let session: UploadSession | undefined = o.session;
  try {
    session ??= await startUpload(r, host, repo, o);
    const chunked = o.chunked || (o.chunkedThreshold !== undefined && desc.size > o.chunkedThreshold);
    if (chunked) await chunkedUpload(r, session, desc, verified, o, what);
    else await monolithicPut(r, session, desc, verified, o, what);
    session = undefined;
  } catch (err) {
    verified.destroy();
    body.destroy();
    if (session) await cancelUpload(r, session);
    // The verifier's verdict explains the failure better than the aborted request.
    if (bodyError instanceof AirliftError) throw bodyError;
    if (verifier.errored instanceof AirliftError) throw verifier.errored;
    throw err;
  }
}

async function monolithicPut(r: Requester, s: UploadSession, desc: Descriptor, verified: Readable | Buffer, o: UploadOptions, what: string): Promise<void> {
  const { res } = await r.request({
    method: 'PUT',
    host: s.host,
    path: withDigest(s.location, desc.digest),
    scopes: pushScopes(s.repo),
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
    body: verified,
    accept: [201, 204],
    what,
    signal: o.signal,
  });
  await res.body.dump();
}

async function* chunksOf(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    let b = c as Buffer;
    while (b.length > 0) {
      const take = Math.min(size - n, b.length);
      parts.push(b.subarray(0, take));
      n += take;
      b = b.subarray(take);
      if (n === size) {
        yield Buffer.concat(parts);
        parts = [];
        n = 0;
      }
    }
  }
  if (n > 0) yield Buffer.concat(parts);
}

async function chunkedUpload(r: Requester, s: UploadSession, desc: Descriptor, verified: Readable, o: UploadOptions, what: string): Promise<void> {
  let location = s.location;
  let offset = 0;
  for await (const chunk of chunksOf(verified, o.chunkSize ?? DEFAULT_CHUNK_SIZE)) {
    const { res, url } = await r.request({
      method: 'PATCH',
      host: s.host,
      path: location,
      scopes: pushScopes(s.repo),
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(chunk.length),
        'content-range': `${offset}-${offset + chunk.length - 1}`,
      },
      body: chunk,
      accept: [202],
      what: `${what} (chunk at ${offset})`,
      signal: o.signal,
    });
    await res.body.dump();
    offset += chunk.length;
    location = new URL(header(res, 'location') ?? location, url).toString();
    s.location = location;
  }
  // Only reached when the verifier ended cleanly: the stream errors otherwise.
  const { res } = await r.request({
    method: 'PUT',
    host: s.host,
    path: withDigest(location, desc.digest),
    scopes: pushScopes(s.repo),
    headers: { 'content-length': '0' },
    accept: [201, 204],
    what,
    signal: o.signal,
  });
  await res.body.dump();
}
