/**
 * Runs the real `skopeo` (1.9, the independent client of interop checks)
 * against harness registries, with the right TLS/cert/credential flags for a
 * StartedRegistry. Throws when skopeo is missing or exits non-zero.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants as fsConstants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StartedRegistry } from './registry.js';
import { sha256Digest } from '../helpers/digest.js';

export interface SkopeoResult {
  stdout: Buffer;
  stderr: string;
}

export interface SkopeoOptions {
  /** Kill skopeo after this long (default 120 s). */
  timeoutMs?: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

export interface Credentials {
  username: string;
  password: string;
}

export function skopeoBinary(): string {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/bin']) {
    const p = path.join(dir, 'skopeo');
    try {
      accessSync(p, fsConstants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  throw new Error('skopeo not found: run scripts/install-system-deps.sh');
}

let emptyAuthFile: string | undefined;
/** An auth file with no entries, so a developer's own credentials never leak into tests. */
function authFile(): string {
  if (!emptyAuthFile) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'airlift-skopeo-auth-'));
    emptyAuthFile = path.join(dir, 'auth.json');
    writeFileSync(emptyAuthFile, '{"auths":{}}\n');
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return emptyAuthFile;
}

/**
 * Runs `skopeo --insecure-policy ARGS`. Resolves with stdout bytes and stderr;
 * rejects with an Error carrying skopeo's stderr when it exits non-zero.
 */
export function skopeo(args: string[], opts: SkopeoOptions = {}): Promise<SkopeoResult> {
  const bin = skopeoBinary();
  const full = ['--insecure-policy', ...args];
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      full,
      {
        encoding: 'buffer',
        maxBuffer: 64 << 20,
        timeout: opts.timeoutMs ?? 120_000,
        killSignal: 'SIGKILL',
        env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), REGISTRY_AUTH_FILE: authFile(), ...opts.env },
      },
      (err, stdout, stderr) => {
        const errText = stderr.toString('utf8');
        if (err) {
          const e = new Error(`skopeo ${full.join(' ')} failed (${err.code ?? err.signal ?? 'error'}): ${errText.trim() || err.message}`) as Error & {
            stderr: string;
          };
          e.stderr = errText;
          reject(e);
          return;
        }
        resolve({ stdout, stderr: errText });
      },
    );
  });
}

export type FlagSide = 'src' | 'dest' | '';

/**
 * TLS and credential flags for talking to `reg`. `side` picks the prefix
 * (`--src-…` / `--dest-…` for copy, none for inspect). `creds` overrides the
 * registry's own credentials; pass null for anonymous access.
 */
export function registryFlags(reg: StartedRegistry, side: FlagSide, creds?: Credentials | null): string[] {
  const p = side ? `--${side}-` : '--';
  const flags: string[] = [];
  if (reg.url.startsWith('https:')) {
    if (!reg.certDir) throw new Error(`registry ${reg.host} serves TLS but has no certDir`);
    flags.push(`${p}tls-verify=true`, `${p}cert-dir`, reg.certDir);
  } else {
    flags.push(`${p}tls-verify=false`);
  }
  const c = creds === undefined ? (reg.username !== undefined && reg.password !== undefined ? { username: reg.username, password: reg.password } : null) : creds;
  if (c) flags.push(`${p}creds`, `${c.username}:${c.password}`);
  else if (side !== '') flags.push(`${p}no-creds`);
  else flags.push('--no-creds');
  return flags;
}

export const srcFlags = (reg: StartedRegistry, creds?: Credentials | null): string[] => registryFlags(reg, 'src', creds);
export const destFlags = (reg: StartedRegistry, creds?: Credentials | null): string[] => registryFlags(reg, 'dest', creds);

/** `docker://127.0.0.1:PORT/REPO:TAG` (repoAndTag may also be `REPO@sha256:…`). */
export function dockerRef(reg: StartedRegistry, repoAndTag: string): string {
  return `docker://${reg.host}/${repoAndTag}`;
}

/** The raw manifest (or index) bytes as the registry serves them. */
export async function skopeoInspectRaw(reg: StartedRegistry, repoAndTag: string, creds?: Credentials | null): Promise<Buffer> {
  const { stdout } = await skopeo(['inspect', '--raw', ...registryFlags(reg, '', creds), dockerRef(reg, repoAndTag)]);
  return stdout;
}

/** `sha256:…` of the top-level manifest (or index) stored under repoAndTag. */
export async function skopeoInspectDigest(reg: StartedRegistry, repoAndTag: string, creds?: Credentials | null): Promise<string> {
  const raw = await skopeoInspectRaw(reg, repoAndTag, creds);
  return sha256Digest(raw);
}
