/**
 * TLS settings per registry: extra CA files (--ca-file), per-host CA
 * directories (certs.d, as docker and containers use them) and
 * --insecure-skip-tls-verify. Extra CAs add to Node's bundled roots.
 */
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../errors.js';

export interface TlsOptions {
  /** PEM files trusted for every registry. */
  caFiles?: string[];
  /** Skip certificate verification for every registry. */
  insecureSkipTlsVerify?: boolean;
  /** Hosts for which verification is skipped (per registry; compared case-insensitively). */
  insecureHosts?: string[];
  /** Lower-cased host[:port] → PEM files trusted for that registry only. */
  hostCaFiles?: Record<string, string[]>;
  /**
   * Directories laid out as DIR/HOST[:PORT]/*.crt holding per-registry CAs.
   * Default: /etc/docker/certs.d, /etc/containers/certs.d, ~/.config/containers/certs.d.
   */
  certsDirs?: string[];
}

export interface ConnectTls {
  ca?: string[];
  rejectUnauthorized: boolean;
}

export function defaultCertsDirs(env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME || os.homedir();
  return ['/etc/docker/certs.d', '/etc/containers/certs.d', path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'containers', 'certs.d')];
}

async function readCa(file: string): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read CA file ${file}: ${(err as Error).message}`, { hint: 'pass a readable PEM file to --ca-file' });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new InputError(`CA file ${file} holds no PEM certificate`, { hint: 'pass a PEM bundle (-----BEGIN CERTIFICATE-----)' });
  }
  return pem;
}

async function hostCas(dirs: string[], host: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of dirs) {
    const dir = path.join(d, host.replace(/[/\\]/g, '_'));
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const n of names.sort()) if (n.endsWith('.crt')) out.push(await readCa(path.join(dir, n)));
  }
  return out;
}

/** Connection TLS options for one registry host. */
export async function tlsFor(host: string, opts: TlsOptions, env: NodeJS.ProcessEnv): Promise<ConnectTls> {
  const key = host.toLowerCase();
  const insecure = Boolean(opts.insecureSkipTlsVerify) || (opts.insecureHosts ?? []).some((h) => h.toLowerCase() === key);
  const extra = [
    ...(await Promise.all((opts.caFiles ?? []).map(readCa))),
    ...(await Promise.all((opts.hostCaFiles?.[key] ?? []).map(readCa))),
    ...(await hostCas(opts.certsDirs ?? defaultCertsDirs(env), host)),
  ];
  if (extra.length === 0) return { rejectUnauthorized: !insecure };
  // imported here: the named export is a getter that reads and parses Node's ~150 root certificates,
  // and an ES module import of node:tls reads every export when it loads (most runs add no CA)
  const { rootCertificates } = await import('node:tls');
  return { ca: [...rootCertificates, ...extra], rejectUnauthorized: !insecure };
}
