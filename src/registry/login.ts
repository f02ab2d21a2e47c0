/**
 * What `airlift login` / `logout` do to the docker config file, the way
 * `docker login` does: `auths[HOST].auth = base64(user:password)`, other
 * keys kept, mode 0600, atomic replace.
 */
import { UsageError, registerSecret } from '../errors.js';
import { createRegistryClient, type RegistryClientOptions } from './client.js';
import { dockerConfigPath, readDockerConfigFile, writeDockerConfigFile } from './credentials/docker-config.js';
import { staticCredentials } from './credentials/index.js';
import { credentialKeys, normalizeCredentialKey } from './hosts.js';

/** "https://host:5000/" → "host:5000"; Docker Hub names → "docker.io". Rejects paths and empty names. */
export function normalizeLoginHost(input: string): string {
  const h = normalizeCredentialKey(input);
  if (!h || /[\s/]/.test(h)) {
    throw new UsageError(`invalid registry host ${JSON.stringify(input)}`, { hint: 'give a host name with an optional port, e.g. registry.example.com:5000' });
  }
  return h;
}

/** The key docker writes for a host (Docker Hub keeps its historical key). */
function configKey(host: string): string {
  return host === 'docker.io' ? 'https://index.docker.io/v1/' : host;
}

/** Verifies user/password against the registry (GET /v2/ with Basic or a Bearer token). */
export async function verifyLogin(host: string, username: string, password: string, opts: Omit<RegistryClientOptions, 'credentials'>): Promise<void> {
  registerSecret(password);
  const client = createRegistryClient({ ...opts, credentials: staticCredentials(host, { username, password }) });
  try {
    await client.checkLogin(host);
  } finally {
    await client.close();
  }
}

export interface StoredLogin {
  file: string;
  /** A credential helper configured for the host that takes precedence over the stored entry. */
  helper?: string;
}

export async function storeLogin(env: NodeJS.ProcessEnv, host: string, username: string, password: string): Promise<StoredLogin> {
  if (username.includes(':')) throw new UsageError(`the user name ${JSON.stringify(username)} contains ':'`, { hint: 'registry user names cannot contain a colon' });
  const file = dockerConfigPath(env);
  const cfg = await readDockerConfigFile(file);
  const auths = (cfg.auths && typeof cfg.auths === 'object' ? cfg.auths : {}) as Record<string, Record<string, unknown>>;
  for (const k of Object.keys(auths)) if (credentialKeys(host).map(normalizeCredentialKey).includes(normalizeCredentialKey(k))) delete auths[k];
  auths[configKey(host)] = { auth: Buffer.from(`${username}:${password}`, 'utf8').toString('base64') };
  cfg.auths = auths;
  await writeDockerConfigFile(file, cfg);
  const helpers = (cfg.credHelpers ?? {}) as Record<string, string>;
  const helper = Object.entries(helpers).find(([k]) => normalizeCredentialKey(k) === host)?.[1] ?? (cfg.credsStore as string | undefined);
  return helper ? { file, helper } : { file };
}

/** Removes the host's entries; false when there was none. */
export async function removeLogin(env: NodeJS.ProcessEnv, host: string): Promise<{ file: string; removed: boolean }> {
  const file = dockerConfigPath(env);
  const cfg = await readDockerConfigFile(file);
  const auths = (cfg.auths && typeof cfg.auths === 'object' ? cfg.auths : {}) as Record<string, unknown>;
  let removed = false;
  for (const k of Object.keys(auths)) {
    if (credentialKeys(host).map(normalizeCredentialKey).includes(normalizeCredentialKey(k))) {
      delete auths[k];
      removed = true;
    }
  }
  if (removed) await writeDockerConfigFile(file, { ...cfg, auths });
  return { file, removed };
}
