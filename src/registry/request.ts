/**
 * The request loop every registry call goes through: auth header, the
 * per-registry concurrency limit, one retry with a fresh token on 401,
 * redirects (Authorization only ever goes to the registry's own origin),
 * and bounded retries of what is temporary (src/registry/retry.ts) when the
 * body can be sent again.
 */
import type { Readable } from 'node:stream';
import pLimit, { type LimitFunction } from 'p-limit';
import { AuthError, RegistryError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Authenticator } from './auth.js';
import { normalizeScopes, parseChallenges, parseScopes, type Scope } from './challenge.js';
import { errorFromResponse } from './errors.js';
import { Retries, retryAfterOf, type RetryPolicy } from './retry.js';
import { header, type RegistryEndpointInfo, type Response, type Transport } from './transport.js';
import { pathOn, urlOn } from './url.js';

export interface RequestSpec {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  host: string;
  /** "/v2/..." on the registry, or an absolute URL (upload locations). */
  path: string;
  scopes: Scope[];
  headers?: Record<string, string>;
  body?: string | Buffer | Uint8Array | Readable | null;
  /** Statuses handed back to the caller; anything else becomes an error. */
  accept: readonly number[];
  /** Follow 301/302/303/307/308 (manifest and blob reads). */
  followRedirects?: boolean;
  /** For messages: "manifest library/nginx:1.25". */
  what: string;
  signal?: AbortSignal;
  /** A small answer the caller reads whole: gathered, at most this many bytes kept, not streamed (SendOptions.gather). */
  gather?: number;
  /** With gather: the size of each piece of a 200/206 body as it arrives (SendOptions.progress). */
  progress?: (bytes: number) => void;
}

export interface RequestResult {
  res: Response;
  /** The URL that answered (after redirects). */
  url: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

export class Requester {
  private readonly limits = new Map<string, LimitFunction>();
  constructor(
    readonly transport: Transport,
    readonly auth: Authenticator,
    private readonly retry: RetryPolicy,
    readonly logger: Logger,
    private readonly concurrencyPerRegistry: number,
  ) {}

  limit(host: string): LimitFunction {
    let l = this.limits.get(host);
    if (!l) this.limits.set(host, (l = pLimit(this.concurrencyPerRegistry)));
    return l;
  }

  async request(spec: RequestSpec): Promise<RequestResult> {
    // once the host's ping has resolved, a request awaits nothing before it is sent (no challenge: no auth header to wait for)
    const info = this.transport.pingedInfo(spec.host) ?? (await this.transport.ping(spec.host, spec.signal));
    const replayable = spec.body === undefined || spec.body === null || typeof spec.body === 'string' || spec.body instanceof Uint8Array;
    let scopes = normalizeScopes(spec.scopes);
    let url = urlOn(info.origin, spec.path);
    let authRetried = false;
    let redirects = 0;
    const tries = new Retries(this.retry, spec.signal);
    for (;;) {
      const sameOrigin = pathOn(info.origin, url) !== undefined;
      const authorization = sameOrigin && info.challenge ? await this.auth.header(info, scopes, spec.signal) : undefined;
      const headers: Record<string, string> = { ...spec.headers };
      if (authorization) headers.authorization = authorization;
      let res: Response;
      try {
        res = await this.limit(spec.host)(() =>
          this.transport.send(spec.method, url, spec.host, info.origin, { headers, body: spec.body ?? null, signal: spec.signal, ...(spec.gather !== undefined ? { gather: spec.gather } : {}), ...(spec.progress ? { progress: spec.progress } : {}) }),
        );
      } catch (err) {
        // A body that cannot be sent again leaves the retry to the caller (the error stays temporary).
        const d = replayable ? tries.pause(err) : undefined;
        if (d === undefined) throw tries.settle(err);
        this.logger.log('debug', `${spec.method} ${spec.what}: ${(err as Error).message}; retrying in ${d} ms`);
        await tries.wait(d);
        continue;
      }
      const status = res.statusCode;
      if (this.logger.debug !== false) this.logger.log('debug', `${spec.method} ${url} -> ${status}`);
      if (status === 401 && sameOrigin && !authRetried && !spec.accept.includes(401)) {
        authRetried = true;
        const challenges = parseChallenges(res.headers['www-authenticate']);
        await res.body.dump();
        this.updateChallenge(info, challenges);
        this.auth.invalidate(info, authorization);
        const extra = parseScopes(challenges.find((c) => c.scheme === 'bearer')?.params.scope);
        scopes = normalizeScopes([...scopes, ...extra.filter((s) => s.type === 'repository')]);
        if (!replayable) {
          throw new AuthError(spec.host, `${spec.host} refused the token for ${spec.what} while streaming its body`, {
            hint: 'run the command again; the token has been refreshed',
          });
        }
        continue;
      }
      if (spec.followRedirects && REDIRECTS.has(status)) {
        const location = header(res, 'location');
        await res.body.dump();
        if (!location || ++redirects > MAX_REDIRECTS) {
          throw new RegistryError({ status, method: spec.method, url, message: `${spec.what}: ${location ? 'too many redirects' : 'redirect without Location'} from ${spec.host}` });
        }
        url = new URL(location, url).toString();
        tries.restart();
        continue;
      }
      if (spec.accept.includes(status)) return { res, url };
      if ((status === 401 || status === 403) && !sameOrigin) throw await refusedElsewhere(res, spec, url);
      if (status === 401 && sameOrigin) {
        await res.body.dump();
        throw await this.auth.refused(spec.host, scopes[0]?.name, spec.what);
      }
      const err = await errorFromResponse(status, res.body, { host: spec.host, method: spec.method, url, what: spec.what });
      const d = replayable ? tries.pause(err, retryAfterOf(res)) : undefined;
      if (d === undefined) throw tries.settle(err);
      this.logger.log('debug', `${spec.method} ${spec.what}: HTTP ${status}; retrying in ${d} ms`);
      await tries.wait(d);
    }
  }

  /** A registry that allowed anonymous /v2/ may still challenge per repository. */
  private updateChallenge(info: RegistryEndpointInfo, challenges: ReturnType<typeof parseChallenges>): void {
    const ch = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
    if (ch && (!info.challenge || info.challenge.scheme !== ch.scheme || info.challenge.params.realm !== ch.params.realm)) {
      info.challenge = { scheme: ch.scheme, params: { ...ch.params } };
      delete info.challenge.params.scope;
      delete info.challenge.params.error;
    }
  }
}

/**
 * A 401/403 from another origin than the registry's (an upload Location or a
 * redirect to object storage): that host asked for its own authentication,
 * which airlift never sends there. The error names that host, not the
 * registry's credentials.
 */
async function refusedElsewhere(res: Response, spec: RequestSpec, url: string): Promise<AuthError> {
  const other = new URL(url).host;
  const asks = parseChallenges(res.headers['www-authenticate'])[0]?.scheme;
  await res.body.dump();
  const via = spec.followRedirects ? 'redirected' : 'sent';
  return new AuthError(
    other,
    `${other} refused ${spec.what} with HTTP ${res.statusCode}${asks ? ` (it asks for ${asks} authentication)` : ''}: ` +
      `${spec.host} ${via} the request there, and airlift sends the credentials for ${spec.host} only to ${spec.host}`,
    {
      hint: `the credentials for ${spec.host} were not refused; ${other} is another host (the registry's upload or storage endpoint) that wants its own authentication: configure the registry to hand out URLs that need none (signed URLs), or to keep uploads on its own host`,
    },
  );
}
