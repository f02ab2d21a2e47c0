/**
 * Test harness: starts a real `docker-registry` (distribution 2.8) process on
 * 127.0.0.1 with a free port and a temporary storage directory.
 *
 * Modes:
 * - `plain`:     HTTP, no authentication.
 * - `tls-basic`: HTTPS with a CA and server certificate generated per start
 *                (openssl CLI; SAN IP:127.0.0.1 and DNS:localhost) and htpasswd
 *                (bcrypt) basic auth. `caFile`, `username`, `password` are set.
 * - `token`:     the registry is configured with `auth: token` and trusts a token
 *                server started here (test/harness/token-server.ts) that issues
 *                ES256 JWTs for the requested repository scopes. The registry and
 *                the token server both serve PLAIN HTTP in this mode (no caFile):
 *                token mode tests the bearer-token flow, tls-basic tests TLS.
 *                Anonymous token requests are refused (401); wrong credentials too.
 *                With `tokenTls` the registry serves HTTPS and the token server
 *                stays plain HTTP (an https→http realm downgrade); `realmHost`
 *                announces the realm under another name (e.g. localhost).
 *
 * Every process is stopped by `stop()`, and as a last resort by a process
 * 'exit' handler, so no registry outlives the test process. Missing binaries
 * throw: tests that need a registry fail, they never skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { generateServerCert, htpasswdLine } from './certs.js';
import { installExitHook, killChild, live, startWatchdog } from './process-cleanup.js';
import { startTokenServer, type TokenRequestRecord, type TokenServer } from './token-server.js';

export type RegistryMode = 'plain' | 'tls-basic' | 'token';

export interface StartedRegistry {
  mode: RegistryMode;
  /** "127.0.0.1:PORT" */
  host: string;
  /** "http://127.0.0.1:PORT" (plain, token) or "https://127.0.0.1:PORT" (tls-basic) */
  url: string;
  /** PEM file of the CA that signed the server certificate (tls-basic only). */
  caFile?: string;
  /** Directory holding `ca.crt` only, as skopeo's --*-cert-dir wants (tls-basic only). */
  certDir?: string;
  /** Valid credentials (tls-basic and token modes). */
  username?: string;
  password?: string;
  /** Token server controls (token mode only). */
  token?: TokenControls;
  /** Registry storage root (filesystem driver). */
  storageDir: string;
  stop(): Promise<void>;
}

export interface TokenControls {
  /** The token endpoint, e.g. "http://127.0.0.1:PORT/token". */
  realm: string;
  /** The `service` the registry announces and the token's `aud`. */
  service: string;
  /** Lifetime of tokens issued from now on. */
  setLifetimeSeconds(s: number): void;
  /** Number of tokens issued so far. */
  issuedCount(): number;
  /** Credentials that get only `pull` on every repository (push is never granted). */
  readOnly: { username: string; password: string };
  /** Every token request seen so far: user (null if anonymous), requested scopes, HTTP status. */
  requests(): TokenRequestRecord[];
}

export interface StartRegistryOptions {
  mode?: RegistryMode;
  /** token mode: lifetime of issued tokens in seconds (default 300). */
  tokenLifetimeSeconds?: number;
  /** Where the registry's temporary directory (config, storage) is made (default: the OS temp directory). */
  baseDir?: string;
  /**
   * The blob descriptor cache (default 'inmemory'). 'none' makes every blob request read the
   * repository's link file, as registry replicas sharing object storage without a shared cache
   * do after a restart: what a link rewritten in place under a reader looks like (HTTP 500).
   */
  blobDescriptorCache?: 'inmemory' | 'none';
  /** token mode: the registry serves HTTPS (a per-start CA, as tls-basic) while its token server stays plain HTTP. */
  tokenTls?: boolean;
  /** token mode: the host name the registry announces in its realm instead of 127.0.0.1 (e.g. "localhost"). */
  realmHost?: string;
}

const REGISTRY_BIN_CANDIDATES = ['docker-registry', '/usr/bin/docker-registry'];

function findBinary(names: string[]): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const name of names) {
    const candidates = name.includes('/') ? [name] : dirs.map((d) => path.join(d, name));
    for (const c of candidates) {
      try {
        accessSync(c, fsConstants.X_OK);
        return c;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export function registryBinary(): string {
  const bin = findBinary(REGISTRY_BIN_CANDIDATES);
  if (!bin) throw new Error('docker-registry not found: run scripts/install-system-deps.sh');
  return bin;
}

/** A free TCP port on 127.0.0.1 (bind port 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not read the bound port'));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}

// ---- readiness -------------------------------------------------------------

function probe(url: string, ca: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL('/v2/', url);
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(u, { method: 'GET', ...(ca ? { ca } : {}), agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function waitReady(url: string, ca: string | undefined, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`docker-registry exited (${child.exitCode ?? child.signalCode}) before answering ${url}/v2/:\n${log()}`);
    }
    try {
      const status = await probe(url, ca);
      if (status === 200 || status === 401) return;
      lastErr = new Error(`GET /v2/ answered ${status}`);
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry did not answer ${url}/v2/ within 20 s (${String(lastErr)}):\n${log()}`);
}

// ---- config ----------------------------------------------------------------

function configYaml(o: {
  port: number;
  storage: string;
  tls?: { cert: string; key: string };
  htpasswd?: string;
  token?: { realm: string; service: string; issuer: string; rootcertbundle: string };
  cache: boolean;
}): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(o.storage)}`,
    '  delete:',
    '    enabled: true',
    ...(o.cache ? ['  cache:', '    blobdescriptor: inmemory'] : []),
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${o.port}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
  ];
  if (o.tls) {
    lines.push('  tls:', `    certificate: ${JSON.stringify(o.tls.cert)}`, `    key: ${JSON.stringify(o.tls.key)}`);
  }
  if (o.htpasswd) {
    lines.push('auth:', '  htpasswd:', '    realm: airlift-test', `    path: ${JSON.stringify(o.htpasswd)}`);
  }
  if (o.token) {
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${JSON.stringify(o.token.realm)}`,
      `    service: ${JSON.stringify(o.token.service)}`,
      `    issuer: ${JSON.stringify(o.token.issuer)}`,
      `    rootcertbundle: ${JSON.stringify(o.token.rootcertbundle)}`,
    );
  }
  return lines.join('\n') + '\n';
}

// ---- start -----------------------------------------------------------------

const START_ATTEMPTS = 3;

export async function startRegistry(opts: StartRegistryOptions = {}): Promise<StartedRegistry> {
  const mode = opts.mode ?? 'plain';
  const bin = registryBinary();
  installExitHook();
  const dir = await mkdtemp(path.join(opts.baseDir ?? os.tmpdir(), `airlift-registry-${mode}-`));
  const cleanupDir = (): Promise<void> => rm(dir, { recursive: true, force: true });
  let tokenServer: TokenServer | undefined;
  try {
    const storage = path.join(dir, 'storage');
    const extra: Partial<StartedRegistry> = {};
    let tls: { cert: string; key: string } | undefined;
    let htpasswd: string | undefined;
    let caPem: string | undefined;
    let token: { realm: string; service: string; issuer: string; rootcertbundle: string } | undefined;

    if (mode === 'tls-basic') {
      const certs = await generateServerCert(path.join(dir, 'tls'));
      tls = { cert: certs.certFile, key: certs.keyFile };
      caPem = certs.caPem;
      extra.caFile = certs.caFile;
      extra.certDir = certs.certDir;
      const username = 'airlift';
      const password = `pw-${randomBytes(9).toString('base64url')}`;
      htpasswd = path.join(dir, 'htpasswd');
      await writeFile(htpasswd, await htpasswdLine(username, password));
      extra.username = username;
      extra.password = password;
    } else if (mode === 'token') {
      const username = 'airlift';
      const password = `pw-${randomBytes(9).toString('base64url')}`;
      tokenServer = await startTokenServer({
        dir: path.join(dir, 'token'),
        users: { [username]: { password, actions: ['pull', 'push', 'delete', '*'] } },
        readOnlyActions: ['pull'],
        lifetimeSeconds: opts.tokenLifetimeSeconds ?? 300,
      });
      const realm = opts.realmHost ? tokenServer.realm.replace('//127.0.0.1:', `//${opts.realmHost}:`) : tokenServer.realm;
      if (opts.tokenTls) {
        const certs = await generateServerCert(path.join(dir, 'tls'));
        tls = { cert: certs.certFile, key: certs.keyFile };
        caPem = certs.caPem;
        extra.caFile = certs.caFile;
        extra.certDir = certs.certDir;
      }
      token = {
        realm,
        service: tokenServer.service,
        issuer: tokenServer.issuer,
        rootcertbundle: tokenServer.rootCertFile,
      };
      extra.username = username;
      extra.password = password;
      const ts = tokenServer;
      extra.token = {
        realm,
        service: ts.service,
        setLifetimeSeconds: (s) => ts.setLifetimeSeconds(s),
        issuedCount: () => ts.issuedCount(),
        readOnly: ts.readOnly,
        requests: () => ts.requests(),
      };
    }

    let lastErr: unknown;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      const port = await freePort();
      const configFile = path.join(dir, 'config.yml');
      await writeFile(configFile, configYaml({ port, storage, tls, htpasswd, token, cache: opts.blobDescriptorCache !== 'none' }));
      const child = spawn(bin, ['serve', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
      const entry: { child: ChildProcess; dir: string; watchdog?: ChildProcess } = { child, dir };
      live.add(entry);
      let output = '';
      const keep = (c: Buffer): void => {
        output = (output + c.toString('utf8')).slice(-8192);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      child.on('error', (err) => keep(Buffer.from(String(err))));
      const host = `127.0.0.1:${port}`;
      const url = `${tls ? 'https' : 'http'}://${host}`;
      try {
        await waitReady(url, caPem, child, () => output);
      } catch (err) {
        lastErr = err;
        await killChild(child);
        live.delete(entry);
        if (/address already in use/i.test(output) && attempt < START_ATTEMPTS) continue;
        throw err;
      }
      const watchdog = startWatchdog(child, dir);
      entry.watchdog = watchdog;
      let stopped: Promise<void> | undefined;
      const ts = tokenServer;
      return {
        mode,
        host,
        url,
        storageDir: storage,
        ...extra,
        stop(): Promise<void> {
          stopped ??= (async () => {
            watchdog.kill('SIGKILL');
            await killChild(child);
            live.delete(entry);
            if (ts) await ts.close();
            await cleanupDir();
          })();
          return stopped;
        },
      };
    }
    throw lastErr instanceof Error ? lastErr : new Error(String(lastErr));
  } catch (err) {
    if (tokenServer) await tokenServer.close();
    await cleanupDir();
    throw err;
  }
}
