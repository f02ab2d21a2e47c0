/**
 * Authorization for registry requests: none, Basic, or the Bearer token flow
 * of the distribution token spec (several scopes per token, refresh tokens).
 */
import { isIP } from 'node:net';
import { AuthError, registerSecret } from '../errors.js';
import type { Logger } from '../log.js';
import { formatScope, normalizeScopes, type Challenge, type Scope } from './challenge.js';
import type { Credential, CredentialResolver } from './credentials/types.js';
import { errorFromResponse } from './errors.js';
import { jwtGrantedScopes, TokenCache, tokenDeadline } from './token-cache.js';
import type { Transport } from './transport.js';

export interface AuthState {
  host: string;
  /** "https://host" or "http://host": the registry's own origin (the realm-downgrade rule needs it). */
  origin?: string;
  /** The challenge /v2/ answered with; undefined when the registry needs none. */
  challenge: Challenge | undefined;
}

export const CLIENT_ID = 'airlift';

export class Authenticator {
  readonly tokens: TokenCache;
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    private readonly transport: Transport,
    private readonly credentials: CredentialResolver,
    private readonly logger: Logger,
    now: () => number = Date.now,
  ) {
    this.tokens = new TokenCache(now);
  }

  /** The Authorization header value for a request needing `scopes`, or undefined. */
  async header(state: AuthState, scopes: Scope[], signal?: AbortSignal): Promise<string | undefined> {
    const ch = state.challenge;
    if (!ch) return undefined;
    if (ch.scheme === 'basic') {
      const cred = await this.credentials.get(state.host, scopes[0]?.name);
      if (!cred || cred.username === undefined || cred.password === undefined) return undefined;
      return basicHeader(cred.username, cred.password);
    }
    if (ch.scheme === 'bearer') {
      const cached = this.tokens.find(state.host, normalizeScopes(scopes));
      if (cached) return `Bearer ${cached.token}`;
      return `Bearer ${await this.fetchToken(state, scopes, signal)}`;
    }
    throw new AuthError(state.host, `${state.host} asks for the unsupported authentication scheme ${JSON.stringify(ch.scheme)}`, {
      hint: 'airlift supports anonymous, Basic and Bearer token authentication',
    });
  }

  /**
   * The error for a registry that still answers 401 after authentication: no credentials stored
   * for the host (and where they were looked for), or the stored ones refused: two different fixes.
   */
  async refused(host: string, repository: string | undefined, what: string): Promise<AuthError> {
    const cred = await this.credentials.get(host, repository).catch(() => undefined);
    if (!cred) return noCredentials(host, this.credentials, what);
    return new AuthError(host, `credentials for ${host} refused: ${host} refused the credentials from ${cred.source} for ${what}`, {
      hint: `the user name, password or token stored for ${host} is wrong or expired: store new ones with airlift login ${host} -u USER`,
    });
  }

  /** Forgets a token the registry refused (next header() fetches a new one). */
  invalidate(state: AuthState, headerValue: string | undefined): void {
    if (headerValue?.startsWith('Bearer ')) this.tokens.invalidate(state.host, headerValue.slice(7));
  }

  private fetchToken(state: AuthState, scopes: Scope[], signal?: AbortSignal): Promise<string> {
    const wanted = normalizeScopes(scopes);
    const key = `${state.host} ${wanted.map(formatScope).join(' ')}`;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.requestToken(state, wanted, signal).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async requestToken(state: AuthState, scopes: Scope[], signal?: AbortSignal): Promise<string> {
    const ch = state.challenge!;
    const realm = ch.params.realm;
    if (!realm) throw new AuthError(state.host, `${state.host} sent a Bearer challenge without a realm`);
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch {
      throw new AuthError(state.host, `${state.host} sent a Bearer challenge with an invalid realm ${JSON.stringify(realm)}`);
    }
    if (realmUrl.protocol !== 'https:' && realmUrl.protocol !== 'http:') {
      throw new AuthError(state.host, `${state.host} sent a token realm that is not http(s): ${realm}`);
    }
    const service = ch.params.service;
    const cred = await this.credentials.get(state.host, scopes[0]?.name);
    const sendsSecret = cred !== undefined && ((cred.username !== undefined && cred.password !== undefined) || cred.identityToken !== undefined) && !cred.registryToken;
    if (sendsSecret && realmDowngrade(state.origin, realmUrl, this.transport.opts.plainHttp)) {
      throw new AuthError(
        state.host,
        `${state.host} is served over https but sends its token requests to ${realmUrl.origin} over plain http; ` +
          `airlift refuses to send the credentials for ${state.host} (from ${cred!.source}) there unencrypted`,
        { hint: `if that token server really speaks only plain http and the network to it is trusted, name it with --plain-http ${realmUrl.host}` },
      );
    }
    const scopeStrings = scopes.map(formatScope);
    const started = Date.now();
    let res;
    if (cred?.registryToken) return cred.registryToken;
    if (cred?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: cred.identityToken });
      if (service) form.set('service', service);
      if (scopeStrings.length) form.set('scope', scopeStrings.join(' '));
      res = await this.transport.fetchExternal('POST', realmUrl.toString(), {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        signal,
      });
    } else {
      const u = new URL(realmUrl);
      if (service) u.searchParams.set('service', service);
      for (const s of scopeStrings) u.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      if (cred?.username !== undefined && cred.password !== undefined) headers.authorization = basicHeader(cred.username, cred.password);
      res = await this.transport.fetchExternal('GET', u.toString(), { headers, signal });
    }
    if (res.statusCode !== 200) {
      const ctx = { host: state.host, method: 'GET', url: realmUrl.toString(), what: `a token for ${scopeStrings.join(' ') || state.host}` };
      if (res.statusCode === 401 || res.statusCode === 403) {
        await res.body.dump();
        if (!cred) throw noCredentials(state.host, this.credentials, `a token for ${scopeStrings.join(' ') || state.host}`);
        throw new AuthError(state.host, describeRefusal(state.host, cred, scopeStrings), {
          hint: `the user name, password or token stored for ${state.host} is wrong or expired: store new ones with airlift login ${state.host} -u USER`,
        });
      }
      throw await errorFromResponse(res.statusCode, res.body, ctx);
    }
    const json = (await res.body.json()) as { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    const token = json.token || json.access_token;
    if (!token) throw new AuthError(state.host, `the token server of ${state.host} answered without a token`);
    registerSecret(token);
    const issued = json.issued_at ? Date.parse(json.issued_at) : NaN;
    // Our clock decides expiry: trust issued_at only when it is not in the future.
    const base = Number.isNaN(issued) || issued > Date.now() ? started : Math.max(issued, started - 60_000);
    const granted = jwtGrantedScopes(token) ?? scopes;
    this.tokens.put(state.host, { token, scopes: granted, expiresAt: tokenDeadline(base, json.expires_in) });
    this.logger.log('debug', `token for ${state.host} (${scopeStrings.join(' ')}) valid ${json.expires_in ?? 60}s`);
    return token;
  }
}

/**
 * True when a registry reached over https names a plain-http token realm that
 * the user did not name with --plain-http. A realm on a loopback IP address
 * (127.0.0.0/8, ::1) is exempt: those bytes never leave the machine, and an
 * address needs no name resolution that could point it elsewhere. A realm
 * named by a host name (even localhost) is not: only --plain-http exempts it.
 */
export function realmDowngrade(registryOrigin: string | undefined, realm: URL, plainHttp: readonly string[]): boolean {
  if (!registryOrigin?.startsWith('https:') || realm.protocol !== 'http:') return false;
  const host = realm.host.toLowerCase();
  const hostname = realm.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (plainHttp.some((p) => p.toLowerCase() === host || p.toLowerCase() === hostname)) return false;
  if (isIP(hostname) === 4 && hostname.startsWith('127.')) return false;
  if (isIP(hostname) === 6 && (hostname === '::1' || hostname === '0:0:0:0:0:0:0:1')) return false;
  return true;
}

export function basicHeader(username: string, password: string): string {
  const v = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
  registerSecret(v);
  return `Basic ${v}`;
}

function describeRefusal(host: string, cred: Credential, scopes: string[]): string {
  return `credentials for ${host} refused: the token server of ${host} refused the credentials from ${cred.source} (token scopes: ${scopes.join(' ')})`;
}

/** "No credentials stored for HOST (looked in …)": the fix is to store some, not to change them. */
export function noCredentials(host: string, credentials: CredentialResolver, what: string): AuthError {
  const places = credentials.lookedIn?.() ?? [];
  return new AuthError(host, `no credentials stored for ${host}${places.length ? ` (looked in ${places.join(', ')})` : ''}, and ${host} requires them for ${what}`, {
    hint: `store them with airlift login ${host} -u USER (or docker login), or give a pull Secret with --auth-from-secret FILE`,
  });
}
