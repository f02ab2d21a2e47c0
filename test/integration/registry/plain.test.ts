import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistryEndpoint } from '../../../src/endpoint/registry.js';
import { createRegistryClient } from '../../../src/registry/index.js';
import { useRegistry } from '../../harness/use-registry.js';
import { makeImage, readAll } from './image.js';
import { sha256 } from '../../../src/digest/index.js';
import { MediaType, type RawManifest } from '../../../src/oci/types.js';

function raw(obj: unknown, mediaType: string): RawManifest {
  const bytes = Buffer.from(JSON.stringify(obj));
  return { bytes: new Uint8Array(bytes), mediaType, digest: sha256(bytes) };
}

describe('registry client against a plain HTTP docker-registry', () => {
  const reg = useRegistry('plain');
  const client = createRegistryClient({ env: {} });
  afterAll(() => client.close());

  it('pushes an image and pulls it back byte for byte (loopback falls back to http)', async () => {
    const { host } = reg();
    const img = makeImage();
    const ep = createRegistryEndpoint(host, client);
    expect(await ep.resolveManifest('test/app', 'v1')).toBeUndefined();
    expect(await ep.hasBlob('test/app', img.layer.desc)).toBe(false);
    await ep.putBlob('test/app', img.config.desc, Readable.from([img.config.bytes]));
    await ep.putBlob('test/app', img.layer.desc, Readable.from([img.layer.bytes]));
    expect(await ep.hasBlob('test/app', img.layer.desc)).toBe(true);
    await ep.putManifest('test/app', img.manifest, 'v1');
    expect((await client.ping(host)).origin).toBe(`http://${host}`);

    const head = await ep.resolveManifest('test/app', 'v1');
    expect(head).toEqual({ digest: img.manifest.digest, mediaType: img.manifest.mediaType, size: img.manifest.bytes.byteLength });
    const byTag = await ep.getManifest('test/app', 'v1');
    expect(Buffer.from(byTag.bytes).equals(Buffer.from(img.manifest.bytes))).toBe(true);
    expect(byTag.digest).toBe(img.manifest.digest);
    // a small manifest owns its memory: not a slice of Node's shared 8 KiB buffer pool, which a
    // manifest kept for the run (save's planning pass keeps them all) would hold whole
    expect(byTag.bytes.byteLength).toBeLessThan(4096);
    expect(byTag.bytes.buffer.byteLength).toBe(byTag.bytes.byteLength);
    const byDigest = await ep.getManifest('test/app', img.manifest.digest);
    expect(byDigest.digest).toBe(img.manifest.digest);
    const layer = await readAll(await ep.getBlob('test/app', img.layer.desc));
    expect(layer.equals(img.layer.bytes)).toBe(true);
    expect(await client.listTags(host, 'test/app')).toEqual(['v1']);
    await ep.close();
  });

  it('lists tags with a page size (docker-registry 2.8 answers one page whatever n says; Link paging is in wire.test.ts)', async () => {
    const { host } = reg();
    const img = makeImage(100);
    await client.putBlob(host, 'test/tags', img.config.desc, Readable.from([img.config.bytes]));
    await client.putBlob(host, 'test/tags', img.layer.desc, Readable.from([img.layer.bytes]));
    const tags = ['a1', 'a2', 'b1', 'b2', 'c1'];
    for (const t of tags) await client.putManifest(host, 'test/tags', t, img.manifest);
    expect((await client.listTags(host, 'test/tags', { pageSize: 2 })).sort()).toEqual(tags);
  });

  it('finds referrers through the sha256-<hex> tag schema when the referrers API is absent', async () => {
    const { host } = reg();
    const img = makeImage(100);
    const repo = 'test/refs';
    await client.putBlob(host, repo, img.config.desc, Readable.from([img.config.bytes]));
    await client.putBlob(host, repo, img.layer.desc, Readable.from([img.layer.bytes]));
    await client.putManifest(host, repo, 'v1', img.manifest);
    const emptyBytes = Buffer.from('{}');
    const empty = { mediaType: MediaType.OciEmpty, digest: sha256(emptyBytes), size: 2 };
    await client.putBlob(host, repo, empty, Readable.from([emptyBytes]));
    const subject = { mediaType: img.manifest.mediaType, digest: img.manifest.digest, size: img.manifest.bytes.byteLength };
    const sig = raw({ schemaVersion: 2, mediaType: MediaType.OciManifest, artifactType: 'application/vnd.example.sig', config: empty, layers: [empty], subject }, MediaType.OciManifest);
    await client.putManifest(host, repo, sig.digest, sig);
    const sigDesc = { mediaType: MediaType.OciManifest, digest: sig.digest, size: sig.bytes.byteLength, artifactType: 'application/vnd.example.sig' };
    const index = raw({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [sigDesc] }, MediaType.OciIndex);
    await client.putManifest(host, repo, `sha256-${img.manifest.digest.slice(7)}`, index);

    const found = await client.referrers(host, repo, img.manifest.digest);
    expect(found.via).toBe('tag');
    expect(found.index.manifests).toEqual([sigDesc]);
    expect((await client.referrers(host, repo, img.manifest.digest, { artifactType: 'application/vnd.other' })).index.manifests).toEqual([]);
    const none = await client.referrers(host, repo, sig.digest);
    expect(none.index.manifests).toEqual([]);
  });
});
