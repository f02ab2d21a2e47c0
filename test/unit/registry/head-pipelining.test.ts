/**
 * HEADs travel pipelined (HEAD_PIPELINING in flight per connection, on a pool of their own:
 * src/registry/transport.ts). A scripted loopback server, because what is checked is how the
 * requests arrive on the connections (how many each read holds) and a connection that drops in
 * the middle of a pipeline, which a real registry does not do on demand.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../src/registry/client.js';

interface Conn {
  /** Request lines in the order they arrived. */
  requests: string[];
  /** The most requests received and not yet answered at once (> 1: sent without waiting for an answer). */
  mostInFlight: number;
}

let server: net.Server;
let host: string;
let conns: Conn[] = [];
/** Drop a connection when a request arrives while this many are unanswered on it (0: never): a front that breaks on pipelining. */
let dropAt = 0;
/** GETs of /v2/slow/... are answered only when this is called. */
let releaseSlow: (() => void)[] = [];

beforeAll(async () => {
  server = net.createServer((socket) => {
    const c: Conn = { requests: [], mostInFlight: 0 };
    let inFlight = 0;
    conns.push(c);
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        const line = head.split('\r\n')[0]!;
        c.requests.push(line);
        const [method, path] = line.split(' ');
        if (dropAt && inFlight >= dropAt) {
          socket.destroy();
          return;
        }
        inFlight++;
        c.mostInFlight = Math.max(c.mostInFlight, inFlight);
        const answer = (): void => {
          inFlight--;
          if (socket.destroyed) return;
          if (path === '/v2/') socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}');
          else if (method === 'HEAD') socket.write(`HTTP/1.1 200 OK\r\ndocker-content-digest: sha256:${'a'.repeat(64)}\r\ncontent-length: 100\r\n\r\n`);
          else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello');
        };
        if (method === 'GET' && path!.startsWith('/v2/slow/')) releaseSlow.push(answer);
        else setTimeout(answer, 2); // answers in order (same delay), a little after the request came
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  conns = [];
  dropAt = 0;
  releaseSlow = [];
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

const client = (): RegistryClient => new RegistryClient({ plainHttp: [host], retry: { attempts: 3, baseDelayMs: 0 } });
const head = (c: RegistryClient, i: number) => c.requester.request({ method: 'HEAD', host, path: `/v2/app-${i}/manifests/v1`, scopes: [], accept: [200], what: `manifest app-${i}` });

describe('HEADs are pipelined on a pool of their own', () => {
  it('HEADs go on connections of their own, several in flight on one, and all are answered', async () => {
    const c = client();
    try {
      // the first wave opens the connections (undici opens one per request still connecting); the second finds them open
      const first = await Promise.all(Array.from({ length: 16 }, (_, i) => head(c, i)));
      const opened = conns.length;
      const second = await Promise.all(Array.from({ length: 16 }, (_, i) => head(c, 16 + i)));
      expect([...first, ...second].map((r) => r.res.statusCode)).toEqual(Array(32).fill(200));
      expect(conns.length).toBe(opened);
      const heads = conns.filter((k) => k.requests.some((l) => l.startsWith('HEAD ')));
      expect(heads.flatMap((k) => k.requests.filter((l) => l.startsWith('HEAD '))).length).toBe(32);
      // HEADs and other requests (the /v2/ ping) never share a connection
      for (const k of heads) expect(k.requests.every((l) => l.startsWith('HEAD '))).toBe(true);
      // pipelined: connections had several HEADs arrive before they answered the first
      expect(Math.max(...heads.map((k) => k.mostInFlight))).toBeGreaterThan(1);
      expect(Math.max(...heads.map((k) => k.requests.length))).toBeGreaterThanOrEqual(8);
    } finally {
      await c.close();
    }
  });

  it('a front that drops a connection carrying 2 unanswered requests: every HEAD is still answered, one at a time after the first drop', async () => {
    const c = client();
    dropAt = 2;
    try {
      await head(c, 99); // the connections are open: the next ones go several to a connection
      const res = await Promise.all(Array.from({ length: 16 }, (_, i) => head(c, i)));
      expect(res.map((r) => r.res.statusCode)).toEqual(Array(16).fill(200));
      const dropped = conns.filter((k) => k.mostInFlight >= 2);
      expect(dropped.length).toBeGreaterThan(0); // a connection did drop
      const later = conns.slice(conns.indexOf(dropped[dropped.length - 1]!) + 1);
      expect(later.every((k) => k.mostInFlight <= 1)).toBe(true);
      const sent = conns.flatMap((k) => k.requests.filter((l) => l.startsWith('HEAD ')));
      expect(new Set(sent).size).toBe(17);
    } finally {
      await c.close();
    }
  });

  it('a HEAD does not wait behind a GET whose answer is held', async () => {
    const c = client();
    try {
      const slow = c.requester.request({ method: 'GET', host, path: '/v2/slow/blobs/x', scopes: [], accept: [200], what: 'slow blob' });
      while (releaseSlow.length === 0) await new Promise((r) => setTimeout(r, 5));
      const res = await Promise.all(Array.from({ length: 8 }, (_, i) => head(c, i)));
      expect(res.map((r) => r.res.statusCode)).toEqual(Array(8).fill(200));
      releaseSlow.forEach((f) => f());
      const g = await slow;
      expect(await g.res.body.text()).toBe('hello');
    } finally {
      await c.close();
    }
  });
});
