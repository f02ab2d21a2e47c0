/**
 * Self-test of the fault proxy against real registries: each fault really
 * happens on the wire (so the fault suite cannot pass by accident), and
 * requests without a fault pass through unchanged.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLayout, presetTiny, seedRegistry, type GeneratedLayout } from '../../../fixtures/images/generate.js';
import { useFaultProxy } from '../../harness/use-fault-proxy.js';
import { useRegistry } from '../../harness/use-registry.js';
import { sha256Digest as sha } from '../../helpers/digest.js';

interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  error?: string;
  ms: number;
}

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Got> {
  const started = Date.now();
  return new Promise((resolve) => {
    let responded = false;
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      responded = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const done = (error?: string): void =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), ms: Date.now() - started, ...(error ? { error } : {}) });
      res.on('end', () => done());
      res.on('error', (e) => done(e.message || 'error'));
      res.on('aborted', () => done('aborted'));
    });
    // Once the response has started, its own events report the failure.
    req.on('error', (e) => !responded && resolve({ status: 0, headers: {}, body: Buffer.alloc(0), error: (e as NodeJS.ErrnoException).code ?? e.message, ms: Date.now() - started }));
    req.end();
  });
}

let layout: GeneratedLayout;
let layoutDir: string;
beforeAll(async () => {
  layoutDir = await mkdtemp(path.join(os.tmpdir(), 'airlift-proxy-layout-'));
  layout = await generateLayout(layoutDir, presetTiny());
});
afterAll(async () => {
  if (layoutDir) await rm(layoutDir, { recursive: true, force: true });
});

/** The largest layer of fixtures/beta (1 MiB of random bytes, gzip level 0). */
function bigBlob(): { repo: string; digest: string; size: number } {
  const beta = layout.images.find((i) => i.name === 'fixtures/beta')!;
  const l = [...beta.manifests[0]!.layers].sort((a, b) => b.size - a.size)[0]!;
  return { repo: beta.name, digest: l.digest, size: l.size };
}

describe('fault proxy in front of a plain registry', () => {
  const reg = useRegistry('plain');
  const proxy = useFaultProxy(() => reg());
  const blobUrl = (): string => `${proxy().url}/v2/${bigBlob().repo}/blobs/${bigBlob().digest}`;

  beforeAll(async () => {
    await seedRegistry(layoutDir, reg(), layout.images);
  });

  it('passes requests through unchanged and records them', async () => {
    const r = await get(blobUrl());
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(bigBlob().size);
    expect(sha(r.body)).toBe(bigBlob().digest);
    const rec = proxy().requests();
    expect(rec.map((x) => [x.method, x.path, x.status, x.authorization])).toContainEqual(['GET', new URL(blobUrl()).pathname, 200, false]);
  });

  it('answers a burst of 503 then lets requests through', async () => {
    const rule = proxy().addRule({ method: 'GET', path: /\/blobs\//, times: 2, fault: { kind: 'status', status: 503 } });
    expect((await get(blobUrl())).status).toBe(503);
    expect((await get(blobUrl())).status).toBe(503);
    const ok = await get(blobUrl());
    expect(ok.status).toBe(200);
    expect(sha(ok.body)).toBe(bigBlob().digest);
    expect(rule.applied()).toBe(2);
    expect(rule.matched()).toBe(3);
  });

  it('answers 429 with Retry-After', async () => {
    proxy().addRule({ path: /\/blobs\//, fault: { kind: 'status', status: 429, retryAfter: 1 } });
    const r = await get(blobUrl());
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('1');
  });

  it('resets the connection after N body bytes', async () => {
    proxy().addRule({ path: /\/blobs\//, fault: { kind: 'reset', afterBytes: 100_000 } });
    const r = await get(blobUrl());
    expect(r.status).toBe(200);
    expect(r.error).toBeDefined();
    expect(r.body.length).toBeGreaterThan(0);
    expect(r.body.length).toBeLessThanOrEqual(100_000);
    expect(Number(r.headers['content-length'])).toBe(bigBlob().size);
  });

  it('truncates a body that announced its full length', async () => {
    proxy().addRule({ path: /\/blobs\//, fault: { kind: 'truncate', afterBytes: 5000 } });
    const r = await get(blobUrl());
    expect(Number(r.headers['content-length'])).toBe(bigBlob().size);
    expect(r.body.length).toBeLessThan(bigBlob().size);
    expect(r.error).toBeDefined();
  });

  it('flips one byte of a body, keeping its length', async () => {
    proxy().addRule({ path: /\/blobs\//, times: Infinity, fault: { kind: 'corrupt' } });
    for (let i = 0; i < 2; i++) {
      const r = await get(blobUrl());
      expect(r.status).toBe(200);
      expect(r.body.length).toBe(bigBlob().size);
      expect(sha(r.body)).not.toBe(bigBlob().digest);
    }
  });

  it('stalls a response for the given time, then serves it', async () => {
    proxy().addRule({ path: /\/blobs\//, fault: { kind: 'stall', ms: 400 } });
    const r = await get(blobUrl());
    expect(r.status).toBe(200);
    expect(r.ms).toBeGreaterThanOrEqual(380);
    expect(sha(r.body)).toBe(bigBlob().digest);
  });

  it('redirects a blob GET to another loopback host that records what it receives', async () => {
    proxy().addRule({ method: 'GET', path: /\/blobs\//, fault: { kind: 'redirect' } });
    const first = await get(blobUrl(), { authorization: 'Bearer secret-token-value' });
    expect(first.status).toBe(307);
    const loc = new URL(String(first.headers.location));
    expect(loc.host).toBe(proxy().redirectHost);
    expect(loc.host).not.toBe(proxy().host);
    const second = await get(loc.href);
    expect(second.status).toBe(200);
    expect(sha(second.body)).toBe(bigBlob().digest);
    const seen = proxy().redirected();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.authorization).toBe(false);
    expect(proxy().requests().at(-1)!.authorization).toBe(true);
  });

  it('serves a scripted answer', async () => {
    proxy().addRule({ path: /\/manifests\//, fault: { kind: 'respond', status: 200, headers: { 'content-type': 'text/x-test' }, body: 'hello' } });
    const r = await get(`${proxy().url}/v2/fixtures/alpha/manifests/1.0`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/x-test');
    expect(r.body.toString()).toBe('hello');
  });

  it('skips the first matching requests when told to', async () => {
    proxy().addRule({ path: /\/manifests\//, skip: 1, fault: { kind: 'status', status: 502 } });
    const url = `${proxy().url}/v2/fixtures/alpha/manifests/1.0`;
    const accept = { accept: 'application/vnd.oci.image.manifest.v1+json' };
    expect((await get(url, accept)).status).toBe(200);
    expect((await get(url, accept)).status).toBe(502);
    expect((await get(url, accept)).status).toBe(200);
  });

  it('waitFor resolves on a matching request', async () => {
    const waiting = proxy().waitFor((r) => r.path.endsWith('/tags/list'), 5000);
    await get(`${proxy().url}/v2/fixtures/alpha/tags/list`);
    const r = await waiting;
    expect(r.status).toBe(200);
  });
});

describe('fault proxy in front of a TLS + basic auth registry', () => {
  const reg = useRegistry('tls-basic');
  const proxy = useFaultProxy(() => reg());

  beforeAll(async () => {
    await seedRegistry(layoutDir, reg(), layout.images);
  });

  it('forwards over TLS with the client credentials and points upload locations back at itself', async () => {
    const r = reg();
    const auth = `Basic ${Buffer.from(`${r.username}:${r.password}`).toString('base64')}`;
    expect((await get(`${proxy().url}/v2/`)).status).toBe(401);
    expect((await get(`${proxy().url}/v2/`, { authorization: auth })).status).toBe(200);
    const blob = bigBlob();
    const b = await get(`${proxy().url}/v2/${blob.repo}/blobs/${blob.digest}`, { authorization: auth });
    expect(sha(b.body)).toBe(blob.digest);
    const started = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(`${proxy().url}/v2/scratch/blobs/uploads/`, { method: 'POST', headers: { authorization: auth, 'content-length': '0' } }, resolve);
      req.on('error', reject);
      req.end();
    });
    started.resume();
    expect(started.statusCode).toBe(202);
    expect(String(started.headers.location)).toMatch(new RegExp(`^(http://${proxy().host.replace(/\./g, '\\.')})?/v2/scratch/blobs/uploads/`));
  });
});
