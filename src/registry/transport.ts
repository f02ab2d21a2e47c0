/**
 * HTTP transport: one keep-alive undici Pool per registry origin (TLS options
 * per host), one shared Agent for other origins (token servers, blob
 * redirect targets), scheme choice with the /v2/ ping, and single attempts
 * that turn socket failures into NetworkError. Retries live in the client.
 */
import type { Readable } from 'node:stream';
import type { Agent, Pool, Dispatcher } from 'undici';
import type { Logger } from '../log.js';
import { parseChallenges, type Challenge } from './challenge.js';
import { errorFromResponse, errorFromStatus, isTlsError, networkError } from './errors.js';
import { apiHost, schemePlan, splitHostPort } from './hosts.js';
import { isIP } from 'node:net';
import { Retries, retryAfterOf, type RetryPolicy } from './retry.js';
import { tlsFor, type TlsOptions } from './tls.js';
import { undici, type Undici } from './undici.js';
import { pathOn } from './url.js';
import { isSmallRequest, sendSmall } from './small-request.js';
import { AirliftError, NetworkError, RegistryError, redact, toAirliftError } from '../errors.js';


export type Response = Dispatcher.ResponseData;

export interface TransportOptions {
  tls: TlsOptions;
  plainHttp: string[];
  env: NodeJS.ProcessEnv;
  userAgent: string;
  logger: Logger;
  retry: RetryPolicy;
  /** Max connections per registry origin (undici Pool `connections`); null = unbounded. */
  connectionsPerOrigin?: number | null;
}

export interface RegistryEndpointInfo {
  host: string;
  /** "https://host" or "http://host". */
  origin: string;
  /** The challenge from GET /v2/ (undefined: no auth needed). */
  challenge: Challenge | undefined;
}

export interface SendOptions {
  headers?: Record<string, string>;
  body?: string | Buffer | Uint8Array | Readable | null;
  signal?: AbortSignal;
  /** The answer body is gathered whole, at most this many bytes kept (small-request.ts), instead of streamed. */
  gather?: number;
  /** With gather: the size of each piece of a 200/206 body as it arrives. */
  progress?: (bytes: number) => void;
}

// bodyTimeout is the longest pause between two chunks of a body: a connection stalled that long is dropped and
// the download resumes with Range (uploads are retried by the engine). headersTimeout leaves room for a
// registry finishing a large upload into object storage.
const KEEP_ALIVE = { keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000, headersTimeout: 120_000, bodyTimeout: 60_000 };

/**
 * A pool with nothing queued or running is destroyed with one error made without a stack; a busy one
 * is closed (its requests finish first). Both end with every connection's socket destroyed with an
 * error, and Node reads that error's stack as it destroys a socket: close() makes an undici error per
 * connection, whose first formatted stack made V8 compute the line ends of the 2.7 MB bundle (about
 * 4 ms of the 12 ms a no-op resync of 200 images spent from its last answer to its exit).
 */
function closePool(pool: Pool): Promise<void> {
  const { pending, queued, running } = pool.stats;
  if (pending + queued + running > 0) return pool.close().catch(() => {});
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const closed = new Error('connection pool closed');
  Error.stackTraceLimit = limit;
  return pool.destroy(closed).catch(() => {});
}

export class Transport {
  private readonly pools = new Map<string, Promise<Pool>>();
  /** The pools (by origin), the pings (by host) and undici once they have resolved: a request then awaits none of them. */
  private readonly readyPools = new Map<string, Pool>();
  private readonly pinged = new Map<string, RegistryEndpointInfo>();
  private und: Undici | undefined;
  private readonly pings = new Map<string, Promise<RegistryEndpointInfo>>();
  private foreign: Promise<Agent> | undefined;

  constructor(readonly opts: TransportOptions) {}

  /** `registry` (as the user named it) selects per-registry TLS settings; `urlHost` (the URL's form) the SNI name. */
  private pool(origin: string, registry: string, urlHost: string): Promise<Pool> {
    let p = this.pools.get(origin);
    if (!p) {
      p = (async () => {
        const tls = origin.startsWith('https:') ? await tlsFor(registry, this.opts.tls, this.opts.env) : undefined;
        const { Pool } = await undici();
        return new Pool(origin, {
          ...KEEP_ALIVE,
          connections: this.opts.connectionsPerOrigin ?? null,
          ...(tls ? { connect: { ...tls, ...sniName(urlHost) } } : {}),
        });
      })();
      this.pools.set(origin, p);
      p.then(
        (pool) => void this.readyPools.set(origin, pool),
        () => this.pools.delete(origin),
      );
    }
    return p;
  }

  /** Token realms and redirect targets: global CA files apply, per-host certs.d does not. */
  private foreignAgent(): Promise<Agent> {
    this.foreign ??= Promise.all([tlsFor('', { ...this.opts.tls, certsDirs: [] }, this.opts.env), undici()]).then(([tls, { Agent }]) => new Agent({ ...KEEP_ALIVE, connect: tls }));
    return this.foreign;
  }

  /**
   * One request. `registryOrigin` selects the registry's pool when the URL is
   * on it; any other origin goes through the shared agent.
   */
  async send(method: string, url: string, host: string, registryOrigin: string | undefined, o: SendOptions = {}): Promise<Response> {
    const headers = { 'user-agent': this.opts.userAgent, ...o.headers };
    // the registry's own requests: the URL is not parsed again (its path, when it is on the registry's origin)
    const onRegistry = registryOrigin === undefined ? undefined : pathOn(registryOrigin, url);
    const urlHost = onRegistry !== undefined ? registryOrigin!.slice(registryOrigin!.indexOf('//') + 2) : undefined;
    const u = onRegistry === undefined ? new URL(url) : undefined;
    try {
      if (onRegistry !== undefined) {
        const pool = this.readyPools.get(registryOrigin!) ?? (await this.pool(registryOrigin!, apiHost(host) === host ? host : urlHost!, urlHost!));
        // reset: false keeps the connection after a HEAD (undici closes it by default: one new
        // TCP connection per manifest or blob HEAD).
        const und = (this.und ??= await undici());
        const body = o.body ?? null;
        // answers that are only dumped or read a little: gathered by a handler of dispatch() (small-request.ts)
        if (o.gather !== undefined || isSmallRequest(method, body)) {
          return await sendSmall(und, pool, { method, path: onRegistry, headers, body: body as string | Uint8Array | null, signal: o.signal ?? null, ...(o.gather !== undefined ? { cap: o.gather } : {}), ...(o.progress ? { progress: o.progress } : {}) });
        }
        return await und.request(pool, { method: method as Dispatcher.HttpMethod, path: onRegistry, headers, body, signal: o.signal ?? null, reset: false });
      }
      return await (await undici()).request(await this.foreignAgent(), {
        origin: u!.origin,
        method: method as Dispatcher.HttpMethod,
        path: u!.pathname + u!.search,
        headers,
        body: o.body ?? null,
        signal: o.signal ?? null,
      });
    } catch (err) {
      if (o.signal?.aborted) throw o.signal.reason ?? err;
      throw networkError(err, { host: urlHost ?? u!.host, method, url });
    }
  }

  /** A request to a non-registry origin (token realm) with retries for transient failures. */
  async fetchExternal(method: string, url: string, o: SendOptions = {}): Promise<Response> {
    const tries = new Retries(this.opts.retry, o.signal);
    for (;;) {
      let res: Response;
      try {
        res = await this.send(method, url, new URL(url).host, undefined, o);
      } catch (err) {
        if (await tries.again(err)) continue;
        throw tries.settle(err);
      }
      // The status judged as any registry answer is (its body is the caller's when it is not retried).
      const d = tries.pause(errorFromStatus(res.statusCode, [], { host: new URL(url).host, method, url }), retryAfterOf(res));
      if (d === undefined) return res;
      await res.body.dump();
      await tries.wait(d);
    }
  }

  /** GET /v2/ once per host: learns the scheme and the auth challenge. */
  ping(host: string, signal?: AbortSignal): Promise<RegistryEndpointInfo> {
    let p = this.pings.get(host);
    if (!p) {
      p = this.doPing(host, signal);
      this.pings.set(host, p);
      p.then(
        (info) => void this.pinged.set(host, info),
        () => this.pings.delete(host),
      );
    }
    return p;
  }

  /** What ping(host) resolved with, once it has: undefined before. */
  pingedInfo(host: string): RegistryEndpointInfo | undefined {
    return this.pinged.get(host);
  }

  private async doPing(host: string, signal?: AbortSignal): Promise<RegistryEndpointInfo> {
    const plan = schemePlan(host, this.opts.plainHttp);
    const tryScheme = async (scheme: 'https' | 'http'): Promise<RegistryEndpointInfo> => {
      // The URL parser's form ("reg:443" → "https://reg", "Reg" → "reg", "127.1" → "127.0.0.1"):
      // requests compare their URL's origin with this one to pick the pool and send credentials.
      const origin = new URL(`${scheme}://${apiHost(host)}`).origin;
      const tries = new Retries(this.opts.retry, signal);
      for (;;) {
        let res: Response;
        try {
          res = await this.send('GET', `${origin}/v2/`, host, origin, { signal });
        } catch (err) {
          // A TLS handshake against a plain HTTP server is not worth retrying.
          if (!(scheme === 'https' && plan.fallbackToHttp) && (await tries.again(err))) continue;
          throw tries.settle(err);
        }
        if (res.statusCode === 200) {
          await res.body.dump();
          return { host, origin, challenge: undefined };
        }
        if (res.statusCode === 401) {
          const challenges = parseChallenges(res.headers['www-authenticate']);
          await res.body.dump();
          const ch = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic') ?? challenges[0];
          return { host, origin, challenge: ch ?? { scheme: 'basic', params: {} } };
        }
        const d = tries.pause(errorFromStatus(res.statusCode, [], { host, method: 'GET', url: `${origin}/v2/` }), retryAfterOf(res));
        if (d !== undefined) {
          await res.body.dump();
          await tries.wait(d);
          continue;
        }
        const err = await errorFromResponse(res.statusCode, res.body, { host, method: 'GET', url: `${origin}/v2/`, what: 'the registry API root /v2/' });
        if (err instanceof RegistryError || res.statusCode === 404) {
          throw new RegistryError(
            { status: res.statusCode, method: 'GET', url: `${origin}/v2/`, message: `${host} does not answer like an OCI registry: GET ${origin}/v2/ gave HTTP ${res.statusCode}` },
            { hint: 'check the registry host name and port' },
          );
        }
        throw err;
      }
    };
    try {
      const info = await tryScheme(plan.first);
      this.opts.logger.log('debug', `registry ${host}: ${info.origin}, auth ${info.challenge?.scheme ?? 'none'}`);
      return info;
    } catch (err) {
      if (plan.first !== 'https' || !plan.fallbackToHttp || signal?.aborted) throw err;
      this.opts.logger.log('debug', `registry ${host}: HTTPS failed (${(err as Error).message}); trying plain HTTP (loopback host)`);
      try {
        return await tryScheme('http');
      } catch (httpErr) {
        if (signal?.aborted) throw httpErr;
        throw bothAttempts(host, err, httpErr);
      }
    }
  }

  async close(): Promise<void> {
    const pools = await Promise.allSettled([...this.pools.values()]);
    this.pools.clear();
    this.readyPools.clear();
    await Promise.all(pools.map((p) => (p.status === 'fulfilled' ? closePool(p.value) : undefined)));
    if (this.foreign) await (await this.foreign.catch(() => undefined))?.close().catch(() => {});
    this.foreign = undefined;
  }
}

/**
 * A loopback host that failed over HTTPS and then over plain HTTP: one error naming both
 * attempts. The one that got further leads (its code and hint): the HTTPS error when the
 * server spoke TLS (a certificate problem: --ca-file helps), else the plain-HTTP one when an
 * HTTP server answered (a 404 is a wrong host or port, not a TLS problem), else the HTTPS one.
 */
export function bothAttempts(host: string, httpsErr: unknown, httpErr: unknown): AirliftError {
  const https = toAirliftError(httpsErr);
  const http = toAirliftError(httpErr);
  const raw = https.cause ?? httpsErr; // the socket's error under our NetworkError
  const spokeTls = isTlsError(raw) && !isTlsProtocolMismatch(raw);
  const httpAnswered = !(http instanceof NetworkError);
  const lead = spokeTls ? https : httpAnswered ? http : https;
  const message = `${host} failed over HTTPS and over plain HTTP (a loopback host is tried with both): HTTPS: ${https.message}; plain HTTP: ${http.message}`;
  const copy = Object.create(Object.getPrototypeOf(lead) as object) as AirliftError;
  Object.defineProperties(copy, Object.getOwnPropertyDescriptors(lead));
  copy.message = redact(message);
  if (!spokeTls && httpAnswered) (copy as { hint: string | undefined }).hint = redact(lead.hint ?? 'check the registry host name and port');
  else if (!spokeTls) (copy as { hint: string | undefined }).hint = 'check that the registry is running and listening on that host and port';
  return copy;
}

/** A TLS handshake that failed because the other side does not speak TLS (plain HTTP on that port). */
function isTlsProtocolMismatch(err: unknown): boolean {
  const text = errorChainText(err);
  return /WRONG_VERSION_NUMBER|wrong version number|packet length too long|unknown protocol|http request/i.test(text);
}

function errorChainText(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let d = 0; d < 4 && e && typeof e === 'object'; d++) {
    parts.push(String((e as { code?: unknown }).code ?? ''), String((e as { message?: unknown }).message ?? ''));
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join(' ');
}

/** SNI server name: the host name without port; none for IP addresses (RFC 6066). */
function sniName(host: string): { servername?: string } {
  const { hostname } = splitHostPort(host);
  return isIP(hostname) ? {} : { servername: hostname };
}

export function header(res: { headers: Record<string, string | string[] | undefined> }, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
