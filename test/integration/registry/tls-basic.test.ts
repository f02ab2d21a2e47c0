import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistryEndpoint } from '../../../src/endpoint/registry.js';
import { AuthError, NetworkError } from '../../../src/errors.js';
import { createRegistryClient, staticCredentials } from '../../../src/registry/index.js';
import { useRegistry } from '../../harness/use-registry.js';
import { makeImage, readAll } from './image.js';
import { destFlags, dockerRef, skopeo, skopeoInspectRaw, srcFlags } from '../../harness/skopeo.js';

describe('registry client against docker-registry with TLS (generated CA) and htpasswd', () => {
  const reg = useRegistry('tls-basic');
  const clients: Array<{ close(): Promise<void> }> = [];
  afterAll(async () => {
    for (const c of clients) await c.close();
  });
  const client = (creds?: { username: string; password: string }, caFiles?: string[]) => {
    const r = reg();
    const c = createRegistryClient({
      env: {},
      caFiles: caFiles ?? [r.caFile!],
      certsDirs: [],
      credentials: staticCredentials(r.host, creds ?? { username: r.username!, password: r.password! }),
    });
    clients.push(c);
    return c;
  };

  it('pushes and pulls over HTTPS with Basic auth', async () => {
    const r = reg();
    const c = client();
    expect(await c.ping(r.host)).toEqual({ origin: `https://${r.host}`, auth: 'basic' });
    const img = makeImage();
    const ep = createRegistryEndpoint(r.host, c);
    await ep.putBlob('team/app', img.config.desc, Readable.from([img.config.bytes]));
    await ep.putBlob('team/app', img.layer.desc, Readable.from([img.layer.bytes]));
    await ep.putManifest('team/app', img.manifest, '1.0');
    const m = await ep.getManifest('team/app', '1.0');
    expect(m.digest).toBe(img.manifest.digest);
    expect((await readAll(await ep.getBlob('team/app', img.layer.desc))).equals(img.layer.bytes)).toBe(true);
    // skopeo, an independent client, sees exactly what was pushed, and what it copies reads back
    expect((await skopeoInspectRaw(r, 'team/app:1.0')).equals(Buffer.from(img.manifest.bytes))).toBe(true);
    await skopeo(['copy', '--preserve-digests', ...srcFlags(r), ...destFlags(r), dockerRef(r, 'team/app:1.0'), dockerRef(r, 'team/copied:2.0')]);
    const copied = await ep.getManifest('team/copied', '2.0');
    expect(copied.digest).toBe(img.manifest.digest);
    expect((await readAll(await ep.getBlob('team/copied', img.layer.desc))).equals(img.layer.bytes)).toBe(true);
    await ep.close();
  });

  it('refuses a wrong password with an AuthError that does not show the password', async () => {
    const r = reg();
    const c = client({ username: r.username!, password: 'not-the-password-123' });
    const err = await c.getManifest(r.host, 'team/app', '1.0').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(String((err as Error).message)).not.toContain('not-the-password-123');
  });

  it('fails with a TLS NetworkError and a --ca-file hint when the CA is not trusted', async () => {
    const r = reg();
    const c = client(undefined, []);
    // A loopback host falls back to plain HTTP after TLS fails; that fails too, and the TLS error is reported.
    const err = await c.getManifest(r.host, 'team/app', '1.0').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).hint).toMatch(/--ca-file/);
  });

  it('skips verification with insecureSkipTlsVerify', async () => {
    const r = reg();
    const c = createRegistryClient({ env: {}, insecureSkipTlsVerify: true, certsDirs: [], credentials: staticCredentials(r.host, { username: r.username!, password: r.password! }) });
    clients.push(c);
    expect((await c.ping(r.host)).origin).toBe(`https://${r.host}`);
  });
});
