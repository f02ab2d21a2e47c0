import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistryEndpoint } from '../../../src/endpoint/registry.js';
import { sha256 } from '../../../src/digest/index.js';
import { DigestMismatchError } from '../../../src/errors.js';
import { createRegistryClient } from '../../../src/registry/index.js';
import { useRegistry } from '../../harness/use-registry.js';
import { makeImage } from './image.js';

function blobPath(storageDir: string, digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return path.join(storageDir, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}

describe('uploads whose bytes do not match their digest are never committed', () => {
  const reg = useRegistry('plain');
  const client = createRegistryClient({ env: {} });
  afterAll(() => client.close());

  const cases: Array<[string, (good: Buffer) => Buffer, { chunked?: boolean }]> = [
    ['same size, other bytes (monolithic)', (g) => randomBytes(g.length), {}],
    ['same size, other bytes (chunked)', (g) => randomBytes(g.length), { chunked: true }],
    ['one byte short', (g) => g.subarray(0, g.length - 1), {}],
    ['one byte too many', (g) => Buffer.concat([g, Buffer.from([0])]), {}],
    ['last byte flipped', (g) => Buffer.concat([g.subarray(0, g.length - 1), Buffer.from([g[g.length - 1]! ^ 1])]), {}],
  ];

  for (const [name, corrupt, opts] of cases) {
    it(name, async () => {
      const { host, storageDir } = reg();
      const img = makeImage(200 * 1024);
      const bad = corrupt(img.layer.bytes);
      // in pieces, so that most of the body is on the wire before the mismatch shows
      const pieces = Array.from({ length: Math.ceil(bad.length / 8192) }, (_, i) => bad.subarray(i * 8192, (i + 1) * 8192));
      const err = await client
        .putBlob(host, 'verify/app', img.layer.desc, Readable.from(pieces), { ...opts, chunkSize: 64 * 1024 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DigestMismatchError);
      // neither the announced digest nor the digest of the bytes sent exists at the registry
      expect(await client.headBlob(host, 'verify/app', img.layer.desc.digest)).toBeUndefined();
      expect(await client.headBlob(host, 'verify/app', sha256(bad))).toBeUndefined();
      expect(existsSync(blobPath(storageDir, img.layer.desc.digest))).toBe(false);
      expect(existsSync(blobPath(storageDir, sha256(bad)))).toBe(false);
    });
  }

  it('the endpoint refuses a bad body the same way, and a good body afterwards succeeds', async () => {
    const { host, storageDir } = reg();
    const img = makeImage();
    const ep = createRegistryEndpoint(host, client);
    await expect(ep.putBlob('verify/ep', img.layer.desc, Readable.from([randomBytes(img.layer.desc.size)]))).rejects.toBeInstanceOf(DigestMismatchError);
    expect(await ep.hasBlob('verify/ep', img.layer.desc)).toBe(false);
    await ep.putBlob('verify/ep', img.layer.desc, Readable.from([img.layer.bytes]));
    expect(await ep.hasBlob('verify/ep', img.layer.desc)).toBe(true);
    expect(existsSync(blobPath(storageDir, img.layer.desc.digest))).toBe(true);
    await ep.close();
  });

  it('chunked upload of a good blob lands (PATCH per chunk, then PUT)', async () => {
    const { host } = reg();
    const img = makeImage(300 * 1024);
    await client.putBlob(host, 'verify/chunked', img.layer.desc, Readable.from([img.layer.bytes]), { chunked: true, chunkSize: 64 * 1024 });
    expect(await client.headBlob(host, 'verify/chunked', img.layer.desc.digest)).toEqual({ size: img.layer.desc.size });
  });
});

describe('mount between repositories (plain registry)', () => {
  const reg = useRegistry('plain');
  const client = createRegistryClient({ env: {} });
  afterAll(() => client.close());

  it('mounts when the source repository has the blob (201), and uploads into the declined session otherwise (202)', async () => {
    const { host } = reg();
    const img = makeImage();
    const ep = createRegistryEndpoint(host, client);
    await ep.putBlob('mount/base', img.layer.desc, Readable.from([img.layer.bytes]));
    expect(await ep.mountBlob('mount/app', img.layer.desc, 'mount/base')).toBe(true);
    expect(await ep.hasBlob('mount/app', img.layer.desc)).toBe(true);

    // the config was never pushed to mount/base: the registry declines (202) and opens an upload
    const direct = await client.mountBlob(host, 'mount/app', img.config.desc.digest, 'mount/base');
    expect(direct.mounted).toBe(false);
    if (!direct.mounted) await client.cancelUpload(direct.session);
    expect(await ep.mountBlob('mount/app', img.config.desc, 'mount/base')).toBe(false);
    await ep.putBlob('mount/app', img.config.desc, Readable.from([img.config.bytes]));
    expect(await ep.hasBlob('mount/app', img.config.desc)).toBe(true);
    await ep.close();
  });
});
