/**
 * Sizes that lie (issue #16 item 5): a descriptor larger or smaller than the blob, a blob
 * answered 200 with an HTML page, a body cut short at the same point every time. Each is reported
 * as what it is (naming image, blob, expected and actual), at once, without retrying what cannot
 * change, and no space is allocated from a size the source does not confirm: the staging
 * directory holds no huge file afterwards.
 */
import { stat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedRegistry } from '../../../fixtures/images/generate.js';
import { sha256 } from '../../../src/digest/index.js';
import { BlobContentError, UnsupportedError } from '../../../src/errors.js';
import { MediaType } from '../../../src/oci/types.js';
import { createRegistryClient, type RegistryClient } from '../../../src/registry/index.js';
import { useFaultProxy } from '../../harness/use-fault-proxy.js';
import { useRegistry } from '../../harness/use-registry.js';
import { startScripted } from '../registry/scripted.js';
import { airlift, workspace, type Workspace } from '../../harness/workspace.js';

let ws: Workspace;
let client: RegistryClient;
beforeAll(async () => {
  ws = await workspace('faults-lying-sizes');
});
afterAll(async () => {
  await client?.close();
  await ws?.remove();
});

interface Layer {
  mediaType: string;
  digest: string;
  size: number;
}

async function largestFile(dir: string): Promise<number> {
  let max = 0;
  for (const name of await readdir(dir, { recursive: true }).catch(() => [] as string[])) {
    const s = await stat(path.join(dir, name)).catch(() => undefined);
    if (s?.isFile()) max = Math.max(max, s.size);
  }
  return max;
}

describe('a source whose sizes lie', () => {
  const src = useRegistry('plain');
  const proxy = useFaultProxy(() => src());
  let alpha: { name: string; tag: string; manifest: { schemaVersion: number; mediaType: string; config: Layer; layers: Layer[] } };

  beforeAll(async () => {
    await seedRegistry(path.join(ws.dir, 'layout'), src(), ws.layout.images);
    client = createRegistryClient({ env: {}, plainHttp: [src().host] });
    const img = ws.layout.images.find((i) => i.name === 'fixtures/alpha')!;
    const m = await client.getManifest(src().host, img.name, img.tag);
    alpha = { name: img.name, tag: img.tag, manifest: JSON.parse(Buffer.from(m.bytes).toString('utf8')) as typeof alpha.manifest };
  });

  /** Serves alpha's manifest with its last layer's size changed by `delta` bytes. */
  function lieAboutSize(delta: number): { layer: Layer; claimed: number } {
    const manifest = structuredClone(alpha.manifest);
    const layer = manifest.layers.at(-1)!;
    const real = layer.size;
    layer.size = real + delta;
    const bytes = Buffer.from(JSON.stringify(manifest));
    const digest = sha256(bytes);
    proxy().addRule({
      method: ['GET', 'HEAD'],
      path: new RegExp(`^/v2/${alpha.name}/manifests/(${alpha.tag}|${digest})$`),
      times: Infinity,
      fault: { kind: 'respond', status: 200, headers: { 'content-type': MediaType.OciManifest, 'docker-content-digest': digest }, body: bytes },
    });
    return { layer: { ...layer, size: real }, claimed: real + delta };
  }

  const save = (name: string) => {
    const out = path.join(ws.dir, `${name}.tar`);
    return { out, run: airlift(ws, ['--plain-http', proxy().host, 'save', '--image', `${proxy().host}/${alpha.name}:${alpha.tag}`, '-o', out]) };
  };

  for (const [label, delta] of [
    ['1 byte larger', 1],
    ['1 byte smaller', -1],
    ['1 TB larger', 1e12],
    ['4 PiB larger', 4 * 2 ** 50],
  ] as const) {
    it(`a descriptor ${label} than the blob is a size mismatch naming image, blob, expected and actual, fetched once, no huge file left`, async () => {
      proxy().clearRules();
      proxy().clearLog();
      const { layer, claimed } = lieAboutSize(delta);
      const { out, run } = save(`lie-${delta}`);
      const r = await run;
      proxy().clearRules();
      expect(r.code, r.stderr).toBe(6);
      expect(r.stderr).toContain('size mismatch');
      expect(r.stderr).toContain(`${alpha.name}:${alpha.tag}`);
      expect(r.stderr).toContain(layer.digest);
      expect(r.stderr).toContain(`${claimed} bytes`);
      expect(r.stderr).toContain(`${layer.size} bytes`);
      expect(r.stderr).not.toMatch(/HTTP 416|ulimit/);
      expect(proxy().requests().filter((q) => q.method === 'GET' && q.path.endsWith(layer.digest))).toHaveLength(1);
      expect(await stat(out).catch(() => undefined)).toBeUndefined();
      expect(await largestFile(`${out}.airlift-staging`)).toBeLessThan(64 * 1024 * 1024);
    });
  }

  it('a blob answered 200 with an HTML page is "not a blob", reported at once', async () => {
    proxy().clearRules();
    proxy().clearLog();
    const layer = alpha.manifest.layers.at(-1)!;
    proxy().addRule({
      method: 'GET',
      path: new RegExp(`/blobs/${layer.digest}$`),
      times: Infinity,
      fault: { kind: 'respond', status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<html><body>Please sign in</body></html>' },
    });
    const { run } = save('html');
    const r = await run;
    proxy().clearRules();
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toContain('not a blob');
    expect(r.stderr).toContain('HTML page');
    expect(r.stderr).toContain(layer.digest);
    expect(r.stderr).toContain(`${alpha.name}:${alpha.tag}`);
    expect(proxy().requests().filter((q) => q.method === 'GET' && q.path.endsWith(layer.digest))).toHaveLength(1);
  });
});

describe('a body cut short at the same point every time', () => {
  it('is a short body after three attempts, not fifteen network retries', async () => {
    const data = Buffer.alloc(100_000, 7);
    const digest = sha256(data);
    let gets = 0;
    const s = await startScripted((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      gets++;
      // Content-Length says all of it; half is sent and the connection is closed cleanly
      // (FIN, no reset), whatever Range asks.
      res.writeHead(200, { 'content-length': data.length, 'content-type': 'application/octet-stream' });
      res.write(data.subarray(0, data.length / 2), () => res.socket?.end());
    });
    const c = createRegistryClient({ env: {}, plainHttp: [s.host], retry: { baseDelayMs: 5, maxDelayMs: 20 } });
    try {
      const stream = await c.getBlob(s.host, 'app', { digest, size: data.length });
      const err = await (async () => {
        for await (const _ of stream) void _;
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BlobContentError);
      expect((err as Error).message).toContain('short body');
      expect((err as Error).message).toContain(`${data.length / 2} bytes`);
      expect(gets).toBe(3);
    } finally {
      await c.close();
      await s.close();
    }
  });
});

describe('a manifest answered 200 with an HTML page', () => {
  it('is "not a manifest" (E_UNSUPPORTED, as any other media type), naming it', async () => {
    const s = await startScripted((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Please sign in</body></html>');
    });
    const c = createRegistryClient({ env: {}, plainHttp: [s.host] });
    try {
      const err = await c.getManifest(s.host, 'app', 'v1').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnsupportedError);
      expect((err as Error).message).toContain('not a manifest');
      expect((err as Error).message).toContain('HTML page');
      expect((err as Error).message).toContain(`${s.host}/app:v1`);
    } finally {
      await c.close();
      await s.close();
    }
  });
});

describe('a blob that is an HTML document (an artifact layer served with its own media type)', () => {
  it('is read and verified like any blob when it has the descriptor size', async () => {
    const page = Buffer.from('<html><body>the docs of an artifact</body></html>');
    const digest = sha256(page);
    const s = await startScripted((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': page.length });
      res.end(page);
    });
    const c = createRegistryClient({ env: {}, plainHttp: [s.host] });
    try {
      const chunks: Buffer[] = [];
      for await (const ch of await c.getBlobVerified(s.host, 'docs', { mediaType: 'text/html', digest, size: page.length })) chunks.push(ch as Buffer);
      expect(Buffer.concat(chunks).equals(page)).toBe(true);
    } finally {
      await c.close();
      await s.close();
    }
  });
});
