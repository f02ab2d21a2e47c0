/** Decoding and looking up `auths` entries in docker-style config files. Pure. */
import { InputError, registerSecret } from '../../errors.js';
import { credentialKeys, normalizeCredentialKey } from '../hosts.js';
import type { AuthConfigFile, AuthEntry, Credential } from './types.js';

/** Parses file text as a docker-style auth config; names the file in errors. */
export function parseAuthConfig(text: string, file: string): AuthConfigFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new InputError(`cannot parse ${file}: ${(err as Error).message}`, { hint: 'fix or remove the file; it must be JSON' });
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new InputError(`${file} is not a JSON object`, { hint: 'a docker config file looks like {"auths": {"HOST": {"auth": "..."}}}' });
  }
  return data as AuthConfigFile;
}

/** Turns one entry into a Credential; undefined when it holds nothing usable. */
export function decodeEntry(entry: AuthEntry | undefined, source: string): Credential | undefined {
  if (!entry || typeof entry !== 'object') return undefined;
  const cred: Credential = { source };
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) throw new InputError(`the "auth" entry in ${source} is not base64 of "user:password"`, { hint: `run airlift login again` });
    // The user name cannot hold ':'; the password can (GCR _json_key passwords are JSON).
    cred.username = decoded.slice(0, i);
    cred.password = decoded.slice(i + 1);
  }
  if (typeof entry.username === 'string' && entry.username !== '') cred.username = entry.username;
  if (typeof entry.password === 'string' && entry.password !== '') cred.password = entry.password;
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') cred.identityToken = entry.identitytoken;
  if (typeof entry.registrytoken === 'string' && entry.registrytoken !== '') cred.registryToken = entry.registrytoken;
  registerSecret(cred.password);
  registerSecret(cred.identityToken);
  registerSecret(cred.registryToken);
  if (cred.password === undefined && cred.identityToken === undefined && cred.registryToken === undefined) return undefined;
  return cred;
}

/**
 * Finds the entry for `host` (and repository, for keys scoped like
 * "host/namespace/repo", longest match first), tolerating scheme prefixes and
 * "/v1/" suffixes in keys.
 */
export function findEntry(
  auths: Record<string, AuthEntry> | undefined,
  host: string,
  repository?: string,
): { key: string; entry: AuthEntry } | undefined {
  if (!auths) return undefined;
  const normalized = new Map<string, { key: string; entry: AuthEntry }>();
  for (const [key, entry] of Object.entries(auths)) {
    const n = normalizeCredentialKey(key);
    if (!normalized.has(n)) normalized.set(n, { key, entry });
  }
  const hosts = credentialKeys(host).map(normalizeCredentialKey);
  if (repository) {
    const parts = repository.split('/');
    for (let n = parts.length; n >= 1; n--) {
      for (const h of hosts) {
        const hit = normalized.get(`${h}/${parts.slice(0, n).join('/')}`);
        if (hit) return hit;
      }
    }
  }
  for (const h of hosts) {
    const hit = normalized.get(h);
    if (hit) return hit;
  }
  return undefined;
}

/** The credential helper configured for a host, if any (credHelpers, then credsStore). */
export function helperFor(cfg: AuthConfigFile, host: string): string | undefined {
  if (cfg.credHelpers) {
    for (const [k, v] of Object.entries(cfg.credHelpers)) {
      if (credentialKeys(host).map(normalizeCredentialKey).includes(normalizeCredentialKey(k)) && v) return v;
    }
  }
  return cfg.credsStore || undefined;
}
