/**
 * A small Docker registry token server (the "token" auth scheme of
 * distribution) for the harness, on node:http at 127.0.0.1.
 *
 *   GET /token?service=SERVICE&scope=repository:NAME:pull,push[&scope=...]
 *   Authorization: Basic base64(user:password)
 *
 * Anonymous requests and wrong credentials get 401. Known users get a JWT
 * granting the requested actions they are allowed (full users: pull, push,
 * delete, *; the read-only user: pull; `registry:catalog:*` for full users).
 * The JWT is ES256-signed with a key whose certificate (signed by a per-run
 * CA, the registry's `rootcertbundle`) travels in the `x5c` header, which is
 * how distribution 2.8 finds and trusts the signing key.
 *
 * Lifetime: distribution 2.8 accepts a token until `exp` + 60 s (clock-skew
 * leeway). So that a token is really refused `lifetime` seconds after it was
 * issued, as `expires_in` tells clients, the `exp` claim is set to
 * issued + lifetime - 60 s.
 */
import { createHash, randomBytes, sign, X509Certificate } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateCa, generateLeaf } from './certs.js';

/** distribution's registry/auth/token Leeway. */
export const REGISTRY_TOKEN_LEEWAY_SECONDS = 60;

export interface TokenUser {
  password: string;
  /** Actions this user may get on any repository. */
  actions: string[];
}

export interface TokenRequestRecord {
  user: string | null;
  scopes: string[];
  status: number;
}

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  rootCertFile: string;
  readOnly: { username: string; password: string };
  setLifetimeSeconds(s: number): void;
  issuedCount(): number;
  /** Every request seen so far (user name, requested scopes, status answered). */
  requests(): TokenRequestRecord[];
  close(): Promise<void>;
}

export interface TokenServerOptions {
  dir: string;
  users: Record<string, TokenUser>;
  /** Actions of the generated read-only user. */
  readOnlyActions: string[];
  lifetimeSeconds: number;
  service?: string;
  issuer?: string;
}

interface Scope {
  type: string;
  name: string;
  actions: string[];
}

/** `type:name:actions`; the name may itself contain ':' (e.g. a host:port prefix). */
export function parseScope(s: string): Scope | undefined {
  const first = s.indexOf(':');
  const last = s.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  return {
    type: s.slice(0, first),
    name: s.slice(first + 1, last),
    actions: s.slice(last + 1).split(',').filter(Boolean),
  };
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+(\S+)$/i.exec(header);
  if (!m?.[1]) return undefined;
  const raw = Buffer.from(m[1], 'base64').toString('utf8');
  const i = raw.indexOf(':');
  if (i < 0) return undefined;
  return { user: raw.slice(0, i), password: raw.slice(i + 1) };
}

function sameSecret(a: string, b: string): boolean {
  // Compare digests so timing does not depend on the common prefix.
  return createHash('sha256').update(a).digest().equals(createHash('sha256').update(b).digest());
}

export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  await mkdir(opts.dir, { recursive: true });
  const ca = await generateCa(opts.dir, 'airlift test token CA');
  const signer = await generateLeaf(opts.dir, 'token-signer', ca, 'airlift test token signer', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
  ]);
  const x5c = [new X509Certificate(signer.certPem).raw.toString('base64')];
  const service = opts.service ?? 'airlift-test-registry';
  const issuer = opts.issuer ?? 'airlift-test-token-issuer';
  const readOnly = { username: 'reader', password: `ro-${randomBytes(9).toString('base64url')}` };
  const users: Record<string, TokenUser> = {
    ...opts.users,
    [readOnly.username]: { password: readOnly.password, actions: opts.readOnlyActions },
  };
  let lifetime = opts.lifetimeSeconds;
  let issued = 0;
  const log: TokenRequestRecord[] = [];

  function issue(subject: string, access: Scope[]): { token: string; expiresIn: number; issuedAt: Date } {
    const now = new Date();
    const iat = Math.floor(now.getTime() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c };
    const claims = {
      iss: issuer,
      sub: subject,
      aud: service,
      exp: iat + lifetime - REGISTRY_TOKEN_LEEWAY_SECONDS,
      nbf: iat,
      iat,
      jti: randomBytes(12).toString('hex'),
      access: access.map((a) => ({ type: a.type, name: a.name, actions: a.actions })),
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(input), { key: signer.keyPem, dsaEncoding: 'ieee-p1363' });
    issued++;
    return { token: `${input}.${b64url(sig)}`, expiresIn: lifetime, issuedAt: now };
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    const creds = parseBasic(req.headers.authorization);
    const record = (status: number): void => {
      log.push({ user: creds?.user ?? null, scopes, status });
    };
    req.resume();
    if (req.method !== 'GET' || url.pathname !== '/token') {
      record(404);
      reply(404, { errors: [{ code: 'NOT_FOUND', message: 'only GET /token is served' }] });
      return;
    }
    const svc = url.searchParams.get('service');
    if (svc !== null && svc !== service) {
      record(400);
      reply(400, { errors: [{ code: 'INVALID_SERVICE', message: `unknown service ${svc}` }] });
      return;
    }
    const user = creds ? users[creds.user] : undefined;
    if (!creds || !user || !sameSecret(creds.password, user.password)) {
      record(401);
      reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, { 'www-authenticate': 'Basic realm="airlift-test-token"' });
      return;
    }
    const granted: Scope[] = [];
    for (const raw of scopes) {
      const s = parseScope(raw);
      if (!s) continue;
      let actions: string[] = [];
      if (s.type === 'repository') actions = s.actions.filter((a) => user.actions.includes(a));
      else if (s.type === 'registry' && s.name === 'catalog' && user.actions.includes('*')) actions = s.actions.filter((a) => a === '*');
      if (actions.length > 0) granted.push({ type: s.type, name: s.name, actions });
    }
    const t = issue(creds.user, granted);
    record(200);
    reply(200, { token: t.token, access_token: t.token, expires_in: t.expiresIn, issued_at: t.issuedAt.toISOString() });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    rootCertFile: ca.caFile,
    readOnly,
    setLifetimeSeconds(s: number): void {
      if (!Number.isFinite(s) || s <= 0) throw new Error(`token lifetime must be a positive number of seconds, got ${s}`);
      lifetime = s;
    },
    issuedCount: () => issued,
    requests: () => log.slice(),
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
