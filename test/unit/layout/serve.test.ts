import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/digest/index.js';
import { startServe, type RunningServe } from '../../../src/serve/server.js';
import { tempDir } from './helpers.js';
import { layoutEntries, tinyLayout, writeTarFile } from './tar-fixtures.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let srv: RunningServe;
const t = tinyLayout('docker.io/library/web:1.0', 5000);

beforeAll(async () => {
  tmp = await tempDir();
  const p = path.join(tmp.dir, 'b.tar');
  await writeTarFile(p, layoutEntries(t.files));
  srv = await startServe({ bundle: p, listen: '127.0.0.1:0' });
});
afterAll(async () => {
  await srv?.close();
  await tmp.cleanup();
});

const get = (p: string, init?: RequestInit) => fetch(`${srv.url}${p}`, init);

describe('airlift serve (in process)', () => {
  it('answers /v2/ with the API version header', async () => {
    const r = await get('/v2/');
    expect(r.status).toBe(200);
    expect(r.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });
  it('serves manifests by tag and digest, under the stripped and the full name, GET and HEAD', async () => {
    for (const p of ['/v2/library/web/manifests/1.0', '/v2/docker.io/library/web/manifests/1.0', `/v2/library/web/manifests/${t.manifestDigest}`]) {
      const r = await get(p);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/vnd.oci.image.manifest.v1+json');
      expect(r.headers.get('docker-content-digest')).toBe(t.manifestDigest);
      const body = Buffer.from(await r.arrayBuffer());
      expect(sha256(body)).toBe(t.manifestDigest);
      expect(r.headers.get('content-length')).toBe(String(body.length));
      const h = await get(p, { method: 'HEAD' });
      expect(h.status).toBe(200);
      expect(h.headers.get('content-length')).toBe(String(body.length));
    }
  });
  it('serves blobs whole and by Range', async () => {
    const r = await get(`/v2/library/web/blobs/${t.layerDigest}`);
    expect(r.status).toBe(200);
    expect(sha256(Buffer.from(await r.arrayBuffer()))).toBe(t.layerDigest);
    const part = await get(`/v2/library/web/blobs/${t.layerDigest}`, { headers: { Range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 10-19/5000');
    expect(Buffer.from(await part.arrayBuffer())).toEqual(Buffer.alloc(10, 7));
    const bad = await get(`/v2/library/web/blobs/${t.layerDigest}`, { headers: { Range: 'bytes=6000-' } });
    expect(bad.status).toBe(416);
    expect(bad.headers.get('content-range')).toBe('bytes */5000');
  });
  it('lists tags and the catalog, with pagination', async () => {
    expect(await (await get('/v2/library/web/tags/list')).json()).toEqual({ name: 'library/web', tags: ['1.0'] });
    expect(await (await get('/v2/_catalog')).json()).toEqual({ repositories: ['docker.io/library/web', 'library/web'] });
    const page = await get('/v2/_catalog?n=1');
    expect(await page.json()).toEqual({ repositories: ['docker.io/library/web'] });
    expect(page.headers.get('link')).toBe('</v2/_catalog?n=1&last=docker.io%2Flibrary%2Fweb>; rel="next"');
    expect(await (await get('/v2/_catalog?n=1&last=docker.io%2Flibrary%2Fweb')).json()).toEqual({ repositories: ['library/web'] });
  });
  it('answers unknown names, tags and blobs with OCI error bodies, and writes with 405', async () => {
    const cases: Array<[string, RequestInit | undefined, number, string]> = [
      ['/v2/library/web/manifests/2.0', undefined, 404, 'MANIFEST_UNKNOWN'],
      ['/v2/library/nope/manifests/1.0', undefined, 404, 'NAME_UNKNOWN'],
      ['/v2/library/nope/tags/list', undefined, 404, 'NAME_UNKNOWN'],
      [`/v2/library/web/blobs/sha256:${'0'.repeat(64)}`, undefined, 404, 'BLOB_UNKNOWN'],
      ['/v2/library/web/blobs/sha256:abc', undefined, 400, 'DIGEST_INVALID'],
      ['/v2/library/web/manifests/1.0', { method: 'PUT', body: '{}' }, 405, 'UNSUPPORTED'],
      ['/v2/library/web/blobs/uploads/', { method: 'POST' }, 405, 'UNSUPPORTED'],
      [`/v2/library/web/manifests/${t.manifestDigest}`, { method: 'DELETE' }, 405, 'UNSUPPORTED'],
    ];
    for (const [p, init, status, code] of cases) {
      const r = await get(p, init);
      expect(r.status, p).toBe(status);
      const body = (await r.json()) as { errors: Array<{ code: string }> };
      expect(body.errors[0]!.code).toBe(code);
    }
  });
  it('refuses an address in use with a clear error', async () => {
    await expect(startServe({ bundle: path.join(tmp.dir, 'b.tar'), listen: srv.address })).rejects.toMatchObject({
      code: 'E_NETWORK',
      message: expect.stringMatching(/address is in use/),
    });
  });
});
