import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistryEndpoint } from '../../../src/endpoint/registry.js';
import { createRegistryClient } from '../../../src/registry/index.js';
import { useRegistry } from '../../harness/use-registry.js';
import { makeImage, readAll } from './image.js';

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
    const byDigest = await ep.getManifest('test/app', img.manifest.digest);
    expect(byDigest.digest).toBe(img.manifest.digest);
    const layer = await readAll(await ep.getBlob('test/app', img.layer.desc));
    expect(layer.equals(img.layer.bytes)).toBe(true);
    expect(await client.listTags(host, 'test/app')).toEqual(['v1']);
    await ep.close();
  });
});
