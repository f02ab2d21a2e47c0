/**
 * Misbehaviour nginx does not produce on demand, from a scripted server on loopback: a 503 and a
 * connection dropped mid-body, each once. The fetcher asks again and gets the chart; a status that
 * stays is an E_NETWORK error naming the URL and the attempts.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChartFetcher } from '../../../src/chart/remote/index.js';

const TGZ = Buffer.alloc(64 * 1024, 7);
const digest = createHash('sha256').update(TGZ).digest('hex');
const INDEX = `apiVersion: v1\nentries:\n  app:\n  - name: app\n    version: 1.0.0\n    digest: ${digest}\n    urls: [app-1.0.0.tgz]\n  broken:\n  - name: broken\n    version: 1.0.0\n    urls: [always-503.tgz]\n`;
const seen: string[] = [];
let server: http.Server;
let base: string;

beforeAll(async () => {
  const count = new Map<string, number>();
  server = http.createServer((req, res) => {
    const n = (count.get(req.url!) ?? 0) + 1;
    count.set(req.url!, n);
    seen.push(`${req.url} ${n}`);
    if (req.url === '/repo/index.yaml') {
      if (n === 1) return res.writeHead(503, { 'retry-after': '0' }).end('busy');
      return res.writeHead(200, { 'content-type': 'text/yaml' }).end(INDEX);
    }
    if (req.url === '/repo/app-1.0.0.tgz') {
      res.writeHead(200, { 'content-length': String(TGZ.length) });
      if (n === 1) {
        res.write(TGZ.subarray(0, 1000));
        setTimeout(() => res.socket?.destroy(), 20); // dropped mid-body
        return;
      }
      return res.end(TGZ);
    }
    if (req.url === '/repo/always-503.tgz') return res.writeHead(503, { 'retry-after': '0' }).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/repo`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('transient failures of an HTTP chart repository', () => {
  it('a 503 and a dropped body are asked again; the chart arrives whole', async () => {
    const f = createChartFetcher({ env: {} });
    try {
      const c = await f.fetch({ repository: base, chart: 'app' });
      expect(c.tgz.equals(TGZ)).toBe(true);
      expect(seen.filter((s) => s.startsWith('/repo/index.yaml'))).toEqual(['/repo/index.yaml 1', '/repo/index.yaml 2']);
      expect(seen.filter((s) => s.startsWith('/repo/app-1.0.0.tgz '))).toEqual(['/repo/app-1.0.0.tgz 1', '/repo/app-1.0.0.tgz 2']);
    } finally {
      await f.close();
    }
  });

  it('a 503 that stays is E_NETWORK naming the URL and the attempts', async () => {
    const f = createChartFetcher({ env: {} });
    try {
      await expect(f.fetch({ repository: base, chart: 'broken' })).rejects.toMatchObject({
        code: 'E_NETWORK',
        message: expect.stringMatching(/always-503\.tgz answered HTTP 503 \(4 attempts\)/),
      });
    } finally {
      await f.close();
    }
  });
});
