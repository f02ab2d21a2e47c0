import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_ANSWER_CAP, isSmallRequest, sendSmall } from '../../../src/registry/small-request.js';
import { undici } from '../../../src/registry/undici.js';
import { readCapped } from '../../../src/registry/errors.js';

// A scripted loopback server: a registry does not answer a PUT with a body past the cap, nor
// hold an answer until the client gives up; both are what these tests need.
let server: http.Server;
let origin: string;
let connections = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/dup') {
        res.setHeader('x-dup', ['a', 'b']);
        res.setHeader('Location', '/v2/x/blobs/uploads/1?_state=s');
        res.writeHead(202, { 'content-length': '0' });
        return res.end();
      }
      if (req.url === '/echo') {
        res.writeHead(201, { 'content-type': 'text/plain', 'x-method': req.method ?? '' });
        return res.end(`${req.method} ${req.headers['content-length'] ?? '-'}`);
      }
      if (req.url === '/huge') {
        res.writeHead(400, { 'content-type': 'text/html' });
        const chunk = Buffer.alloc(64 * 1024, 0x41);
        let sent = 0;
        const more = (): void => {
          while (sent < 64 * 1024 * 1024) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', more);
          }
          res.end();
        };
        res.on('close', () => (sent = Infinity));
        return more();
      }
      if (req.url === '/never') return; // no answer
      if (req.url === '/cut') {
        // headers and half the declared body, then the connection drops
        res.writeHead(200, { 'content-length': '1000' });
        res.write(Buffer.alloc(500, 0x42));
        return void setTimeout(() => res.socket?.destroy(), 20);
      }
      if (req.url === '/blob') {
        res.writeHead(200, { 'content-length': '3000' });
        return res.end(Buffer.alloc(3000, 0x43));
      }
      res.writeHead(404, { 'content-length': '0' });
      res.end();
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function pool() {
  const u = await undici();
  return { u, pool: new u.Pool(origin, { connections: 2 }) };
}

describe('sendSmall', () => {
  it('gives the status and headers request() gives for the same answer', async () => {
    const { u, pool: p } = await pool();
    const small = await sendSmall(u, p, { method: 'POST', path: '/dup', headers: { 'content-length': '0' }, body: null });
    const viaRequest = await u.request(p, { method: 'POST', path: '/dup', headers: { 'content-length': '0' }, body: null });
    await viaRequest.body.dump();
    expect(small.statusCode).toBe(202);
    const { date: _d1, ...h1 } = small.headers;
    const { date: _d2, ...h2 } = viaRequest.headers;
    expect(h1).toEqual(h2);
    expect(small.headers['x-dup']).toEqual(['a', 'b']);
    await p.close();
  });

  it('sends a body in memory and gives the answer body to text(), json-less readers and readCapped', async () => {
    const { u, pool: p } = await pool();
    const r = await sendSmall(u, p, { method: 'PUT', path: '/echo', headers: { 'content-length': '5' }, body: Buffer.from('hello') });
    expect(r.statusCode).toBe(201);
    expect(await r.body.text()).toBe('PUT 5');
    const again = await sendSmall(u, p, { method: 'PUT', path: '/echo', headers: { 'content-length': '2' }, body: 'hi' });
    const { bytes, truncated } = await readCapped(again.body as unknown as Readable, 1024);
    expect(bytes.toString()).toBe('PUT 2');
    expect(truncated).toBe(false);
    await p.close();
  });

  it('keeps only the cap of a long answer body, closes that connection, and the pool goes on', async () => {
    const { u, pool: p } = await pool();
    const before = connections;
    const r = await sendSmall(u, p, { method: 'PUT', path: '/huge', headers: { 'content-length': '0' }, body: null });
    expect(r.statusCode).toBe(400);
    const { bytes, truncated } = await readCapped(r.body as unknown as Readable, SMALL_ANSWER_CAP + 1);
    expect(bytes.length).toBe(SMALL_ANSWER_CAP);
    expect(truncated).toBe(false);
    const next = await sendSmall(u, p, { method: 'HEAD', path: '/missing', headers: {}, body: null });
    expect(next.statusCode).toBe(404);
    expect(connections).toBeGreaterThan(before);
    await p.close();
  });

  it('rejects with the signal reason, whether aborted before or while waiting', async () => {
    const { u, pool: p } = await pool();
    const early = new AbortController();
    const reason = new Error('stop now');
    early.abort(reason);
    await expect(sendSmall(u, p, { method: 'HEAD', path: '/missing', headers: {}, body: null, signal: early.signal })).rejects.toBe(reason);
    const late = new AbortController();
    const waiting = sendSmall(u, p, { method: 'HEAD', path: '/never', headers: {}, body: null, signal: late.signal });
    const later = new Error('gave up');
    setTimeout(() => late.abort(later), 50);
    await expect(waiting).rejects.toBe(later);
    await p.close();
  });

  it('aborts every request still waiting on a shared signal, and none that has been answered', async () => {
    const { u, pool: p } = await pool();
    const run = new AbortController();
    let listeners = 0;
    const add = run.signal.addEventListener.bind(run.signal);
    run.signal.addEventListener = ((...a: Parameters<AbortSignal['addEventListener']>) => {
      listeners++;
      add(...a);
    }) as AbortSignal['addEventListener'];
    const o = { headers: {}, body: null, signal: run.signal };
    const answered = await sendSmall(u, p, { ...o, method: 'PUT', path: '/echo' });
    const waiting = [1, 2, 3].map(() => sendSmall(u, p, { ...o, method: 'HEAD', path: '/never' }));
    const reason = new Error('run stopped');
    setTimeout(() => run.abort(reason), 50);
    for (const w of waiting) await expect(w).rejects.toBe(reason);
    // the answer that came before the abort is whole, and the signal got one listener for all four
    expect(answered.statusCode).toBe(201);
    expect(await answered.body.text()).toBe('PUT 0');
    expect(listeners).toBe(1);
    await expect(sendSmall(u, p, { ...o, method: 'HEAD', path: '/missing' })).rejects.toBe(reason);
    await p.close();
  });
});

describe('sendSmall gathering a GET', () => {
  it('gives the whole body within the cap, and one byte past a cap the body passes', async () => {
    const { u, pool: p } = await pool();
    const whole = await sendSmall(u, p, { method: 'GET', path: '/blob', headers: {}, body: null, cap: 3001 });
    const got: Buffer[] = [];
    for await (const c of whole.body as unknown as AsyncIterable<Buffer>) got.push(c);
    expect(Buffer.concat(got).length).toBe(3000);
    const cut = await sendSmall(u, p, { method: 'GET', path: '/blob', headers: {}, body: null, cap: 2001 });
    const { bytes } = await readCapped(cut.body as unknown as Readable, 1 << 20);
    expect(bytes.length).toBe(2001);
    await p.close();
  });

  it('a body that breaks off after the headers gives what came, then the error (as the body stream of request() does)', async () => {
    const { u, pool: p } = await pool();
    const r = await sendSmall(u, p, { method: 'GET', path: '/cut', headers: {}, body: null, cap: 1001 });
    expect(r.statusCode).toBe(200);
    let n = 0;
    let failure: unknown;
    try {
      for await (const c of r.body as unknown as AsyncIterable<Buffer>) n += c.length;
    } catch (err) {
      failure = err;
    }
    expect(n).toBe(500);
    expect(failure).toBeInstanceOf(Error);
    await expect(r.body.text()).rejects.toBe(failure);
    await p.close();
  });
});

describe('isSmallRequest', () => {
  it('takes the methods with small answers and bodies in memory only', () => {
    expect(isSmallRequest('HEAD', null)).toBe(true);
    expect(isSmallRequest('PUT', Buffer.from('x'))).toBe(true);
    expect(isSmallRequest('POST', undefined)).toBe(true);
    expect(isSmallRequest('PATCH', 'text')).toBe(true);
    expect(isSmallRequest('DELETE', null)).toBe(true);
    expect(isSmallRequest('GET', null)).toBe(false);
    expect(isSmallRequest('PUT', Readable.from([Buffer.from('x')]))).toBe(false);
  });
});
