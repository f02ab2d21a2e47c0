/**
 * Blob HEAD and streaming GET. The GET follows redirects (object storage)
 * without Authorization off the registry's origin, and resumes with Range
 * after a dropped connection. Verification: getBlobVerified, or the caller
 * pipes through VerifyingStream.
 */
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { VerifyingStream } from '../digest/index.js';
import { AirliftError, BlobContentError, NetworkError } from '../errors.js';
import type { Descriptor } from '../oci/types.js';
import { repoScope } from './challenge.js';
import { Retries, fixedPauses, isTemporary } from './retry.js';
import type { Requester } from './request.js';
import { header } from './transport.js';

export interface BlobOptions {
  signal?: AbortSignal;
  push?: boolean;
  /** How many times a dropped download is resumed (default 5). */
  maxResumes?: number;
  /** getBlobBytes: told the size of each piece of the body as it arrives (a stall watch's progress). */
  progress?: (bytes: number) => void;
}

function scopes(repo: string, o: BlobOptions) {
  return [o.push ? repoScope(repo, 'pull', 'push') : repoScope(repo, 'pull')];
}

/** Size of the blob in `repo`, or undefined when the registry does not have it there. */
export async function headBlob(r: Requester, host: string, repo: string, digest: string, o: BlobOptions = {}): Promise<{ size: number } | undefined> {
  const { res } = await r.request({
    method: 'HEAD',
    host,
    path: `/v2/${repo}/blobs/${digest}`,
    scopes: scopes(repo, o),
    accept: [200, 404],
    followRedirects: true,
    what: `blob ${host}/${repo}@${digest}`,
    signal: o.signal,
  });
  await res.body.dump();
  if (res.statusCode === 404) return undefined;
  return { size: Number(header(res, 'content-length') ?? NaN) };
}

/** Parses "bytes START-END/TOTAL" → START. */
function rangeStart(contentRange: string | undefined): number | undefined {
  const m = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(contentRange?.trim() ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Parses "bytes START-END/TOTAL" → TOTAL (undefined for "*" or malformed). */
function rangeTotal(contentRange: string | undefined): number | undefined {
  const m = /^bytes (?:\d+-\d+|\*)\/(\d+)$/.exec(contentRange?.trim() ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * Refuses an answer that cannot be the blob, before a byte of it is used: an HTML page (a
 * login or error page answered 200), or a length other than the descriptor's. Nothing is
 * allocated or written from a size the source does not confirm.
 */
function checkAnswer(what: string, desc: { size?: number }, res: { statusCode: number; headers: Record<string, string | string[] | undefined> }, host: string): void {
  const type = header(res, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  // An HTML page of exactly the blob's size may be the blob (an artifact layer served with its
  // own media type): the digest decides then.
  const htmlLength = Number(header(res, 'content-length') ?? NaN);
  if ((type === 'text/html' || type === 'application/xhtml+xml') && !(res.statusCode === 200 && htmlLength === desc.size)) {
    throw new BlobContentError(`${what}: not a blob: ${host} answered HTTP ${res.statusCode} with an HTML page`, `a blob of ${desc.size ?? 'any'} bytes`, `${type} (${header(res, 'content-length') ?? 'unknown'} bytes)`, {
      hint: `a proxy or login page answered instead of the registry; check the registry address and what sits in front of ${host}`,
    });
  }
  if (desc.size === undefined) return;
  const length = res.statusCode === 206 ? rangeTotal(header(res, 'content-range')) : res.statusCode === 200 ? Number(header(res, 'content-length') ?? NaN) : NaN;
  if (Number.isFinite(length) && length !== desc.size) {
    throw new BlobContentError(`${what}: size mismatch`, `${desc.size} bytes (its descriptor)`, `${length} bytes (what ${host} sends)`, {
      hint: 'the image manifest names the blob with another size than the registry holds; check the image at its source',
    });
  }
}

/** Where the pump of one blob download puts its bytes: a stream (getBlob) or memory (getBlobBytes). */
interface BlobSink {
  /** False while the consumer has gone (stop pumping). */
  readonly live: boolean;
  write(chunk: Buffer): void | Promise<void>;
  end(): void;
  fail(err: Error): void;
}

/**
 * The blob's bytes. Resolves once the registry answered (errors such as 404
 * reject here); later failures that cannot be resumed destroy the stream.
 */
export async function getBlob(r: Requester, host: string, repo: string, desc: Pick<Descriptor, 'digest'> & { size?: number }, o: BlobOptions = {}): Promise<Readable> {
  const download = await openBlob(r, host, repo, desc, o);
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  let done = false;
  out.on('close', () => {
    download.release();
    if (!done) download.abort(new Error('blob stream closed by the consumer'));
  });
  void download.pump({
    get live() {
      return !out.destroyed;
    },
    write: (chunk) => (out.write(chunk) ? undefined : new Promise<void>((res2) => out.once('drain', res2))),
    end: () => {
      done = true;
      out.end();
    },
    fail: (err) => {
      done = true;
      if (!out.destroyed) out.destroy(err);
    },
  });
  return out;
}

/**
 * A small blob's bytes in memory (the copy engine asks for blobs of at most SMALL_BLOB bytes
 * this way: no stream between the two registries), its size checked and a dropped connection
 * resumed as getBlob does; its digest is the caller's to verify.
 */
export async function getBlobBytes(r: Requester, host: string, repo: string, desc: Pick<Descriptor, 'digest' | 'size'>, o: BlobOptions = {}): Promise<Buffer> {
  // gathered whole by the request layer (no body stream); one byte past the size shows a longer body
  const download = await openBlob(r, host, repo, desc, o, desc.size + 1);
  const chunks: Buffer[] = [];
  let length = 0;
  let failure: Error | undefined;
  let ended = false;
  try {
    await download.pump({
      live: true,
      write: (chunk) => {
        chunks.push(chunk);
        length += chunk.length;
      },
      end: () => {
        ended = true;
      },
      fail: (err) => {
        failure = err;
      },
    });
  } finally {
    download.release();
  }
  if (failure) throw failure;
  // the pump stops without a verdict only when the caller's signal aborted it
  if (!ended) throw o.signal?.reason ?? new NetworkError(`blob ${host}/${repo}@${desc.digest}: download aborted`, { temporary: false });
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
}

/**
 * The blob's bytes handed to `sink` chunk by chunk, without a stream between (ImageSource.pumpBlob):
 * the sink's promise pauses the download, an error it throws stops the download and is what this
 * rejects with. Resumed, size-checked and redirected as getBlob is; the digest is the caller's.
 */
export async function pumpBlob(r: Requester, host: string, repo: string, desc: Pick<Descriptor, 'digest'> & { size?: number }, sink: (chunk: Buffer) => Promise<void> | undefined, o: BlobOptions = {}): Promise<void> {
  const download = await openBlob(r, host, repo, desc, o);
  let verdict: { ok: true } | { error: Error } | undefined;
  let sinkError: { error: unknown } | undefined;
  try {
    await download.pump({
      get live() {
        return sinkError === undefined;
      },
      write: (chunk) => {
        try {
          return sink(chunk)?.catch((error: unknown) => void (sinkError ??= { error }));
        } catch (error) {
          sinkError ??= { error };
          return undefined;
        }
      },
      end: () => void (verdict = { ok: true }),
      fail: (error) => void (verdict = { error }),
    });
  } finally {
    if (!verdict || sinkError) download.abort(new Error('blob download stopped by its consumer'));
    download.release();
  }
  if (sinkError) throw sinkError.error;
  if (verdict && 'error' in verdict) throw verdict.error;
  // the pump stops without a verdict only when the caller's signal aborted it
  if (!verdict) throw o.signal?.reason ?? new NetworkError(`blob ${host}/${repo}@${desc.digest}: download aborted`, { temporary: false });
}

/** The first answer to a blob GET, checked, and the pump that reads it (resuming with Range after drops) into a sink. */
async function openBlob(r: Requester, host: string, repo: string, desc: Pick<Descriptor, 'digest'> & { size?: number }, o: BlobOptions, gather?: number) {
  const what = `blob ${host}/${repo}@${desc.digest}`;
  const maxResumes = o.maxResumes ?? 5;
  // A body gathered whole (getBlobBytes) is never stopped half-read by its consumer: its requests
  // take the caller's signal as it is, without a controller and a listener of their own per blob.
  const controller = gather === undefined ? new AbortController() : undefined;
  const signal = controller ? controller.signal : o.signal;
  const onOuterAbort = (): void => controller!.abort(o.signal?.reason);
  if (controller) o.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const release = (): void => {
    if (controller) o.signal?.removeEventListener('abort', onOuterAbort);
  };
  const open = (offset: number) =>
    r.request({
      method: 'GET',
      host,
      path: `/v2/${repo}/blobs/${desc.digest}`,
      scopes: scopes(repo, o),
      headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
      accept: offset > 0 ? [200, 206, 416] : [200],
      followRedirects: true,
      what,
      signal,
      ...(gather !== undefined ? { gather, ...(o.progress ? { progress: o.progress } : {}) } : {}),
    });
  let first: Awaited<ReturnType<typeof open>>;
  try {
    first = await open(0);
  } catch (err) {
    release();
    throw err;
  }
  try {
    checkAnswer(what, desc, first.res, host);
  } catch (err) {
    // not read: the connection is closed instead (an HTML page or a 1 TB body is not waited for)
    first.res.body.on('error', () => undefined);
    first.res.body.destroy();
    release();
    throw err;
  }
  const pump = async (out: BlobSink): Promise<void> => {
    let offset = 0;
    // Resumed at once (a dropped connection, not an outage): maxResumes pauses of 0 ms.
    const resumes = new Retries(fixedPauses(new Array<number>(maxResumes).fill(0)), signal);
    let current: Awaited<ReturnType<typeof open>> | undefined = first;
    /** Where the current attempt started, and how many resumed attempts in a row added nothing. */
    let startedAt = -1;
    let barren = 0;
    for (;;) {
      let res: Awaited<ReturnType<typeof open>>['res'];
      try {
        res = (current ?? (await open(offset))).res;
      } catch (err) {
        // The request layer has already retried the request as its policy says: final.
        if (!signal?.aborted) out.fail(err as Error);
        return;
      }
      current = undefined;
      try {
        if (res.statusCode === 416) {
          await res.body.dump();
          throw new BlobContentError(`${what}: size mismatch`, `${desc.size ?? 'more than'} bytes (its descriptor)`, `${offset} bytes (${host} has nothing past them: HTTP 416)`, {
            hint: 'the image manifest names the blob with another size than the registry holds; check the image at its source',
          });
        }
        if (offset > 0) checkAnswer(what, desc, res, host);
        startedAt = offset;
        let skip = 0;
        if (offset > 0) {
          if (res.statusCode === 206) {
            const start = rangeStart(header(res, 'content-range'));
            if (start === undefined || start > offset) throw new NetworkError(`${what}: the server resumed at an unexpected range (${header(res, 'content-range') ?? 'none'})`, { temporary: false });
            skip = offset - start;
          } else skip = offset; // Range ignored: skip what we already have
        }
        for await (const c of res.body) {
          let chunk = c as Buffer;
          if (skip > 0) {
            if (chunk.length <= skip) {
              skip -= chunk.length;
              continue;
            }
            chunk = chunk.subarray(skip);
            skip = 0;
          }
          offset += chunk.length;
          if (desc.size !== undefined && offset > desc.size) {
            throw new BlobContentError(`${what}: size mismatch`, `${desc.size} bytes (its descriptor)`, `more (${host} sent ${offset} bytes and more were coming)`, {
              hint: 'the image manifest names the blob with another size than the registry holds; check the image at its source',
            });
          }
          const wait = out.write(chunk);
          if (wait) await wait;
          if (!out.live) return;
        }
        if (desc.size !== undefined && offset < desc.size) {
          // The body ended cleanly short of the size: the source has no more to send.
          throw new BlobContentError(`${what}: size mismatch`, `${desc.size} bytes (its descriptor)`, `${offset} bytes (${host} ended the body there)`, {
            hint: 'the image manifest names the blob with another size than the registry holds; check the image at its source',
          });
        }
        out.end();
        return;
      } catch (err) {
        if (!out.live || signal?.aborted) return;
        const resumed = resumes.attempt > 1;
        barren = startedAt === offset && resumed ? barren + 1 : 0;
        if (isTemporary(err) && barren >= 2) {
          // Two resumed attempts in a row ended where they started: a body cut at the same point
          // every time is a short blob, not a network fault (15 attempts changed nothing).
          out.fail(
            new BlobContentError(`${what}: short body`, `${desc.size ?? 'more than'} bytes`, `${offset} bytes: ${host} ends the body there every time (${(err as Error).message})`, {
              hint: 'the registry (or a proxy in front of it) cannot send this blob whole; check the blob at its source',
            }),
          );
          return;
        }
        if (!(await resumes.again(err).catch(() => false))) {
          const e = err instanceof AirliftError ? err : new NetworkError(`${what}: download failed after ${offset} bytes: ${(err as Error).message}`, { cause: err, temporary: isTemporary(err) });
          out.fail(resumes.settle(e));
          return;
        }
      }
    }
  };
  return { pump, release, abort: (reason: Error) => controller?.abort(reason) };
}

/** getBlob piped through VerifyingStream: the stream errors instead of ending when bytes are wrong. */
export async function getBlobVerified(r: Requester, host: string, repo: string, desc: Descriptor, o: BlobOptions = {}): Promise<Readable> {
  const raw = await getBlob(r, host, repo, desc, o);
  const v = new VerifyingStream(`blob ${host}/${repo}@${desc.digest}`, desc.digest, desc.size);
  pipeline(raw, v, () => {});
  return v;
}
