/**
 * WWW-Authenticate parsing (RFC 7235) and OCI token scopes. Pure.
 */

export interface Challenge {
  /** Lower-cased scheme: "basic", "bearer", ... */
  scheme: string;
  /** Parameters with lower-cased names (realm, service, scope, error). */
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;

/** Parses one or more challenges from a WWW-Authenticate header value. */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const values = Array.isArray(header) ? header : [header];
  const out: Challenge[] = [];
  for (const value of values) out.push(...parseOne(value));
  return out;
}

function parseOne(s: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  let current: Challenge | undefined;
  const skipWs = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const readToken = (): string | undefined => {
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(s);
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  while (i < s.length) {
    skipWs();
    if (s[i] === ',') {
      i++;
      continue;
    }
    const start = i;
    const tok = readToken();
    if (tok === undefined) {
      i++;
      continue;
    }
    skipWs();
    if (s[i] === '=' && current) {
      // auth-param: name=value or name="quoted"
      i++;
      skipWs();
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i];
          i++;
        }
        i++;
      } else {
        const v = readToken();
        value = v ?? '';
        // token68 tail ("=" padding)
        while (s[i] === '=') {
          value += '=';
          i++;
        }
      }
      current.params[tok.toLowerCase()] = value;
      continue;
    }
    // a new challenge starts with a scheme token
    void start;
    current = { scheme: tok.toLowerCase(), params: {} };
    out.push(current);
  }
  return out;
}

/** One repository scope: `repository:<name>:<actions>`. */
export interface Scope {
  type: string; // "repository" (also "registry" for catalog)
  name: string;
  actions: string[];
}

export function repoScope(name: string, ...actions: string[]): Scope {
  // every request makes one: 'pull', or 'pull' and 'push', are sorted and distinct as given
  const sorted = actions.length === 1 || (actions.length === 2 && actions[0]! < actions[1]!);
  return { type: 'repository', name, actions: sorted ? actions : [...new Set(actions)].sort() };
}

export function formatScope(s: Scope): string {
  return `${s.type}:${s.name}:${[...s.actions].sort().join(',')}`;
}

/** Parses a space-separated scope string into scopes (unknown shapes are kept verbatim in name). */
export function parseScopes(value: string | undefined): Scope[] {
  if (!value) return [];
  const out: Scope[] = [];
  for (const part of value.split(' ').filter(Boolean)) {
    const first = part.indexOf(':');
    const last = part.lastIndexOf(':');
    if (first < 0 || last === first) continue;
    out.push({ type: part.slice(0, first), name: part.slice(first + 1, last), actions: part.slice(last + 1).split(',').filter(Boolean).sort() });
  }
  return out;
}

/** Merges scopes on the same resource; result is sorted for stable cache keys. */
export function normalizeScopes(scopes: Scope[]): Scope[] {
  // One scope whose actions are already sorted and distinct (repoScope makes them so): itself.
  // Every request normalizes its scopes, so this is the common case.
  if (scopes.length === 1 && scopes[0]!.actions.every((a, i, all) => i === 0 || all[i - 1]! < a)) return scopes;
  const byKey = new Map<string, Set<string>>();
  for (const s of scopes) {
    const k = `${s.type}:${s.name}`;
    let set = byKey.get(k);
    if (!set) byKey.set(k, (set = new Set()));
    for (const a of s.actions) set.add(a);
  }
  return [...byKey.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, actions]) => {
      const i = k.indexOf(':');
      return { type: k.slice(0, i), name: k.slice(i + 1), actions: [...actions].sort() };
    });
}

/** True when every action in `wanted` is granted by `have`. */
export function scopesCover(have: Scope[], wanted: Scope[]): boolean {
  return wanted.every((w) =>
    w.actions.every((a) => have.some((h) => h.type === w.type && h.name === w.name && (h.actions.includes(a) || h.actions.includes('*')))),
  );
}

export function scopeKey(scopes: Scope[]): string {
  return normalizeScopes(scopes).map(formatScope).join(' ');
}
