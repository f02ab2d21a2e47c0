/**
 * Bearer tokens per registry and scope set. A cached token answers any
 * request whose scopes it covers (a push,pull token serves pull requests),
 * until shortly before it expires or until a 401 invalidates it.
 */
import { normalizeScopes, parseScopes, scopeKey, scopesCover, type Scope } from './challenge.js';

export interface CachedToken {
  token: string;
  /** Scopes the token grants (from its JWT `access` claim when readable, else those requested). */
  scopes: Scope[];
  /** Epoch ms after which the token is not used any more. */
  expiresAt: number;
}

/** Default lifetime when the token server does not say (distribution spec: 60 s). */
export const DEFAULT_TOKEN_LIFETIME_S = 60;

/** Epoch ms until which to use a token issued at `issuedAtMs` living `expiresInS` seconds. */
export function tokenDeadline(issuedAtMs: number, expiresInS: number | undefined): number {
  const life = (expiresInS && expiresInS > 0 ? expiresInS : DEFAULT_TOKEN_LIFETIME_S) * 1000;
  // Refresh a little early: a quarter of the lifetime, at most 10 s.
  return issuedAtMs + life - Math.min(10_000, life / 4);
}

/** The scopes a JWT's `access` claim grants, or undefined when the token is not a readable JWT. */
export function jwtGrantedScopes(token: string): Scope[] | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { access?: unknown };
    if (!Array.isArray(claims.access)) return undefined;
    const out: Scope[] = [];
    for (const a of claims.access as Array<Record<string, unknown>>) {
      if (typeof a?.type === 'string' && typeof a.name === 'string' && Array.isArray(a.actions)) {
        out.push({ type: a.type, name: a.name, actions: a.actions.filter((x): x is string => typeof x === 'string') });
      }
    }
    return normalizeScopes(out);
  } catch {
    return undefined;
  }
}

export class TokenCache {
  private readonly byHost = new Map<string, CachedToken[]>();
  constructor(private readonly now: () => number = Date.now) {}

  /** A live token covering `scopes`, if any. */
  find(host: string, scopes: Scope[]): CachedToken | undefined {
    const list = this.byHost.get(host);
    if (!list) return undefined;
    const t = this.now();
    const live = list.filter((c) => c.expiresAt > t);
    if (live.length !== list.length) this.byHost.set(host, live);
    return live.find((c) => scopesCover(c.scopes, scopes));
  }

  put(host: string, entry: CachedToken): void {
    const list = (this.byHost.get(host) ?? []).filter((c) => scopeKey(c.scopes) !== scopeKey(entry.scopes));
    list.push(entry);
    // Keep the list short: many repositories mean many scope sets.
    if (list.length > 256) list.splice(0, list.length - 256);
    this.byHost.set(host, list);
  }

  /** Drops a token the registry refused. */
  invalidate(host: string, token: string): void {
    const list = this.byHost.get(host);
    if (list) this.byHost.set(host, list.filter((c) => c.token !== token));
  }
}

export { parseScopes };
