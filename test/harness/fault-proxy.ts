/**
 * A fault-injecting HTTP proxy for tests: it listens on 127.0.0.1 (free port,
 * plain HTTP), forwards every request to a REAL upstream registry (streaming
 * bodies both ways, HTTP or HTTPS with the harness CA) and, per scripted rule,
 * breaks the answer:
 *
 * - `reset`:    send headers and N body bytes, then reset the TCP connection (RST);
 *               with `beforeForward` (and always for HEAD) reset before upstream sees it;
 *               with `afterRequestBytes` reset after forwarding N bytes of the
 *               request body (an upload cut mid-blob);
 * - `truncate`: send headers (full Content-Length) and N body bytes, then close cleanly (FIN);
 * - `status`:   answer 500/502/503/429 (with `Retry-After`) without forwarding;
 * - `stall`:    hold the request for T ms (bounded), then forward it (recorded
 *               once when the stall starts, with status 0, and again when answered);
 * - `corrupt`:  forward, but flip one byte of the body (same length);
 * - `redirect`: answer 307 to a second listener on another loopback address
 *               (127.0.0.2 when it can be bound) that records the headers it
 *               receives and serves the real bytes, like an object store;
 * - `respond`:  answer with a scripted status, headers and body (for things a
 *               real registry never sends: oversized manifests, odd digests).
 *
 * A rule matches on method + path regex; it lets `skip` matching requests
 * through, then applies to the next `times` (default 1; Infinity = permanent).
 * Every request is recorded (method, path, status, headers, whether it carried
 * Authorization). Stalls are capped at 30 s and released by `stop()`; the
 * proxy refuses to serve more than 50 000 requests.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { FlipByte, cutBody, listen, methodMatches } from './fault-streams.js';
import type { Fault, FaultProxy, FaultRule, RecordedRequest, RuleHandle, UpstreamTarget } from './fault-types.js';

export type { Fault, FaultProxy, FaultRule, RecordedRequest, RuleHandle, UpstreamTarget } from './fault-types.js';

const MAX_REQUESTS = 50_000;
const MAX_STALL_MS = 30_000;

interface LiveRule {
  rule: FaultRule;
  matched: number;
  applied: number;
}

export async function startFaultProxy(upstream: UpstreamTarget): Promise<FaultProxy> {
  const up = new URL(upstream.url);
  const isTls = up.protocol === 'https:';
  const ca = upstream.caFile ? readFileSync(upstream.caFile) : undefined;
  const agent = isTls ? new https.Agent({ keepAlive: true, maxSockets: 32, ...(ca ? { ca } : {}) }) : new http.Agent({ keepAlive: true, maxSockets: 32 });
  const rules: LiveRule[] = [];
  const log: RecordedRequest[] = [];
  const redirectLog: RecordedRequest[] = [];
  const waiters: Array<{ pred: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }> = [];
  const sockets = new Set<Socket>();
  const stalls = new Set<NodeJS.Timeout>();
  const redirects = new Map<string, { path: string; authorization?: string }>();
  let seq = 0;
  let stopped = false;

  const record = (list: RecordedRequest[], req: http.IncomingMessage, status: number, fault?: Fault['kind']): RecordedRequest => {
    const r: RecordedRequest = {
      seq: ++seq,
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: { ...req.headers },
      authorization: req.headers.authorization !== undefined,
      status,
      ...(fault ? { fault } : {}),
      time: Date.now(),
    };
    list.push(r);
    if (list === log) {
      for (const w of [...waiters]) {
        if (w.pred(r)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(r);
        }
      }
    }
    return r;
  };

  const pickRule = (method: string, path: string, headers: http.IncomingHttpHeaders): Fault | undefined => {
    for (const lr of rules) {
      if (!methodMatches(lr.rule.method, method) || !lr.rule.path.test(path)) continue;
      if (lr.rule.when && !lr.rule.when({ method, path, headers })) continue;
      lr.matched++;
      const skip = lr.rule.skip ?? 0;
      const times = lr.rule.times ?? 1;
      if (lr.matched > skip && lr.applied < times) {
        lr.applied++;
        return lr.rule.fault;
      }
    }
    return undefined;
  };

  /** Forwards to upstream; `onResponse` gets the upstream answer (headers not yet sent to the client). */
  const forward = (
    req: http.IncomingMessage,
    path: string,
    headers: http.OutgoingHttpHeaders,
    onResponse: (res: http.IncomingMessage) => void,
    onError: (err: Error) => void,
  ): void => {
    const mod = isTls ? https : http;
    const upReq = mod.request(
      { protocol: up.protocol, hostname: up.hostname, port: up.port, method: req.method, path, headers, agent },
      onResponse,
    );
    upReq.on('error', onError);
    req.pipe(upReq);
  };

  const rewriteLocation = (headers: http.IncomingHttpHeaders, clientHost: string): http.OutgoingHttpHeaders => {
    const out: http.OutgoingHttpHeaders = { ...headers };
    const loc = headers.location;
    if (typeof loc === 'string' && loc.startsWith(`${up.protocol}//${up.host}`)) {
      out.location = `http://${clientHost}${loc.slice(`${up.protocol}//${up.host}`.length)}`;
    } else if (typeof loc === 'string' && isTls && loc.startsWith(`https://${clientHost}`)) {
      out.location = `http://${clientHost}${loc.slice(`https://${clientHost}`.length)}`;
    }
    return out;
  };

  const upstreamHeaders = (req: http.IncomingMessage): http.OutgoingHttpHeaders => {
    const h: http.OutgoingHttpHeaders = { ...req.headers };
    // The registry builds absolute Location URLs from Host and X-Forwarded-Proto:
    // keep the client's Host so they point back at the proxy.
    h['x-forwarded-proto'] = 'http';
    delete h.connection;
    return h;
  };

  let redirectBase = '';

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const clientHost = req.headers.host ?? `127.0.0.1`;
    if (stopped || seq >= MAX_REQUESTS) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('fault proxy stopped or over its request budget\n');
      record(log, req, 503);
      return;
    }
    const fault = pickRule(method, path, req.headers);
    const kind = fault?.kind;

    if (fault?.kind === 'status') {
      req.resume();
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      const body = fault.body ?? JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: `injected ${fault.status}` }] });
      record(log, req, fault.status, kind);
      res.writeHead(fault.status, headers).end(body);
      return;
    }
    if (fault?.kind === 'respond') {
      req.resume();
      record(log, req, fault.status, kind);
      const body = fault.body ?? '';
      // A scripted `transfer-encoding: chunked` answer has no length (the client cannot size it up front).
      const chunked = Object.entries(fault.headers ?? {}).some(([k, v]) => k.toLowerCase() === 'transfer-encoding' && v === 'chunked');
      res.writeHead(fault.status, { ...(chunked ? {} : { 'content-length': String(Buffer.byteLength(body)) }), ...(fault.headers ?? {}) });
      res.end(method === 'HEAD' ? undefined : body);
      return;
    }
    if (fault?.kind === 'redirect') {
      req.resume();
      const id = randomBytes(12).toString('hex');
      const auth = req.headers.authorization;
      redirects.set(id, { path, ...(auth !== undefined ? { authorization: auth } : {}) });
      record(log, req, fault.status ?? 307, kind);
      res.writeHead(fault.status ?? 307, { location: `${redirectBase}/object/${id}?X-Amz-Signature=fake`, 'content-length': '0' }).end();
      return;
    }

    const go = (): void => {
      forward(
        req,
        path,
        upstreamHeaders(req),
        (upRes) => {
          const status = upRes.statusCode ?? 502;
          const headers = rewriteLocation(upRes.headers, clientHost);
          delete headers.connection;
          delete headers['keep-alive'];
          if (fault?.kind === 'corrupt' && status < 300 && method !== 'HEAD') {
            record(log, req, status, kind);
            res.writeHead(status, headers);
            const len = Number(upRes.headers['content-length'] ?? 0);
            upRes.pipe(new FlipByte(fault.offset ?? Math.floor(len / 2))).pipe(res);
            return;
          }
          if ((fault?.kind === 'reset' || fault?.kind === 'truncate') && method !== 'HEAD') {
            record(log, req, status, kind);
            cutBody(upRes, res, status, headers, fault.kind, fault.afterBytes ?? 0);
            return;
          }
          record(log, req, status, kind === 'stall' ? undefined : kind);
          res.writeHead(status, headers);
          upRes.pipe(res);
        },
        (err) => {
          record(log, req, 502, kind);
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`fault proxy: upstream error ${err.message}\n`);
          else res.destroy();
        },
      );
    };

    if (fault?.kind === 'stall') {
      // Recorded when the stall starts (status 0); the forwarded answer is recorded again when it is sent.
      record(log, req, 0, kind);
      const t = setTimeout(() => {
        stalls.delete(t);
        if (!stopped) go();
      }, Math.min(fault.ms, MAX_STALL_MS));
      stalls.add(t);
      return;
    }
    if (fault?.kind === 'reset' && fault.afterRequestBytes !== undefined) {
      const limit = fault.afterRequestBytes;
      record(log, req, 0, kind);
      const mod = isTls ? https : http;
      const upReq = mod.request({ protocol: up.protocol, hostname: up.hostname, port: up.port, method, path, headers: upstreamHeaders(req), agent: false });
      let sent = 0;
      upReq.on('error', (err) => {
        if (sent < limit && !res.headersSent) res.writeHead(502).end(`fault proxy: upstream error ${err.message}\n`);
      });
      // A body shorter than the limit is forwarded whole, and so is the answer.
      upReq.on('response', (r) => {
        if (sent >= limit) {
          r.resume();
          return;
        }
        const headers = rewriteLocation(r.headers, clientHost);
        delete headers.connection;
        delete headers['keep-alive'];
        res.writeHead(r.statusCode ?? 502, headers);
        r.pipe(res);
      });
      req.on('data', (chunk: Buffer) => {
        if (sent >= limit) return;
        const part = chunk.subarray(0, limit - sent);
        sent += part.length;
        upReq.write(part);
        if (sent >= limit) {
          upReq.destroy();
          req.socket.resetAndDestroy();
        }
      });
      req.on('end', () => {
        if (sent < limit) upReq.end();
      });
      return;
    }
    if (fault?.kind === 'reset' && (method === 'HEAD' || fault.beforeForward)) {
      req.resume();
      record(log, req, 0, kind);
      req.socket.resetAndDestroy();
      return;
    }
    go();
  };

  const server = http.createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    }
  });
  let accepted = 0;
  server.on('connection', (s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  // The redirect target: another loopback host, like an object store behind a presigned URL.
  const target = http.createServer((req, res) => {
    const m = /^\/object\/([0-9a-f]+)/.exec(req.url ?? '');
    const entry = m ? redirects.get(m[1]!) : undefined;
    if (!entry) {
      record(redirectLog, req, 404);
      res.writeHead(404).end();
      return;
    }
    const headers: http.OutgoingHttpHeaders = { ...(req.headers.range ? { range: req.headers.range } : {}), host: up.host };
    // The presigned URL carries the right to read: fetch with the original credentials.
    if (entry.authorization) headers.authorization = entry.authorization;
    forward(
      req,
      entry.path,
      headers,
      (upRes) => {
        record(redirectLog, req, upRes.statusCode ?? 502);
        const h: http.OutgoingHttpHeaders = {};
        for (const k of ['content-length', 'content-type', 'content-range', 'accept-ranges', 'docker-content-digest']) {
          if (upRes.headers[k] !== undefined) h[k] = upRes.headers[k];
        }
        res.writeHead(upRes.statusCode ?? 502, h);
        upRes.pipe(res);
      },
      (err) => {
        record(redirectLog, req, 502);
        if (!res.headersSent) res.writeHead(502).end(err.message);
      },
    );
  });
  target.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const port = await listen(server, '127.0.0.1');
  let targetAddr = '127.0.0.2';
  let targetPort: number;
  try {
    targetPort = await listen(target, targetAddr);
  } catch {
    targetAddr = '127.0.0.1';
    targetPort = await listen(target, targetAddr);
  }
  redirectBase = `http://${targetAddr}:${targetPort}`;

  let stopping: Promise<void> | undefined;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    redirectHost: `${targetAddr}:${targetPort}`,
    connections: () => accepted,
    addRule(rule: FaultRule): RuleHandle {
      const lr: LiveRule = { rule, matched: 0, applied: 0 };
      rules.push(lr);
      return {
        applied: () => lr.applied,
        matched: () => lr.matched,
        remove: () => {
          const i = rules.indexOf(lr);
          if (i >= 0) rules.splice(i, 1);
        },
      };
    },
    clearRules: () => void rules.splice(0, rules.length),
    requests: () => [...log],
    redirected: () => [...redirectLog],
    clearLog: () => {
      log.splice(0, log.length);
      redirectLog.splice(0, redirectLog.length);
    },
    waitFor(pred, timeoutMs = 20_000): Promise<RecordedRequest> {
      const hit = log.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const w = {
          pred,
          resolve: (r: RecordedRequest) => {
            clearTimeout(t);
            resolve(r);
          },
        };
        const t = setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`fault proxy: no matching request within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    stop(): Promise<void> {
      stopping ??= (async () => {
        stopped = true;
        for (const t of stalls) clearTimeout(t);
        stalls.clear();
        for (const s of sockets) s.destroy();
        await Promise.all([new Promise<void>((r) => server.close(() => r())), new Promise<void>((r) => target.close(() => r()))]);
        agent.destroy();
      })();
      return stopping;
    },
  };
}
