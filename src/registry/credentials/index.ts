/**
 * Credential resolution, first match wins:
 *  1. Secret files given with --auth-from-secret (in order),
 *  2. containers auth.json: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json,
 *     else $XDG_CONFIG_HOME (~/.config)/containers/auth.json,
 *  3. docker config: $DOCKER_CONFIG/config.json, else ~/.docker/config.json
 *     (credHelpers for the host, then credsStore, then the auths entry).
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InputError, IoError } from '../../errors.js';
import { decodeEntry, findEntry, helperFor, parseAuthConfig } from './entries.js';
import { helperGet } from './helper.js';
import { parseDockerConfigSecret } from './secret.js';
import type { AuthConfigFile, Credential, CredentialResolver } from './types.js';

export type { Credential, CredentialResolver, AuthConfigFile, AuthEntry } from './types.js';
export { parseDockerConfigSecret } from './secret.js';
export { decodeEntry, findEntry, helperFor, parseAuthConfig } from './entries.js';
export { helperGet, runHelper } from './helper.js';
export { dockerConfigPath, readDockerConfigFile, writeDockerConfigFile } from './docker-config.js';
import { dockerConfigPath } from './docker-config.js';

export interface CredentialOptions {
  env?: NodeJS.ProcessEnv;
  /** Kubernetes dockerconfigjson Secret manifests (--auth-from-secret). */
  authFromSecret?: string[];
}

function homeDir(env: NodeJS.ProcessEnv): string {
  return env.HOME || os.homedir();
}

/** The containers auth.json files to consult, in order. */
export function containersAuthPaths(env: NodeJS.ProcessEnv): string[] {
  if (env.REGISTRY_AUTH_FILE) return [env.REGISTRY_AUTH_FILE];
  const out: string[] = [];
  if (env.XDG_RUNTIME_DIR) out.push(path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  out.push(path.join(env.XDG_CONFIG_HOME || path.join(homeDir(env), '.config'), 'containers', 'auth.json'));
  return out;
}

async function readOptional(file: string, required: boolean): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!required && (code === 'ENOENT' || code === 'ENOTDIR')) return undefined;
    if (code === 'ENOENT') throw new InputError(`credential file ${file} does not exist`, { hint: 'check the path' });
    throw new IoError(`cannot read credential file ${file}: ${(err as Error).message}`, { cause: err });
  }
}

interface LoadedFile {
  file: string;
  cfg: AuthConfigFile;
  /** Whether credHelpers/credsStore apply (docker config only). */
  helpers: boolean;
}

export function createCredentialResolver(opts: CredentialOptions = {}): CredentialResolver {
  const env = opts.env ?? process.env;
  let loaded: Promise<LoadedFile[]> | undefined;
  const load = async (): Promise<LoadedFile[]> => {
    const files: LoadedFile[] = [];
    for (const f of opts.authFromSecret ?? []) {
      const text = (await readOptional(f, true))!;
      files.push({ file: f, cfg: parseDockerConfigSecret(text, f), helpers: false });
    }
    const explicitAuthFile = Boolean(env.REGISTRY_AUTH_FILE);
    for (const f of containersAuthPaths(env)) {
      const text = await readOptional(f, explicitAuthFile);
      if (text !== undefined) files.push({ file: f, cfg: parseAuthConfig(text, f), helpers: false });
    }
    const dockerFile = dockerConfigPath(env);
    const text = await readOptional(dockerFile, false);
    if (text !== undefined) files.push({ file: dockerFile, cfg: parseAuthConfig(text, dockerFile), helpers: true });
    return files;
  };
  const cache = new Map<string, Promise<Credential | undefined>>();
  const resolve = async (host: string, repository?: string): Promise<Credential | undefined> => {
    loaded ??= load();
    for (const f of await loaded) {
      if (f.helpers) {
        const helper = helperFor(f.cfg, host);
        if (helper) {
          const c = await helperGet(helper, host, { env });
          if (c) return c;
        }
      }
      const hit = findEntry(f.cfg.auths, host, repository);
      const c = decodeEntry(hit?.entry, f.file);
      if (c) return c;
    }
    return undefined;
  };
  return {
    lookedIn(): string[] {
      return [...(opts.authFromSecret ?? []), ...containersAuthPaths(env), `${dockerConfigPath(env)} (with its credential helpers)`];
    },
    get(host: string, repository?: string): Promise<Credential | undefined> {
      const key = `${host}/${repository ?? ''}`;
      let p = cache.get(key);
      if (!p) {
        p = resolve(host, repository);
        cache.set(key, p);
        p.catch(() => cache.delete(key));
      }
      return p;
    },
  };
}

/** A resolver with fixed credentials (login verification, tests). */
export function staticCredentials(host: string, cred: Omit<Credential, 'source'>, fallback?: CredentialResolver): CredentialResolver {
  return {
    async get(h: string, repository?: string) {
      if (h === host) return { ...cred, source: 'command line' };
      return fallback?.get(h, repository);
    },
    lookedIn: () => ['the command line', ...(fallback?.lookedIn?.() ?? [])],
  };
}
