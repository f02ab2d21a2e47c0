/**
 * Fault cases against scripted servers: cross-host redirects, dropped
 * downloads, retries, oversized and schema 1 manifests, upload aborts.
 */
import { createHash, randomBytes } from 'node:crypto';
import type http from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/digest/index.js';
import { DigestMismatchError, RegistryError, TooLargeError, UnsupportedError } from '../../../src/errors.js';
import { MediaType } from '../../../src/oci/types.js';
import { staticCredentials } from '../../../src/registry/index.js';
import { makeImage, readAll } from './image.js';
import { useScripted } from '../../harness/use-scripted.js';

const { server, client } = useScripted();

const BASIC = `Basic ${Buffer.from('user:secret-pass').toString('base64')}`;

describe('redirects', () => {
  it('follows a 307 for a blob GET to another loopback host without sending Authorization there', async () => {
    const data = randomBytes(100_000);
    const digest = sha256(data);
    const seen: http.IncomingHttpHeaders[] = [];
    const storage = await server((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-length': data.length });
      res.end(data);
    }, '127.0.0.2');
    const registryAuth: Array<string | undefined> = [];
    const reg = await server((req, res) => {
      registryAuth.push(req.headers.authorization);
      if (req.headers.authorization !== BASIC) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' });
        res.end();
        return;
      }
      if (req.url === '/v2/') return void res.end('{}');
      res.writeHead(307, { location: `${storage.url}/bucket/blob?X-Amz-Signature=abc` });
      res.end();
    });
    const c = client(reg.host, { credentials: staticCredentials(reg.host, { username: 'user', password: 'secret-pass' }) });
    const got = await readAll(await c.getBlob(reg.host, 'app', { digest, size: data.length }));
    expect(got.equals(data)).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.authorization).toBeUndefined();
    // the registry itself did get the credentials
    expect(registryAuth).toContain(BASIC);
  });
});

describe('downloads', () => {
  it('resumes a dropped blob download with Range and delivers every byte once', async () => {
    const data = randomBytes(512 * 1024);
    const ranges: Array<string | undefined> = [];
    const reg = await server((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      ranges.push(req.headers.range);
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (!m) {
        // send a third, then drop the connection
        res.writeHead(200, { 'content-length': data.length });
        res.write(data.subarray(0, 170_000), () => res.destroy());
        return;
      }
      const start = Number(m[1]);
      res.writeHead(206, { 'content-length': data.length - start, 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` });
      res.end(data.subarray(start));
    });
    const c = client(reg.host);
    const got = await readAll(await c.getBlobVerified(reg.host, 'app', { mediaType: MediaType.OciLayer, digest: sha256(data), size: data.length }));
    expect(got.equals(data)).toBe(true);
    expect(ranges[0]).toBeUndefined();
    expect(ranges.length).toBe(2);
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
  });

  it('resumes correctly when the server ignores Range and sends the whole blob again', async () => {
    const data = randomBytes(300 * 1024);
    let calls = 0;
    const reg = await server((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      calls++;
      res.writeHead(200, { 'content-length': data.length });
      if (calls === 1) res.write(data.subarray(0, 100_000), () => res.destroy());
      else res.end(data);
    });
    const c = client(reg.host);
    const got = await readAll(await c.getBlobVerified(reg.host, 'app', { mediaType: MediaType.OciLayer, digest: sha256(data), size: data.length }));
    expect(got.equals(data)).toBe(true);
    expect(calls).toBe(2);
  });

  it('a missing blob rejects the GET with NotFoundError (not a broken stream)', async () => {
    const reg = await server((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }] }));
    });
    const c = client(reg.host);
    await expect(c.getBlob(reg.host, 'app', { digest: sha256('x') })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('getBlobVerified fails when the registry serves wrong bytes', async () => {
    const data = randomBytes(10_000);
    const reg = await server((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      res.end(randomBytes(10_000));
    });
    const c = client(reg.host);
    const s = await c.getBlobVerified(reg.host, 'app', { mediaType: MediaType.OciLayer, digest: sha256(data), size: data.length });
    await expect(readAll(s)).rejects.toBeInstanceOf(DigestMismatchError);
  });
});

describe('retries', () => {
  it('retries 503 and 429 (honouring Retry-After) and then succeeds', async () => {
    const img = makeImage(1000);
    let calls = 0;
    const reg = await server((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      calls++;
      if (calls === 1) return void res.writeHead(503).end();
      if (calls === 2) return void res.writeHead(429, { 'retry-after': '0' }).end();
      res.writeHead(200, { 'content-type': img.manifest.mediaType, 'docker-content-digest': img.manifest.digest });
      res.end(Buffer.from(img.manifest.bytes));
    });
    const c = client(reg.host);
    expect((await c.getManifest(reg.host, 'app', 'v1')).digest).toBe(img.manifest.digest);
    expect(calls).toBe(3);
  });

  it('gives up after the attempt limit with a RegistryError naming the status', async () => {
    let calls = 0;
    const reg = await server((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      calls++;
      res.writeHead(502).end();
    });
    const c = client(reg.host, { retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
    const err = await c.getManifest(reg.host, 'app', 'v1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).status).toBe(502);
    expect(calls).toBe(3);
  });

  it('does not retry a 400', async () => {
    let calls = 0;
    const reg = await server((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      calls++;
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'NAME_INVALID', message: 'invalid repository name' }] }));
    });
    const c = client(reg.host);
    const err = await c.getManifest(reg.host, 'app', 'v1').catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/NAME_INVALID/);
    expect(calls).toBe(1);
  });

  it('fetches a new token on 401 and retries once', async () => {
    const img = makeImage(1000);
    let issued = 0;
    const tokenServer = await server((req, res) => {
      issued++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ token: `tok-${issued}-abcdefgh`, expires_in: 300 }));
    });
    const reg = await server((req, res) => {
      // only the second token is accepted: the first one is "revoked"
      if (req.headers.authorization !== 'Bearer tok-2-abcdefgh') {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${tokenServer.url}/token",service="svc",scope="repository:app:pull"` });
        return void res.end();
      }
      res.writeHead(200, { 'content-type': img.manifest.mediaType });
      res.end(Buffer.from(img.manifest.bytes));
    });
    const c = client(reg.host, { credentials: staticCredentials(reg.host, { username: 'u', password: 'p-p-p-p' }) });
    expect((await c.getManifest(reg.host, 'app', 'v1')).digest).toBe(img.manifest.digest);
    expect(issued).toBe(2);
  });
});

describe('identity tokens', () => {
  it('exchanges an identitytoken with grant_type=refresh_token (POST form) for an access token', async () => {
    const img = makeImage(100);
    const forms: URLSearchParams[] = [];
    const realm = await server((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const f = new URLSearchParams(body);
        forms.push(f);
        res.setHeader('content-type', 'application/json');
        if (req.method !== 'POST' || f.get('refresh_token') !== 'refresh-abc-123') return void res.writeHead(401).end('{}');
        res.end(JSON.stringify({ access_token: 'access-from-refresh', expires_in: 60 }));
      });
    });
    const reg = await server((req, res) => {
      if (req.headers.authorization !== 'Bearer access-from-refresh') {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm.url}/oauth2/token",service="svc"` });
        return void res.end();
      }
      if (req.url === '/v2/') return void res.end('{}');
      res.writeHead(200, { 'content-type': img.manifest.mediaType });
      res.end(Buffer.from(img.manifest.bytes));
    });
    const c = client(reg.host, { credentials: staticCredentials(reg.host, { identityToken: 'refresh-abc-123' }) });
    expect((await c.getManifest(reg.host, 'team/app', 'v1')).digest).toBe(img.manifest.digest);
    expect(forms).toHaveLength(1);
    expect(Object.fromEntries(forms[0]!)).toEqual({
      grant_type: 'refresh_token',
      client_id: 'airlift',
      refresh_token: 'refresh-abc-123',
      service: 'svc',
      scope: 'repository:team/app:pull',
    });
  });

  it('learns a per-repository challenge when /v2/ itself is anonymous', async () => {
    const img = makeImage(100);
    const reg = await server((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      if (req.headers.authorization !== BASIC) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="private"' });
        return void res.end();
      }
      res.writeHead(200, { 'content-type': img.manifest.mediaType });
      res.end(Buffer.from(img.manifest.bytes));
    });
    const c = client(reg.host, { credentials: staticCredentials(reg.host, { username: 'user', password: 'secret-pass' }) });
    expect((await c.getManifest(reg.host, 'private/app', 'v1')).digest).toBe(img.manifest.digest);
  });
});

describe('manifests', () => {
  const serveManifest = (body: Buffer, headers: Record<string, string | number>) =>
    server((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    });

  it('refuses a manifest over 4 MiB', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024 + 10, 0x20);
    const reg = await serveManifest(big, { 'content-type': MediaType.OciManifest });
    const c = client(reg.host);
    await expect(c.getManifest(reg.host, 'app', 'v1')).rejects.toBeInstanceOf(TooLargeError);
  });

  it('refuses a chunked manifest body once it passes 4 MiB', async () => {
    const reg = await server((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      res.writeHead(200, { 'content-type': MediaType.OciManifest });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      for (let i = 0; i < 5; i++) res.write(chunk);
      res.end();
    });
    const c = client(reg.host);
    await expect(c.getManifest(reg.host, 'app', 'v1')).rejects.toBeInstanceOf(TooLargeError);
  });

  it('rejects Docker schema 1 with an UnsupportedError saying so', async () => {
    const body = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'app', tag: 'v1', fsLayers: [] }));
    const reg = await serveManifest(body, { 'content-type': MediaType.DockerSchema1Signed });
    const c = client(reg.host);
    const err = await c.getManifest(reg.host, 'app', 'v1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as Error).message).toMatch(/schema 1/);
  });

  it('verifies the digest of a manifest fetched by digest', async () => {
    const img = makeImage(100);
    const other = makeImage(100);
    const reg = await serveManifest(Buffer.from(other.manifest.bytes), { 'content-type': MediaType.OciManifest });
    const c = client(reg.host);
    await expect(c.getManifest(reg.host, 'app', img.manifest.digest)).rejects.toBeInstanceOf(DigestMismatchError);
  });

  it('compares a manifest fetched by tag with Docker-Content-Digest', async () => {
    const img = makeImage(100);
    const reg = await serveManifest(Buffer.from(img.manifest.bytes), { 'content-type': MediaType.OciManifest, 'docker-content-digest': sha256('other') });
    const c = client(reg.host);
    await expect(c.getManifest(reg.host, 'app', 'v1')).rejects.toBeInstanceOf(DigestMismatchError);
  });
});

describe('uploads abort on our side when the bytes are wrong', () => {
  it('the final PUT never completes: the server sees fewer bytes than Content-Length and no end', async () => {
    const img = makeImage(256 * 1024);
    const puts: Array<{ received: number; declared: number; completed: boolean }> = [];
    const reg = await server((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      if (req.method === 'POST') {
        res.writeHead(202, { location: '/v2/app/blobs/uploads/u1?_state=x' });
        return void res.end();
      }
      if (req.method === 'PUT') {
        const rec = { received: 0, declared: Number(req.headers['content-length']), completed: false };
        puts.push(rec);
        const h = createHash('sha256');
        req.on('data', (c: Buffer) => {
          rec.received += c.length;
          h.update(c);
        });
        req.on('end', () => {
          rec.completed = true;
          res.writeHead(201).end();
        });
        return;
      }
      res.writeHead(204).end();
    });
    const c = client(reg.host);
    const bad = Buffer.from(img.layer.bytes);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
    const pieces = Array.from({ length: 32 }, (_, i) => bad.subarray(i * 8192, (i + 1) * 8192));
    await expect(c.putBlob(reg.host, 'app', img.layer.desc, Readable.from(pieces))).rejects.toBeInstanceOf(DigestMismatchError);
    await new Promise((r) => setTimeout(r, 100));
    expect(puts).toHaveLength(1);
    expect(puts[0]!.completed).toBe(false);
    expect(puts[0]!.received).toBeLessThan(puts[0]!.declared);
    // with good bytes the same server completes the PUT
    await c.putBlob(reg.host, 'app', img.layer.desc, Readable.from([img.layer.bytes]));
    expect(puts[1]!.completed).toBe(true);
    expect(puts[1]!.received).toBe(img.layer.desc.size);
  });
});
