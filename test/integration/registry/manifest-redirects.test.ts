/**
 * Manifest redirects (issue #16 item 1) on scripted servers: the same rules as blob redirects
 * (bounded, no Authorization off the registry's origin) and the digest still checked.
 */
import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { DigestMismatchError, RegistryError } from '../../../src/errors.js';
import { createRegistryClient, staticCredentials, type RegistryClient } from '../../../src/registry/index.js';
import { makeImage } from './image.js';
import { useScripted } from '../../harness/use-scripted.js';
import type { Scripted } from '../../harness/scripted.js';

const { server, track } = useScripted();
const BASIC = `Basic ${Buffer.from('user:secret-pass').toString('base64')}`;

async function redirectingRegistry(target: () => string, status = 307): Promise<{ reg: Scripted; client: RegistryClient }> {
  const reg = await server((req, res) => {
    if (req.headers.authorization !== BASIC) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' });
      return void res.end();
    }
    if (req.url === '/v2/') return void res.end('{}');
    res.writeHead(status, { location: `${target()}${req.url}` });
    res.end();
  });
  const client = createRegistryClient({
    env: {},
    plainHttp: [reg.host],
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    credentials: staticCredentials(reg.host, { username: 'user', password: 'secret-pass' }),
  });
  track(client);
  return { reg, client };
}

describe('manifest redirects', () => {
  it('follows a 307 for manifest GET and HEAD to another loopback host, without Authorization there', async () => {
    const img = makeImage(100);
    const seen: Array<string | undefined> = [];
    const storage = await server((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': img.manifest.mediaType, 'content-length': img.manifest.bytes.byteLength, 'docker-content-digest': img.manifest.digest });
      res.end(req.method === 'HEAD' ? undefined : Buffer.from(img.manifest.bytes));
    }, '127.0.0.2');
    const { reg, client } = await redirectingRegistry(() => storage.url);
    const byTag = await client.getManifest(reg.host, 'app', 'v1');
    expect(byTag.digest).toBe(img.manifest.digest);
    expect(await client.headManifest(reg.host, 'app', 'v1')).toEqual({ digest: img.manifest.digest, mediaType: img.manifest.mediaType, size: img.manifest.bytes.byteLength });
    expect((await client.getManifest(reg.host, 'app', img.manifest.digest)).digest).toBe(img.manifest.digest);
    expect(seen).toHaveLength(3);
    expect(seen.every((a) => a === undefined)).toBe(true);
  });

  it('still checks the digest of a redirected manifest', async () => {
    const img = makeImage(100);
    const other = makeImage(100);
    const storage = await server((_req, res) => {
      res.writeHead(200, { 'content-type': other.manifest.mediaType });
      res.end(Buffer.from(other.manifest.bytes));
    }, '127.0.0.2');
    const { reg, client } = await redirectingRegistry(() => storage.url);
    await expect(client.getManifest(reg.host, 'app', img.manifest.digest)).rejects.toBeInstanceOf(DigestMismatchError);
  });

  it('bounds manifest redirects: a loop ends with a registry error naming it', async () => {
    let self = '';
    const { reg, client } = await redirectingRegistry(() => self);
    self = reg.url;
    const err = await client.getManifest(reg.host, 'app', 'v1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as Error).message).toContain('too many redirects');
  });
});
