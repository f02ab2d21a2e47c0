/** Runs `docker-credential-<name> get` (the docker credential helper protocol). */
import { createRequire } from 'node:module';
import { AuthError, registerSecret } from '../../errors.js';
import type { Credential } from './types.js';

const HELPER_NAME = /^[A-Za-z0-9._-]+$/;

export interface HelperOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export function runHelper(
  name: string,
  action: 'get' | 'store' | 'erase',
  input: string,
  opts: HelperOptions,
): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!HELPER_NAME.test(name)) {
    return Promise.reject(new AuthError(input, `invalid credential helper name ${JSON.stringify(name)}`));
  }
  // node:child_process (and node:dgram, which it loads) on a helper's first run, not as every sync starts:
  // most runs ask no helper (test/bench/README.md, p26-resync)
  const { spawn } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(`docker-credential-${name}`, [action], {
      env: opts.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 30_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** Asks the helper for `serverUrl`; undefined when it has no credentials. */
export async function helperGet(name: string, serverUrl: string, opts: HelperOptions): Promise<Credential | undefined> {
  let r: { code: number; stdout: string; stderr: string };
  try {
    r = await runHelper(name, 'get', serverUrl, opts);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new AuthError(serverUrl, `credential helper docker-credential-${name} is configured for ${serverUrl} but is not on PATH`, {
        hint: `install docker-credential-${name}, or remove it from credHelpers/credsStore in your docker config`,
        cause: err,
      });
    }
    throw err;
  }
  if (r.code !== 0) {
    if (/credentials not found/i.test(r.stdout + r.stderr)) return undefined;
    throw new AuthError(serverUrl, `docker-credential-${name} get failed for ${serverUrl} (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(0, 500)}`);
  }
  let parsed: { Username?: string; Secret?: string };
  try {
    parsed = JSON.parse(r.stdout) as { Username?: string; Secret?: string };
  } catch {
    throw new AuthError(serverUrl, `docker-credential-${name} get printed something that is not JSON for ${serverUrl}`);
  }
  if (!parsed.Secret) return undefined;
  registerSecret(parsed.Secret);
  const source = `docker-credential-${name}`;
  // The helper protocol marks identity tokens with the user name "<token>".
  if (parsed.Username === '<token>') return { identityToken: parsed.Secret, source };
  return { username: parsed.Username ?? '', password: parsed.Secret, source };
}
