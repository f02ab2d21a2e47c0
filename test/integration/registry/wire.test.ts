/**
 * What the registry client puts on the wire, seen by a recording proxy in
 * front of the real docker-registry: PATCH per chunk for chunked uploads
 * (and none for monolithic ones), one GET per page when listing tags
 * (pages scripted by the proxy: docker-registry 2.8 ignores n), and
 * keep-alive connections reused across many requests.
 */
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistryClient, type RegistryClient } from '../../../src/registry/index.js';
import { useFaultProxy } from '../../harness/use-fault-proxy.js';
import { useRegistry } from '../../harness/use-registry.js';
import { makeImage } from './image.js';

describe('registry client on the wire (recording proxy in front of a plain docker-registry)', () => {
  const reg = useRegistry('plain');
  const proxy = useFaultProxy(() => ({ url: reg().url }));
  const clients: RegistryClient[] = [];
  afterAll(async () => {
    for (const c of clients) await c.close();
  });
  const client = (concurrency = 4): RegistryClient => {
    const c = createRegistryClient({ env: {}, plainHttp: [proxy().host], concurrencyPerRegistry: concurrency });
    clients.push(c);
    return c;
  };
  const count = (method: string, path: RegExp): number => proxy().requests().filter((q) => q.method === method && path.test(q.path)).length;

  it('chunked upload: one POST, one PATCH per chunk, one PUT; the blob lands', async () => {
    const c = client();
    const host = proxy().host;
    const img = makeImage(300 * 1024);
    await c.putBlob(host, 'wire/chunked', img.layer.desc, Readable.from([img.layer.bytes]), { chunked: true, chunkSize: 64 * 1024 });
    const uploads = /^\/v2\/wire\/chunked\/blobs\/uploads\//;
    expect(count('POST', uploads)).toBe(1);
    // 300 KiB in 64 KiB chunks is 5 chunks; the last may travel with the closing PUT
    expect(count('PATCH', uploads)).toBeGreaterThanOrEqual(4);
    expect(count('PUT', uploads)).toBe(1);
    expect(await c.headBlob(host, 'wire/chunked', img.layer.desc.digest)).toEqual({ size: img.layer.desc.size });

    proxy().clearLog();
    const mono = makeImage(300 * 1024);
    await c.putBlob(host, 'wire/mono', mono.layer.desc, Readable.from([mono.layer.bytes]));
    expect(count('PATCH', /\/blobs\/uploads\//)).toBe(0);
    expect(count('PUT', /^\/v2\/wire\/mono\/blobs\/uploads\//)).toBe(1);
  });

  it('tags: follows Link from page to page (docker-registry 2.8 ignores n, so the proxy answers the pages)', async () => {
    const c = client();
    const host = proxy().host;
    const img = makeImage(100);
    await c.putBlob(host, 'wire/tags', img.config.desc, Readable.from([img.config.bytes]));
    await c.putBlob(host, 'wire/tags', img.layer.desc, Readable.from([img.layer.bytes]));
    const tags = ['a1', 'a2', 'b1', 'b2', 'c1'];
    for (const t of tags) await c.putManifest(host, 'wire/tags', t, img.manifest);
    proxy().clearLog();
    // the real registry answers every tag on one page whatever n says
    expect((await c.listTags(host, 'wire/tags', { pageSize: 2 })).sort()).toEqual(tags);
    expect(proxy().requests().filter((q) => q.path.startsWith('/v2/wire/tags/tags/list'))).toHaveLength(1);

    const page = (list: string[], next?: string) => ({
      kind: 'respond' as const,
      status: 200,
      headers: { 'content-type': 'application/json', ...(next ? { link: `<${next}>; rel="next"` } : {}) },
      body: JSON.stringify({ name: 'wire/tags', tags: list }),
    });
    proxy().addRule({ method: 'GET', path: /^\/v2\/wire\/tags\/tags\/list\?n=2$/, fault: page(['a1', 'a2'], '/v2/wire/tags/tags/list?n=2&last=a2') });
    proxy().addRule({ method: 'GET', path: /last=a2/, fault: page(['b1', 'b2'], '/v2/wire/tags/tags/list?n=2&last=b2') });
    proxy().addRule({ method: 'GET', path: /last=b2/, fault: page(['c1']) });
    proxy().clearLog();
    expect(await c.listTags(host, 'wire/tags', { pageSize: 2 })).toEqual(tags);
    const pages = proxy().requests().filter((q) => q.method === 'GET' && q.path.startsWith('/v2/wire/tags/tags/list'));
    expect(pages.map((q) => q.path)).toEqual(['/v2/wire/tags/tags/list?n=2', '/v2/wire/tags/tags/list?n=2&last=a2', '/v2/wire/tags/tags/list?n=2&last=b2']);
  });

  it('reuses connections: 60 HEADs and GETs at concurrency 4 open a handful of connections, not one each', async () => {
    const c = client(4);
    const host = proxy().host;
    const img = makeImage(1000);
    await c.putBlob(host, 'wire/reuse', img.layer.desc, Readable.from([img.layer.bytes]));
    await c.putBlob(host, 'wire/reuse', img.config.desc, Readable.from([img.config.bytes]));
    await c.putManifest(host, 'wire/reuse', 'v1', img.manifest);
    const before = proxy().connections();
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        await c.headBlob(host, 'wire/reuse', img.layer.desc.digest);
        await c.headManifest(host, 'wire/reuse', 'v1');
        await c.getManifest(host, 'wire/reuse', 'v1');
      }),
    );
    expect(proxy().requests().length).toBeGreaterThanOrEqual(60);
    // a body read after its request left the concurrency slot can hold a connection a little longer
    expect(proxy().connections() - before).toBeLessThanOrEqual(8);
  });
});
