/**
 * The pull Secret for the mirror (pure): a `kubernetes.io/dockerconfigjson`
 * Secret with `.dockerconfigjson` plus `registry`, `username`, `password`
 * and, with a CA, `ca.crt` keys (the shape in-cluster registry operators
 * read). The password only ever appears base64-encoded in the manifest.
 */
import { stringify } from 'yaml';
import { UsageError } from '../errors.js';

export interface PullSecretInput {
  /** Secret name (a DNS-1123 subdomain). */
  name: string;
  namespace?: string;
  /** Mirror host[:port] the credentials are for. */
  registry: string;
  username: string;
  password: string;
  /** PEM of the CA that signed the mirror's certificate. */
  caPem?: string;
  /** Comment lines for the top of the file (no secrets). */
  comment?: string[];
}

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

export function checkSecretName(name: string, flag: string): void {
  if (name.length > 253 || !DNS1123.test(name)) {
    throw new UsageError(`${flag} ${JSON.stringify(name)} is not a valid Kubernetes name`, {
      hint: 'use lowercase letters, digits, "-" and ".", starting and ending with a letter or digit',
    });
  }
}

/** The Secret manifest as YAML. */
export function renderPullSecret(s: PullSecretInput): string {
  checkSecretName(s.name, 'secret name');
  if (s.namespace !== undefined) checkSecretName(s.namespace, '--namespace');
  if (s.username === '') throw new UsageError('--username is empty', { hint: 'give the user name for the mirror registry' });
  if (s.password === '') throw new UsageError('the password read from stdin is empty', { hint: 'pipe the password into --password-stdin' });
  const dockerconfig = {
    auths: { [s.registry]: { username: s.username, password: s.password, auth: b64(`${s.username}:${s.password}`) } },
  };
  const data: Record<string, string> = {
    '.dockerconfigjson': b64(JSON.stringify(dockerconfig)),
    registry: b64(s.registry),
    username: b64(s.username),
    password: b64(s.password),
  };
  if (s.caPem !== undefined) data['ca.crt'] = b64(s.caPem);
  const manifest = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: s.name, ...(s.namespace !== undefined ? { namespace: s.namespace } : {}), labels: { 'app.kubernetes.io/managed-by': 'airlift' } },
    type: 'kubernetes.io/dockerconfigjson',
    data,
  };
  const head = (s.comment ?? []).map((l) => `# ${l}\n`).join('');
  return head + stringify(manifest, { lineWidth: 0 });
}
