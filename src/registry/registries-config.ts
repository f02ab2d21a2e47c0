/**
 * Per-registry connection settings: what --ca-file, --insecure-skip-tls-verify
 * and --plain-http do, for named registries only. Read from the file named by
 * $AIRLIFT_REGISTRIES_CONFIG, else ${XDG_CONFIG_HOME:-~/.config}/airlift/registries.yaml
 * (a missing default file means no settings):
 *
 *   registries:
 *     mirror.internal:5000:
 *       caFile: mirror-ca.pem          # PEM; relative to this file; or a list
 *     lab-registry:5000:
 *       insecureSkipTlsVerify: true    # do not verify this registry's certificate
 *     build-cache:5000:
 *       plainHttp: true                # talk plain HTTP to it
 *
 * Per-host CA directories (certs.d) keep working alongside (see tls.ts).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseYamlMap, isMap } from '../chart/yaml.js';
import { InputError, NotFoundError } from '../errors.js';
import { parseReference } from '../reference/index.js';

export interface RegistrySettings {
  /** The file the settings came from (undefined: none). */
  file?: string;
  /** Lower-cased host[:port] → CA files trusted for it only. */
  caFiles: Record<string, string[]>;
  /** Lower-cased hosts whose certificates are not verified. */
  insecureHosts: string[];
  /** Hosts spoken to over plain HTTP. */
  plainHttp: string[];
}

const FIELDS = ['caFile', 'insecureSkipTlsVerify', 'plainHttp'];

export function registriesConfigPath(env: NodeJS.ProcessEnv): { file: string; explicit: boolean } {
  if (env.AIRLIFT_REGISTRIES_CONFIG) return { file: env.AIRLIFT_REGISTRIES_CONFIG, explicit: true };
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return { file: path.join(base, 'airlift', 'registries.yaml'), explicit: false };
}

/** Validates a registries config document; relative CA paths resolve against the file's directory. */
export function parseRegistriesConfig(text: string, file: string): RegistrySettings {
  const fail = (field: string, problem: string): never => {
    throw new InputError(`${file}: ${field}: ${problem}`, { hint: `fix ${field} in ${file} (registries: HOST[:PORT]: {caFile, insecureSkipTlsVerify, plainHttp})` });
  };
  const doc = parseYamlMap(text, file, 'a registries config file');
  const out: RegistrySettings = { file, caFiles: {}, insecureHosts: [], plainHttp: [] };
  for (const k of Object.keys(doc)) if (k !== 'registries') fail(k, 'unknown field; expected registries');
  const regs = doc.registries ?? {};
  if (!isMap(regs)) return fail('registries', 'expected a map of HOST[:PORT] to settings');
  for (const [host, v] of Object.entries(regs)) {
    const at = `registries.${host}`;
    let ok = false;
    try {
      ok = parseReference(`${host}/x`).registry === host;
    } catch {
      ok = false;
    }
    if (!ok) fail(at, 'expected a registry host with an optional port, e.g. mirror.internal:5000');
    if (!isMap(v)) return fail(at, `expected a map with ${FIELDS.join(', ')}`);
    const key = host.toLowerCase();
    for (const f of Object.keys(v)) if (!FIELDS.includes(f)) fail(`${at}.${f}`, `unknown field; expected one of ${FIELDS.join(', ')}`);
    if (v.caFile !== undefined) {
      const list = typeof v.caFile === 'string' ? [v.caFile] : v.caFile;
      if (!Array.isArray(list) || list.some((c) => typeof c !== 'string' || c === '')) fail(`${at}.caFile`, 'expected a PEM file path or a list of them');
      out.caFiles[key] = (list as string[]).map((c) => path.resolve(path.dirname(path.resolve(file)), c));
    }
    for (const f of ['insecureSkipTlsVerify', 'plainHttp'] as const) {
      if (v[f] !== undefined && typeof v[f] !== 'boolean') fail(`${at}.${f}`, 'expected true or false');
    }
    if (v.insecureSkipTlsVerify === true) out.insecureHosts.push(key);
    if (v.plainHttp === true) out.plainHttp.push(host);
  }
  return out;
}

/** Reads the registries config file (an explicitly named file must exist; the default one may not). */
export function readRegistriesConfig(env: NodeJS.ProcessEnv): RegistrySettings {
  const { file, explicit } = registriesConfigPath(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return { caFiles: {}, insecureHosts: [], plainHttp: [] };
    if (code === 'ENOENT') throw new NotFoundError(`registries config ${file} does not exist`, { hint: 'check AIRLIFT_REGISTRIES_CONFIG' });
    throw new InputError(`cannot read registries config ${file}: ${(e as Error).message}`);
  }
  return parseRegistriesConfig(text, file);
}
