/**
 * GETs against an HTTP(S) chart repository: TLS per repository (its caFile on top of the global
 * CA files, a client certificate, insecure_skip_tls_verify), basic auth sent only to the
 * repository's own origin (unless pass_credentials_all), redirects followed (at most 5, without
 * credentials when they leave the origin), and bodies read with a size cap.
 */
import { readFile } from 'node:fs/promises';
import type { Agent } from 'undici';
import { AirliftError, AuthError, InputError, NetworkError, NotFoundError, TooLargeError, toAirliftError } from '../../errors.js';
import { backoffDelay, isRetryableError, isRetryableStatus, parseRetryAfter, retryPolicy, sleep, type RetryPolicy } from '../../registry/retry.js';
import { undici } from '../../registry/undici.js';

export interface HttpRepoTls {
  caFiles: string[];
  certFile?: string;
  keyFile?: string;
  insecureSkipTlsVerify: boolean;
}

export interface HttpRepoAuth {
  username: string;
  password: string;
  /** Send them to every host the repository's chart URLs name. */
  everywhere: boolean;
}

async function readPem(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read the ${what} ${file}: ${(err as Error).message}`, { hint: 'check the path (repositories.yaml or --ca-file)' });
  }
}

export async function repoAgent(tls: HttpRepoTls, userAgent: string): Promise<{ agent: Agent; userAgent: string }> {
  const ca = await Promise.all(tls.caFiles.map((f) => readPem(f, 'CA file')));
  const cert = tls.certFile ? await readPem(tls.certFile, 'client certificate') : undefined;
  const key = tls.keyFile ? await readPem(tls.keyFile, 'client key') : undefined;
  const { Agent } = await undici();
  // imported here, as src/registry/tls.ts does: the export is a getter that parses Node's root certificates
  const rootCertificates = ca.length ? (await import('node:tls')).rootCertificates : [];
  const agent = new Agent({
    connect: {
      rejectUnauthorized: !tls.insecureSkipTlsVerify,
      ...(ca.length ? { ca: [...rootCertificates, ...ca] } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
    },
    headersTimeout: 120_000,
    bodyTimeout: 60_000,
  });
  return { agent, userAgent };
}

type GetOptions = { agent: Agent; userAgent: string; auth?: HttpRepoAuth; what: string; max: number; signal?: AbortSignal; optional?: boolean; retry?: RetryPolicy };

/** A status worth asking again (429, 5xx but 501): thrown by one attempt, caught by httpGet's loop. */
class TransientStatus extends Error {
  constructor(
    readonly status: number,
    readonly retryAfter: string | undefined,
  ) {
    super(`HTTP ${status}`);
  }
}

/**
 * GET `url` into a buffer of at most `max` bytes; a 404 is NotFoundError naming `what`. Network
 * failures (also in the middle of a body), 408, 429 and 5xx are tried again with the registry
 * client's backoff (4 attempts; Retry-After honoured up to 30 s).
 */
export async function httpGet(url: string, o: GetOptions): Promise<Buffer | undefined> {
  const policy = o.retry ?? retryPolicy();
  const origin = new URL(url).origin;
  let current = url;
  for (let hop = 0, attempt = 1; ; ) {
    let r: { redirect: string } | { body: Buffer | undefined };
    try {
      r = await getOnce(current, origin, o);
    } catch (err) {
      if (o.signal?.aborted) throw o.signal.reason ?? err;
      const transient = err instanceof TransientStatus;
      const d = transient || isRetryableError(err) ? backoffDelay(policy, attempt, transient ? parseRetryAfter(err.retryAfter) : undefined) : undefined;
      if (d !== undefined) {
        attempt++;
        await sleep(d, o.signal);
        continue;
      }
      if (transient) {
        if (o.optional) return undefined;
        throw new NetworkError(`${o.what}: GET ${redactUrl(current)} answered HTTP ${err.status} (${attempt} attempts)`, {
          host: new URL(current).host,
          hint: 'the repository server failed; try again later',
        });
      }
      if (err instanceof AirliftError) throw err;
      throw networkFailure(err, current, o.what);
    }
    if ('body' in r) return r.body;
    if (hop >= 5) throw new NetworkError(`${o.what}: GET ${redactUrl(url)} redirects more than 5 times`, { host: new URL(current).host });
    hop++;
    attempt = 1;
    current = r.redirect;
  }
}

function networkFailure(err: unknown, url: string, what: string): NetworkError {
  const e = toAirliftError(err);
  const tls = /certificate|self.signed|CERT|SSL|TLS/i.test(`${(err as { code?: string }).code ?? ''} ${(err as Error).message}`);
  return new NetworkError(`${what}: GET ${redactUrl(url)} failed: ${(err as Error).message}`, {
    cause: err,
    host: new URL(url).host,
    hint: tls ? `trust the repository's CA (caFile in repositories.yaml, or --ca-file) or set insecure_skip_tls_verify` : (e.hint ?? 'check that the repository URL is right and the server is reachable'),
  });
}

/** One GET: the body, a redirect to follow, or an error (TransientStatus for a status worth asking again). */
async function getOnce(current: string, origin: string, o: GetOptions): Promise<{ redirect: string } | { body: Buffer | undefined }> {
  const u = new URL(current);
  const headers: Record<string, string> = { 'user-agent': o.userAgent, accept: '*/*' };
  if (o.auth && (o.auth.everywhere || u.origin === origin)) headers.authorization = `Basic ${Buffer.from(`${o.auth.username}:${o.auth.password}`).toString('base64')}`;
  const res = await (await undici()).request(o.agent, { origin: u.origin, path: u.pathname + u.search, method: 'GET', headers, signal: o.signal ?? null });
  const status = res.statusCode;
  if ([301, 302, 303, 307, 308].includes(status)) {
    await res.body.dump();
    const loc = res.headers.location;
    const next = Array.isArray(loc) ? loc[0] : loc;
    if (!next) throw new NetworkError(`${o.what}: GET ${redactUrl(current)} redirects without a Location`, { host: u.host });
    return { redirect: new URL(next, current).toString() };
  }
  if (isRetryableStatus(status)) {
    await res.body.dump();
    const ra = res.headers['retry-after'];
    throw new TransientStatus(status, Array.isArray(ra) ? ra[0] : ra);
  }
  if (status === 404 || status === 410) {
    await res.body.dump();
    if (o.optional) return { body: undefined };
    throw new NotFoundError(`${o.what}: GET ${redactUrl(current)} answered HTTP ${status}`, { hint: 'check the repository URL, the chart name and the version (helm repo update refreshes a stale index)' });
  }
  if (status === 401 || status === 403) {
    await res.body.dump();
    if (o.optional) return { body: undefined };
    throw new AuthError(u.host, `${o.what}: GET ${redactUrl(current)} answered HTTP ${status}${o.auth ? ' (credentials refused)' : ' (no credentials given)'}`, {
      hint: 'give the repository credentials: --username with --password-stdin, or username/password in repositories.yaml (helm repo add --username)',
    });
  }
  if (status !== 200) {
    await res.body.dump();
    if (o.optional) return { body: undefined };
    throw new NetworkError(`${o.what}: GET ${redactUrl(current)} answered HTTP ${status}`, {
      host: u.host,
      hint: 'the server refused the request: check the repository URL, and whether it wants a client certificate (certFile/keyFile in repositories.yaml)',
    });
  }
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > o.max) {
    res.body.destroy();
    throw new TooLargeError(`${o.what}: ${redactUrl(current)} is ${declared} bytes, over the ${o.max} byte limit`);
  }
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res.body) {
    n += (c as Buffer).length;
    if (n > o.max) {
      res.body.destroy();
      throw new TooLargeError(`${o.what}: ${redactUrl(current)} is over the ${o.max} byte limit`);
    }
    chunks.push(c as Buffer);
  }
  return { body: Buffer.concat(chunks) };
}

/** The URL without user info or query (signed URLs carry secrets there). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    if (u.search) u.search = '?…';
    return u.toString();
  } catch {
    return url;
  }
}
