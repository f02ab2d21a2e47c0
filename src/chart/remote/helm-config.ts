/**
 * helm's own configuration files, read the way helm reads them: `repositories.yaml`
 * ($HELM_REPOSITORY_CONFIG, default ~/.config/helm/repositories.yaml: named HTTP repositories with
 * their URL, credentials and TLS files) and the registry config ($HELM_REGISTRY_CONFIG, default
 * ~/.config/helm/registry/config.json: a docker-style auth file, written by `helm registry login`).
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InputError, IoError, registerSecret } from '../../errors.js';
import { decodeEntry, findEntry, helperFor, helperGet, parseAuthConfig, type Credential, type CredentialResolver } from '../../registry/credentials/index.js';
import { isMap, parseYaml } from '../yaml.js';

export interface HelmRepository {
  name: string;
  url: string;
  username?: string;
  password?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  insecureSkipTlsVerify?: boolean;
  /** Send the credentials to chart URLs on other hosts too (helm's pass_credentials_all). */
  passCredentialsAll?: boolean;
}

function helmConfigHome(env: NodeJS.ProcessEnv): string {
  if (env.HELM_CONFIG_HOME) return env.HELM_CONFIG_HOME;
  return path.join(env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config'), 'helm');
}

export function repositoryConfigPath(env: NodeJS.ProcessEnv): string {
  return env.HELM_REPOSITORY_CONFIG || path.join(helmConfigHome(env), 'repositories.yaml');
}

export function registryConfigPath(env: NodeJS.ProcessEnv): string {
  return env.HELM_REGISTRY_CONFIG || path.join(helmConfigHome(env), 'registry', 'config.json');
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new IoError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The repositories of helm's repositories.yaml (none when the file does not exist); relative TLS paths are taken from the file's directory. */
export async function readHelmRepositories(env: NodeJS.ProcessEnv): Promise<{ file: string; repositories: HelmRepository[] }> {
  const file = repositoryConfigPath(env);
  const text = await readOptional(file);
  if (text === undefined) return { file, repositories: [] };
  const doc = parseYaml(text, file);
  const list = isMap(doc) ? doc.repositories : undefined;
  if (doc !== null && (!isMap(doc) || (list !== undefined && list !== null && !Array.isArray(list)))) {
    throw new InputError(`${file} is not a helm repositories file (a map with a "repositories" list)`, { hint: 'fix it, or point $HELM_REPOSITORY_CONFIG at another file' });
  }
  const dir = path.dirname(file);
  const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(dir, p));
  const repositories: HelmRepository[] = [];
  for (const [i, e] of ((list as unknown[] | undefined) ?? []).entries()) {
    if (!isMap(e) || !str(e.name) || !str(e.url)) throw new InputError(`${file}: repositories[${i}] needs a name and a url`, { hint: 'fix the entry (helm repo add NAME URL writes one)' });
    const password = str(e.password);
    registerSecret(password);
    const r: HelmRepository = { name: str(e.name)!, url: str(e.url)! };
    const username = str(e.username);
    if (username !== undefined) r.username = username;
    if (password !== undefined) r.password = password;
    for (const k of ['caFile', 'certFile', 'keyFile'] as const) {
      const v = abs(str(e[k]));
      if (v !== undefined) r[k] = v;
    }
    if (e.insecure_skip_tls_verify === true) r.insecureSkipTlsVerify = true;
    if (e.pass_credentials_all === true) r.passCredentialsAll = true;
    repositories.push(r);
  }
  return { file, repositories };
}

/**
 * Credentials from helm's registry config, asked after `fallback` (the docker and containers
 * files airlift reads for images) finds none: what `helm registry login` stored works for charts.
 */
export function withHelmRegistryCredentials(fallback: CredentialResolver, env: NodeJS.ProcessEnv): CredentialResolver {
  const file = registryConfigPath(env);
  let loaded: Promise<ReturnType<typeof parseAuthConfig> | undefined> | undefined;
  return {
    async get(host: string, repository?: string): Promise<Credential | undefined> {
      const first = await fallback.get(host, repository);
      if (first) return first;
      loaded ??= readOptional(file).then((t) => (t === undefined ? undefined : parseAuthConfig(t, file)));
      const cfg = await loaded;
      if (!cfg) return undefined;
      const helper = helperFor(cfg, host);
      if (helper) {
        const c = await helperGet(helper, host, { env });
        if (c) return c;
      }
      return decodeEntry(findEntry(cfg.auths, host, repository)?.entry, file);
    },
    lookedIn: () => [...(fallback.lookedIn?.() ?? []), `${file} (helm registry login)`],
  };
}
