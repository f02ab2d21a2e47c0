/**
 * A registry.k8s.io-style front for a real plain-HTTP docker-registry, for tests:
 *
 * - GET /v2/ and every /v2/… request without the front's bearer token answer 401 with a
 *   `Bearer realm="http://FRONT/token",service="k8s-front"` challenge; GET /token hands out a
 *   token to anyone (registry.k8s.io is anonymous, but still asks for the token dance);
 * - every manifest and blob request (GET and HEAD, by tag or digest) is answered with a 307 to
 *   the same path on a storage host: a pass-through to the registry on another loopback
 *   address (127.0.0.2 by default) and port, which refuses any request carrying Authorization
 *   (a client must not send the front's credentials to another host) and records what it saw;
 * - anything else under /v2/ (tags/list) is passed to the registry by the front itself.
 *
 * Read-only: it fronts pulls, as registry.k8s.io does.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FrontRequest {
  method: string;
  path: string;
  status: number;
}

export interface StorageRequest {
  method: string;
  path: string;
  /** The Authorization header that arrived (a defect when set: the request was refused). */
  authorization: string | undefined;
}

export interface RedirectingFront {
  /** "127.0.0.1:PORT": name images with it. */
  host: string;
  /** "127.0.0.2:PORT": where manifests and blobs are redirected. */
  storageHost: string;
  /** Every request the front answered. */
  frontRequests: FrontRequest[];
  /** Every request the storage host received. */
  storageRequests: StorageRequest[];
  /** Tokens issued. */
  tokensIssued(): number;
  close(): Promise<void>;
}

export interface RedirectingFrontOptions {
  /** The registry fronted: "127.0.0.1:PORT" (plain HTTP). */
  target: string;
  /** The front's address (default 127.0.0.1). */
  frontAddress?: string;
  /** The storage host's address (default 127.0.0.2: another host than the front). */
  storageAddress?: string;
  /** Redirect status (default 307). */
  status?: 301 | 302 | 303 | 307 | 308;
}

const CONTENT = /^\/v2\/(.+)\/(manifests|blobs)\/[^/]+$/;

function forward(target: string, agent: http.Agent, req: http.IncomingMessage, res: http.ServerResponse, stripAuth: boolean): void {
  const [host, port] = target.split(':') as [string, string];
  const headers = { ...req.headers, host: target };
  if (stripAuth) delete headers.authorization;
  const up = http.request({ host, port: Number(port), method: req.method, path: req.url, headers, agent }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  up.on('error', () => res.destroy());
  req.pipe(up);
}

async function listen(server: http.Server, address: string): Promise<string> {
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve());
  });
  return `${address}:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

export async function startRedirectingFront(o: RedirectingFrontOptions): Promise<RedirectingFront> {
  const agent = new http.Agent({ keepAlive: true });
  const token = randomBytes(16).toString('hex');
  let issued = 0;
  const frontRequests: FrontRequest[] = [];
  const storageRequests: StorageRequest[] = [];

  const storage = http.createServer((req, res) => {
    storageRequests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
    if (req.headers.authorization) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('this host takes no Authorization: it was meant for another host\n');
      return;
    }
    forward(o.target, agent, req, res, false);
  });
  const storageHost = await listen(storage, o.storageAddress ?? '127.0.0.2');

  let frontHost = '';
  const front = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${frontHost}`);
    const answer = (status: number, headers: http.OutgoingHttpHeaders = {}, body = ''): void => {
      frontRequests.push({ method: req.method ?? '', path: req.url ?? '', status });
      res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (url.pathname === '/token') {
      issued++;
      answer(200, { 'content-type': 'application/json' }, JSON.stringify({ token, access_token: token, expires_in: 300 }));
      return;
    }
    if (!url.pathname.startsWith('/v2/')) return answer(404);
    if (req.headers.authorization !== `Bearer ${token}`) {
      const repo = CONTENT.exec(url.pathname)?.[1];
      const scope = repo ? `,scope="repository:${repo}:pull"` : '';
      answer(401, { 'content-type': 'application/json', 'www-authenticate': `Bearer realm="http://${frontHost}/token",service="k8s-front"${scope}` }, '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    if (url.pathname === '/v2/') return answer(200, { 'content-type': 'application/json' }, '{}');
    if (CONTENT.test(url.pathname) && (req.method === 'GET' || req.method === 'HEAD')) {
      answer(o.status ?? 307, { location: `http://${storageHost}${url.pathname}${url.search}`, 'content-type': 'text/html; charset=utf-8' });
      return;
    }
    frontRequests.push({ method: req.method ?? '', path: req.url ?? '', status: 0 });
    forward(o.target, agent, req, res, true);
  });
  frontHost = await listen(front, o.frontAddress ?? '127.0.0.1');

  return {
    host: frontHost,
    storageHost,
    frontRequests,
    storageRequests,
    tokensIssued: () => issued,
    close: async () => {
      agent.destroy();
      await Promise.all([closeServer(front), closeServer(storage)]);
    },
  };
}
