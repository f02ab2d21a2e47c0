import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistryEndpoint } from '../../../src/endpoint/registry.js';
import { AuthError } from '../../../src/errors.js';
import { createRegistryClient, staticCredentials, type RegistryClient } from '../../../src/registry/index.js';
import { useRegistry } from '../../harness/use-registry.js';
import { makeImage, readAll, slowStream } from './image.js';

describe('registry client against docker-registry with token auth', () => {
  const reg = useRegistry('token');
  const clients: RegistryClient[] = [];
  afterAll(async () => {
    for (const c of clients) await c.close();
  });
  const client = (creds?: { username: string; password: string }) => {
    const r = reg();
    const c = createRegistryClient({ env: {}, credentials: staticCredentials(r.host, creds ?? { username: r.username!, password: r.password! }) });
    clients.push(c);
    return c;
  };

  it('pushes and pulls with bearer tokens, one token per scope set', async () => {
    const r = reg();
    r.token!.setLifetimeSeconds(300);
    const c = client();
    expect((await c.ping(r.host)).auth).toBe('bearer');
    const before = r.token!.issuedCount();
    const img = makeImage();
    const ep = createRegistryEndpoint(r.host, c, { push: true });
    expect(await ep.resolveManifest('tok/app', 'v1')).toBeUndefined();
    await ep.putBlob('tok/app', img.config.desc, Readable.from([img.config.bytes]));
    await ep.putBlob('tok/app', img.layer.desc, Readable.from([img.layer.bytes]));
    await ep.putManifest('tok/app', img.manifest, 'v1');
    expect((await ep.getManifest('tok/app', 'v1')).digest).toBe(img.manifest.digest);
    expect((await readAll(await ep.getBlob('tok/app', img.layer.desc))).equals(img.layer.bytes)).toBe(true);
    // every call above shares the push,pull token of tok/app
    expect(r.token!.issuedCount() - before).toBe(1);
  });

  it('finishes a copy that outlives the token lifetime by refreshing the token', async () => {
    const r = reg();
    r.token!.setLifetimeSeconds(2);
    try {
      const c = client();
      const src = createRegistryEndpoint(r.host, c);
      const img = makeImage(256 * 1024);
      const before = r.token!.issuedCount();
      await src.putBlob('tok/short', img.config.desc, Readable.from([img.config.bytes]));
      // a throttled upload that takes longer than the token lives
      await src.putBlob('tok/short', img.layer.desc, slowStream(img.layer.bytes, 16 * 1024, 160));
      await sleep(2200);
      await src.putManifest('tok/short', img.manifest, 'v1');
      await sleep(2200);
      // copy within the registry, reading slowly past the lifetime again
      const body = await src.getBlob('tok/short', img.layer.desc);
      const bytes = await readAll(body);
      await sleep(2200);
      await src.putBlob('tok/copy', img.layer.desc, Readable.from([bytes]));
      await src.putBlob('tok/copy', img.config.desc, Readable.from([img.config.bytes]));
      await src.putManifest('tok/copy', await src.getManifest('tok/short', 'v1'), 'v1');
      expect((await c.headManifest(r.host, 'tok/copy', 'v1'))?.digest).toBe(img.manifest.digest);
      expect(r.token!.issuedCount() - before).toBeGreaterThanOrEqual(3);
    } finally {
      r.token!.setLifetimeSeconds(300);
    }
  }, 30_000);

  it('mounts a blob across repositories with one multi-scope token (201 from the registry)', async () => {
    const r = reg();
    const c = client();
    const img = makeImage();
    await c.putBlob(r.host, 'tok/base', img.layer.desc, Readable.from([img.layer.bytes]));
    const res = await c.mountBlob(r.host, 'tok/other', img.layer.desc.digest, 'tok/base');
    expect(res).toEqual({ mounted: true });
    expect(await c.headBlob(r.host, 'tok/other', img.layer.desc.digest)).toEqual({ size: img.layer.desc.size });
  });

  it('a read-only account can pull but its push is refused with an AuthError', async () => {
    const r = reg();
    const c = client(r.token!.readOnly);
    const img = makeImage();
    expect(await c.headManifest(r.host, 'tok/app', 'v1')).toBeDefined();
    const err = await c.putBlob(r.host, 'tok/ro', img.config.desc, Readable.from([img.config.bytes])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
  });

  it('without credentials the token server refuses and the error says no credentials are stored', async () => {
    const r = reg();
    const c = createRegistryClient({ env: {}, credentials: { get: async () => undefined } });
    clients.push(c);
    const err = await c.getManifest(r.host, 'tok/app', 'v1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toMatch(/^no credentials stored for 127\.0\.0\.1:\d+/);
  });
});
