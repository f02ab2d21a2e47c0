/**
 * Reads registry credentials from a Kubernetes Secret manifest of type
 * kubernetes.io/dockerconfigjson (or the older kubernetes.io/dockercfg), as
 * YAML or JSON, one or several documents, or a `kind: List`.
 */
import { yamlLib } from '../../chart/yaml.js';
import { InputError } from '../../errors.js';
import { parseAuthConfig } from './entries.js';
import type { AuthConfigFile, AuthEntry } from './types.js';

interface SecretLike {
  kind?: string;
  type?: string;
  items?: unknown[];
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  metadata?: { name?: string };
}

/** Parses Secret manifest text into one merged auth config (first entry for a host wins). */
export function parseDockerConfigSecret(text: string, file: string): AuthConfigFile {
  let docs: unknown[];
  try {
    docs = yamlLib().parseAllDocuments(text).map((d) => {
      if (d.errors.length > 0) throw d.errors[0];
      return d.toJS() as unknown;
    });
  } catch (err) {
    throw new InputError(`cannot parse ${file} as a Kubernetes Secret manifest: ${(err as Error).message}`, {
      hint: 'pass the file written by `kubectl get secret NAME -o yaml` or `kubectl create secret docker-registry --dry-run=client -o yaml`',
    });
  }
  const secrets: SecretLike[] = [];
  const visit = (d: unknown): void => {
    if (!d || typeof d !== 'object') return;
    const s = d as SecretLike;
    if (s.kind === 'List' && Array.isArray(s.items)) s.items.forEach(visit);
    else if (s.kind === 'Secret') secrets.push(s);
  };
  docs.forEach(visit);
  const auths: Record<string, AuthEntry> = {};
  let found = 0;
  for (const s of secrets) {
    const name = s.metadata?.name ?? '(unnamed)';
    const where = `${file} (Secret ${name})`;
    if (s.type === 'kubernetes.io/dockerconfigjson') {
      const raw = pick(s, '.dockerconfigjson', where);
      if (raw === undefined) continue;
      const cfg = parseAuthConfig(raw, where);
      for (const [k, v] of Object.entries(cfg.auths ?? {})) if (!(k in auths)) auths[k] = v;
      found++;
    } else if (s.type === 'kubernetes.io/dockercfg') {
      const raw = pick(s, '.dockercfg', where);
      if (raw === undefined) continue;
      const cfg = parseAuthConfig(raw, where) as Record<string, AuthEntry>;
      for (const [k, v] of Object.entries(cfg)) if (!(k in auths)) auths[k] = v;
      found++;
    }
  }
  if (found === 0) {
    throw new InputError(`${file} holds no Secret of type kubernetes.io/dockerconfigjson`, {
      hint: 'create one with `kubectl create secret docker-registry NAME --docker-server=HOST ... --dry-run=client -o yaml`',
    });
  }
  return { auths };
}

function pick(s: SecretLike, key: string, where: string): string | undefined {
  const str = s.stringData?.[key];
  if (typeof str === 'string') return str;
  const b64 = s.data?.[key];
  if (typeof b64 !== 'string') return undefined;
  if (!/^[A-Za-z0-9+/=\s]*$/.test(b64)) throw new InputError(`${where}: data.${key} is not base64`);
  return Buffer.from(b64, 'base64').toString('utf8');
}
