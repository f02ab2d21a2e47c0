/**
 * Self-test of the harness: generates the tiny fixture set, seeds it into a
 * real docker-registry in each of the three modes with skopeo, and reads every
 * image back with skopeo. Also checks that wrong credentials are refused and
 * that a short-lived token really expires at the registry.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLayout, presetTiny, seedRegistry, type GeneratedLayout } from '../../../fixtures/images/generate.js';
import { startRegistry, type RegistryMode, type StartedRegistry } from '../../harness/registry.js';
import { dockerRef, registryFlags, skopeo, skopeoInspectDigest, skopeoInspectRaw } from '../../harness/skopeo.js';
import { useRegistry } from '../../harness/use-registry.js';

let layout: GeneratedLayout;
let layoutDir: string;

beforeAll(async () => {
  layoutDir = await mkdtemp(path.join(os.tmpdir(), 'airlift-harness-layout-'));
  layout = await generateLayout(layoutDir, presetTiny());
});
afterAll(async () => {
  if (layoutDir) await rm(layoutDir, { recursive: true, force: true });
});

const wrong = { username: 'airlift', password: 'not-the-password' };

async function expectAllImagesReadable(reg: StartedRegistry): Promise<void> {
  for (const img of layout.images) {
    expect(await skopeoInspectDigest(reg, `${img.name}:${img.tag}`), img.ref).toBe(img.digest);
    if (img.manifests.length > 1) {
      const index = JSON.parse((await skopeoInspectRaw(reg, `${img.name}:${img.tag}`)).toString('utf8')) as {
        manifests: Array<{ digest: string; platform: { architecture: string } }>;
      };
      expect(index.manifests.map((m) => m.platform.architecture).sort()).toEqual(['amd64', 'arm64']);
      for (const m of img.manifests) {
        expect(await skopeoInspectDigest(reg, `${img.name}@${m.descriptor.digest}`)).toBe(m.descriptor.digest);
      }
    }
  }
}

describe.each<RegistryMode>(['plain', 'tls-basic', 'token'])('%s registry', (mode) => {
  const reg = useRegistry(mode);

  it('seeds the tiny preset with skopeo and reads every image back with the same digests', async () => {
    const r = reg();
    expect(r.mode).toBe(mode);
    expect(r.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(r.url).toBe(`${mode === 'tls-basic' ? 'https' : 'http'}://${r.host}`);
    const pushed = await seedRegistry(layoutDir, r, layout.images);
    expect(pushed).toEqual(layout.images.map((i) => `${r.host}/${i.name}:${i.tag}`));
    await expectAllImagesReadable(r);
  });

  it('copies an image out of the registry with skopeo, keeping its digest', async () => {
    const r = reg();
    const img = layout.images.find((i) => i.format === 'docker')!;
    const out = await mkdtemp(path.join(os.tmpdir(), 'airlift-harness-copy-'));
    try {
      await skopeo(['copy', '--quiet', '--preserve-digests', ...registryFlags(r, 'src'), dockerRef(r, `${img.name}:${img.tag}`), `dir:${out}`]);
      expect(existsSync(path.join(out, 'manifest.json'))).toBe(true);
      for (const l of img.manifests[0]!.layers) expect(existsSync(path.join(out, l.digest.slice('sha256:'.length)))).toBe(true);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  if (mode === 'plain') {
    it('serves anonymous clients', async () => {
      const res = await fetch(`${reg().url}/v2/`);
      expect(res.status).toBe(200);
    });
  } else {
    it('refuses wrong credentials and anonymous clients', async () => {
      const r = reg();
      const ref = `${layout.images[0]!.name}:${layout.images[0]!.tag}`;
      await expect(skopeoInspectDigest(r, ref, wrong)).rejects.toThrow(/unauthorized|authentication required|401/i);
      await expect(skopeoInspectDigest(r, ref, null)).rejects.toThrow(/unauthorized|authentication required|401/i);
    });
  }
});

describe('tls-basic specifics', () => {
  const reg = useRegistry('tls-basic');

  it('serves a certificate for 127.0.0.1 signed by the per-run CA only', async () => {
    const r = reg();
    expect(r.caFile && existsSync(r.caFile)).toBe(true);
    expect(r.certDir && existsSync(path.join(r.certDir, 'ca.crt'))).toBe(true);
    // Without the CA, verification fails.
    await expect(
      skopeo(['inspect', '--raw', '--tls-verify=true', '--creds', `${r.username}:${r.password}`, dockerRef(r, 'fixtures/none:1')]),
    ).rejects.toThrow(/x509|certificate/i);
    // With it, the registry answers (the repository does not exist).
    await expect(skopeoInspectRaw(r, 'fixtures/none:1')).rejects.toThrow(/manifest unknown|not found|name unknown/i);
  });
});

describe('token specifics', () => {
  const reg = useRegistry('token', { tokenLifetimeSeconds: 300 });

  async function fetchToken(r: StartedRegistry, scopes: string[], creds = { username: r.username!, password: r.password! }) {
    const u = new URL(r.token!.realm);
    u.searchParams.set('service', r.token!.service);
    for (const s of scopes) u.searchParams.append('scope', s);
    return fetch(u, { headers: { authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` } });
  }

  async function getManifest(r: StartedRegistry, repo: string, tag: string, token: string): Promise<number> {
    const res = await fetch(`${r.url}/v2/${repo}/manifests/${tag}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
    });
    await res.arrayBuffer();
    return res.status;
  }

  beforeAll(async () => {
    await seedRegistry(layoutDir, reg(), layout.images.slice(0, 2));
  });

  it('announces the token realm and refuses requests without a token', async () => {
    const r = reg();
    const res = await fetch(`${r.url}/v2/`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="${r.token!.realm}",service="${r.token!.service}"`);
  });

  it('issues signed JWTs with per-repository scopes', async () => {
    const r = reg();
    const before = r.token!.issuedCount();
    const res = await fetchToken(r, ['repository:fixtures/alpha:pull']);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; access_token: string; expires_in: number; issued_at: string };
    expect(body.access_token).toBe(body.token);
    expect(body.expires_in).toBe(300);
    expect(r.token!.issuedCount()).toBe(before + 1);
    const [h, c] = body.token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>);
    expect(h).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    expect((h!.x5c as string[]).length).toBe(1);
    expect(c).toMatchObject({ sub: r.username, aud: r.token!.service, access: [{ type: 'repository', name: 'fixtures/alpha', actions: ['pull'] }] });
    // The token opens fixtures/alpha, and not fixtures/beta.
    expect(await getManifest(r, 'fixtures/alpha', '1.0', body.token)).toBe(200);
    expect(await getManifest(r, 'fixtures/beta', '2.1', body.token)).toBe(401);
  });

  it('refuses anonymous and wrong-password token requests', async () => {
    const r = reg();
    const anon = await fetch(`${r.token!.realm}?service=${r.token!.service}&scope=repository:fixtures/alpha:pull`);
    expect(anon.status).toBe(401);
    const bad = await fetchToken(r, ['repository:fixtures/alpha:pull'], wrong);
    expect(bad.status).toBe(401);
  });

  it('gives the read-only user pull but not push', async () => {
    const r = reg();
    const ro = r.token!.readOnly;
    expect(await skopeoInspectDigest(r, 'fixtures/alpha:1.0', ro)).toBe(layout.images[0]!.digest);
    await expect(seedRegistry(layoutDir, r, [layout.images[2]!], { creds: ro })).rejects.toThrow(/denied|unauthorized|authentication required/i);
    const granted = (await (await fetchToken(r, ['repository:fixtures/alpha:pull,push'], ro)).json()) as { token: string };
    const claims = JSON.parse(Buffer.from(granted.token.split('.')[1]!, 'base64url').toString('utf8')) as { access: unknown };
    expect(claims.access).toEqual([{ type: 'repository', name: 'fixtures/alpha', actions: ['pull'] }]);
  });

  it('a short-lived token is refused by the registry once it has expired', async () => {
    const r = reg();
    r.token!.setLifetimeSeconds(2);
    try {
      const body = (await (await fetchToken(r, ['repository:fixtures/alpha:pull'])).json()) as { token: string; expires_in: number };
      expect(body.expires_in).toBe(2);
      const claims = JSON.parse(Buffer.from(body.token.split('.')[1]!, 'base64url').toString('utf8')) as { iat: number };
      expect(await getManifest(r, 'fixtures/alpha', '1.0', body.token)).toBe(200);
      const expiresAtMs = (claims.iat + 2) * 1000;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAtMs - Date.now()) + 1100));
      expect(await getManifest(r, 'fixtures/alpha', '1.0', body.token)).toBe(401);
      // A fresh token works again.
      const fresh = (await (await fetchToken(r, ['repository:fixtures/alpha:pull'])).json()) as { token: string };
      expect(await getManifest(r, 'fixtures/alpha', '1.0', fresh.token)).toBe(200);
    } finally {
      r.token!.setLifetimeSeconds(300);
    }
  });
});

describe('lifecycle', () => {
  it('stop() ends the registry process and removes its storage', async () => {
    const r = await startRegistry({ mode: 'plain' });
    try {
      expect((await fetch(`${r.url}/v2/`)).status).toBe(200);
      expect(existsSync(path.dirname(r.storageDir))).toBe(true);
    } finally {
      await r.stop();
    }
    expect(existsSync(path.dirname(r.storageDir))).toBe(false);
    await expect(fetch(`${r.url}/v2/`)).rejects.toThrow();
    await r.stop(); // idempotent
  });

  it('starts several registries side by side on distinct ports', async () => {
    const [a, b] = await Promise.all([startRegistry(), startRegistry()]);
    try {
      expect(a.host).not.toBe(b.host);
      expect(a.storageDir).not.toBe(b.storageDir);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
