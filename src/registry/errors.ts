/**
 * Maps registry HTTP answers and transport failures to the airlift error tree.
 * Error bodies are read up to 64 KiB, parsed as OCI error JSON when they are,
 * and never quoted with secrets (messages pass through redact()).
 */
import { isRetryableError, isRetryableStatus } from './retry.js';
import type { Readable } from 'node:stream';
import {
  AirliftError,
  AuthError,
  DigestMismatchError,
  NetworkError,
  NotFoundError,
  RegistryError,
  TooLargeError,
  UnsupportedError,
  redact,
  type OciErrorDetail,
} from '../errors.js';

export const ERROR_BODY_CAP = 64 * 1024;

/** Reads at most `cap` bytes, then stops and discards the rest of the stream. */
export async function readCapped(body: Readable, cap: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let n = 0;
  let truncated = false;
  try {
    for await (const c of body) {
      const b = c as Buffer;
      if (n + b.length > cap) {
        chunks.push(b.subarray(0, cap - n));
        n = cap;
        truncated = true;
        break;
      }
      chunks.push(b);
      n += b.length;
    }
  } catch {
    // a broken error body is still an error answer
  }
  if (truncated) body.destroy();
  return { bytes: Buffer.concat(chunks), truncated };
}

/** Parses `{"errors":[{code,message,detail}]}`; [] when the body is something else. */
export function parseOciErrors(bytes: Buffer): OciErrorDetail[] {
  try {
    const data = JSON.parse(bytes.toString('utf8')) as { errors?: unknown };
    if (!Array.isArray(data.errors)) return [];
    return data.errors
      .filter((e): e is Record<string, unknown> => Boolean(e) && typeof e === 'object')
      .map((e) => ({
        code: typeof e.code === 'string' ? e.code : 'UNKNOWN',
        ...(typeof e.message === 'string' ? { message: e.message.slice(0, 500) } : {}),
      }));
  } catch {
    return [];
  }
}

export interface ResponseContext {
  host: string;
  method: string;
  url: string;
  /** What was asked for, for messages: "manifest library/nginx:1.25". */
  what?: string;
}

/** The error for a final (non-retried) unsuccessful response; consumes (part of) the body. */
export async function errorFromResponse(status: number, body: Readable | undefined, ctx: ResponseContext): Promise<AirliftError> {
  const read = body ? await readCapped(body, ERROR_BODY_CAP) : { bytes: Buffer.alloc(0), truncated: false };
  const ociErrors = parseOciErrors(read.bytes);
  return errorFromStatus(status, ociErrors, ctx);
}

const WRITES = new Set(['PUT', 'PATCH', 'POST']);

/**
 * Answers distribution gives for a moment while another writer pushes the same content into the
 * same registry (a link file rewritten in place, an upload moved under another): a manifest
 * naming a blob it briefly cannot see, a committed upload it briefly cannot hash.
 */
const TRANSIENT_REJECTIONS = new Set(['MANIFEST_BLOB_UNKNOWN', 'BLOB_UNKNOWN', 'DIGEST_INVALID', 'SIZE_INVALID']);

export function errorFromStatus(status: number, ociErrors: OciErrorDetail[], ctx: ResponseContext): AirliftError {
  const codes = new Set(ociErrors.map((e) => e.code));
  const what = ctx.what ?? `${ctx.method} ${redact(ctx.url)}`;
  const detail = ociErrors.map((e) => `${e.code}${e.message ? `: ${e.message}` : ''}`).join('; ');
  const suffix = detail ? ` (${detail})` : '';
  if (status === 401) {
    return new AuthError(ctx.host, `${ctx.host} refused authentication for ${what}${suffix}`);
  }
  if (status === 403) {
    return new AuthError(ctx.host, `${ctx.host} denied access to ${what}${suffix}`, {
      hint: `the credentials for ${ctx.host} lack permission; check the account's rights on that repository`,
    });
  }
  if (status === 404) {
    return new NotFoundError(`${what} not found on ${ctx.host}${suffix}`, {
      hint: 'check the repository name, tag and digest',
    });
  }
  if (codes.has('DIGEST_INVALID') || codes.has('SIZE_INVALID')) {
    if (WRITES.has(ctx.method)) {
      // airlift verifies every byte before the request that commits it can complete: a registry
      // refusing it has lost track of its own upload, as distribution does for a moment while
      // another writer pushes the same content. Retried by the callers; a registry error if it stays.
      return new RegistryError(
        { status, method: ctx.method, url: ctx.url, ociErrors, temporary: status === 400 || isRetryableStatus(status), message: `${ctx.host} rejected ${what}${suffix}, content airlift had verified against its digest and size` },
        { hint: 'another writer pushing the same content into this registry at the same moment causes this; if nothing else writes there, check the registry (or a proxy in front of it)' },
      );
    }
    return new DigestMismatchError(`${what}: the registry ${ctx.host} rejected the content`, 'content matching its digest and size', detail);
  }
  if (codes.has('MANIFEST_INVALID') && /schema ?1|schemaVersion/i.test(detail)) {
    return new UnsupportedError(`${ctx.host} rejected ${what}${suffix}`);
  }
  if (status === 413) return new TooLargeError(`${ctx.host} refused ${what} as too large${suffix}`);
  // The one place a status is judged worth another try (src/registry/retry.ts asks this flag).
  const temporary = isRetryableStatus(status) || (status === 400 && WRITES.has(ctx.method) && ociErrors.some((e) => TRANSIENT_REJECTIONS.has(e.code)));
  return new RegistryError({ status, method: ctx.method, url: ctx.url, ociErrors, temporary });
}

const TLS_CODES = /^(ERR_SSL_|ERR_TLS_|EPROTO$|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_OSSL)/;

function errCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let d = 0; d < 4 && e && typeof e === 'object'; d++) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === 'string' && c !== 'UND_ERR_SOCKET') return c;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isTlsError(err: unknown): boolean {
  const c = errCode(err);
  return c !== undefined && TLS_CODES.test(c);
}

/** Wraps a transport failure (connect, TLS, reset) as NetworkError with advice; temporary when its code is transient. */
export function networkError(err: unknown, ctx: { host: string; method: string; url: string }): AirliftError {
  if (err instanceof AirliftError) return err;
  const code = errCode(err);
  const msg = err instanceof Error ? err.message : String(err);
  const where = `${ctx.method} ${redact(ctx.url)}`;
  if (isTlsError(err)) {
    return new NetworkError(`TLS connection to ${ctx.host} failed (${code}: ${msg}) during ${where}`, {
      cause: err,
      temporary: false,
      host: ctx.host,
      hint: `trust the registry's CA with --ca-file FILE, or (unsafe) --insecure-skip-tls-verify; use --plain-http ${ctx.host} if it speaks plain HTTP`,
    });
  }
  return new NetworkError(`cannot reach ${ctx.host}: ${code ? `${code}: ` : ''}${msg} (${where})`, {
    cause: err,
    temporary: isRetryableError(err),
    host: ctx.host,
    hint: 'check that the registry is running and reachable from here',
  });
}
