/**
 * Transport.close() at the end of a run: an idle pool is destroyed at once (with one stackless
 * error, src/registry/transport.ts closePool), a busy one is closed, its requests answered first.
 * A scripted loopback server: a registry cannot be made to hold an answer.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Transport } from '../../../src/registry/transport.js';
import { fixedPauses } from '../../../src/registry/retry.js';
import { silentLogger } from '../../../src/log.js';

let server: http.Server;
let host: string;
let open = 0;
let opened = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    const answer = (): void => {
      res.writeHead(200, { 'content-length': '0', 'docker-content-digest': 'sha256:' + '0'.repeat(64) });
      res.end();
    };
    if (req.url === '/v2/slow/manifests/1') setTimeout(answer, 300);
    else answer();
  });
  server.on('connection', (s) => {
    open++;
    opened++;
    s.on('close', () => open--);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const transport = (): Transport => new Transport({ tls: {}, plainHttp: [host], env: {}, userAgent: 'airlift-test', logger: silentLogger, retry: fixedPauses([]) });
const head = (t: Transport, repo: string) => t.send('HEAD', `http://${host}/v2/${repo}/manifests/1`, host, `http://${host}`);
const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('Transport.close', () => {
  it('closes the connections of an idle pool, and the transport opens new ones when used again', async () => {
    const t = transport();
    const before = opened;
    const answers = await Promise.all(['a', 'b', 'c'].map((r) => head(t, r)));
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);
    expect(opened - before).toBeGreaterThan(0);
    await t.close();
    await until(() => open === 0);
    expect(open).toBe(0);
    expect((await head(t, 'd')).statusCode).toBe(200);
    await t.close();
    await until(() => open === 0);
    expect(open).toBe(0);
  });

  it('lets a request in flight finish before its pool is closed', async () => {
    const t = transport();
    const slow = head(t, 'slow');
    // the request is on the wire (its connection open) before close() is called
    await until(() => open > 0);
    const closing = t.close();
    const res = await slow;
    expect(res.statusCode).toBe(200);
    expect(res.headers['docker-content-digest']).toBe('sha256:' + '0'.repeat(64));
    await closing;
    await until(() => open === 0);
    expect(open).toBe(0);
  });
});
