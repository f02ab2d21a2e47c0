/**
 * Media types (issue #16 item 4): an OCI manifest served with a Docker Content-Type is copied as
 * what its body says (sync, save, then verify and load on the other side work); a bundle whose
 * index.json names a manifest with another media type than its body fails verify and load with
 * a clear E_BUNDLE before anything of that image is pushed.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedLayout } from '../../../fixtures/images/generate.js';
import { MediaType } from '../../../src/oci/types.js';
import { createRegistryClient, type RegistryClient } from '../../../src/registry/index.js';
import { startFaultProxy, type FaultProxy } from '../../harness/fault-proxy.js';
import type { StartedRegistry } from '../../harness/registry.js';
import { skopeoInspectDigest } from '../../harness/skopeo.js';
import { replaceEntry, sampleBundle, writeBundle } from '../../helpers/bundle.js';
import { runCli } from '../../helpers/io.js';
import { useSeededPair } from '../../harness/use-seeded-pair.js';

let src: StartedRegistry;
let dst: StartedRegistry;
let proxy: FaultProxy;
let client: RegistryClient;
let tmp: string;
let layout: GeneratedLayout;

const pair = useSeededPair('media-types');
beforeAll(async () => {
  ({ src, dst, tmp, layout } = pair());
  proxy = await startFaultProxy({ url: src.url });
  client = createRegistryClient({ env: {}, plainHttp: [src.host, dst.host] });
}, 120_000);

afterAll(async () => {
  await client?.close();
  await proxy?.stop();
});

const plain = (): string[] => ['--plain-http', proxy.host, '--plain-http', dst.host];

describe('an OCI manifest served with a Docker Content-Type', () => {
  it('is synced and saved as what its body says; verify and load of the bundle pass', async () => {
    const alpha = layout.images.find((i) => i.name === 'fixtures/alpha')!;
    const m = await client.getManifest(src.host, alpha.name, alpha.tag);
    expect(m.mediaType).toBe(MediaType.OciManifest);
    proxy.addRule({
      method: ['GET', 'HEAD'],
      path: new RegExp(`/v2/${alpha.name}/manifests/`),
      times: Infinity,
      fault: { kind: 'respond', status: 200, headers: { 'content-type': MediaType.DockerManifest, 'docker-content-digest': m.digest }, body: Buffer.from(m.bytes) },
    });
    const ref = `${proxy.host}/${alpha.name}:${alpha.tag}`;

    const s = await runCli([...plain(), 'sync', '--image', ref, '--to', `${dst.host}/synced`]);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stderr).toContain(`served as ${MediaType.DockerManifest}`);
    expect(await skopeoInspectDigest(dst, `synced/${alpha.name}:${alpha.tag}`)).toBe(alpha.digest);
    expect((await client.headManifest(dst.host, `synced/${alpha.name}`, alpha.tag))?.mediaType).toBe(MediaType.OciManifest);

    const bundle = path.join(tmp, 'alpha.tar');
    const sv = await runCli([...plain(), 'save', '--image', ref, '-o', bundle]);
    expect(sv.code, sv.stderr).toBe(0);
    const v = await runCli(['verify', bundle]);
    expect(v.code, v.stderr).toBe(0);
    const l = await runCli(['--plain-http', dst.host, 'load', bundle, '--to', `${dst.host}/loaded`]);
    expect(l.code, l.stderr).toBe(0);
    expect((await client.headManifest(dst.host, `loaded/${alpha.name}`, alpha.tag))?.mediaType).toBe(MediaType.OciManifest);
    proxy.clearRules();
  }, 60_000);
});

describe('a bundle whose index.json gives a manifest another media type than its body', () => {
  it('fails verify and load with E_BUNDLE naming both types; nothing of the image is tagged', async () => {
    const b = sampleBundle('example.com/team/app:1.0');
    const index = JSON.parse(String(b.entries.find((e) => e.name === 'index.json')!.body)) as { manifests: Array<{ mediaType: string }> };
    index.manifests[0]!.mediaType = MediaType.DockerManifest;
    const file = path.join(tmp, 'mislabelled.tar');
    await writeBundle(file, replaceEntry(b.entries, 'index.json', JSON.stringify(index)));

    const v = await runCli(['verify', file]);
    expect(v.code).toBe(6);
    expect(v.stderr).toContain(`descriptor says ${MediaType.DockerManifest}`);
    expect(v.stderr).toContain(`says ${MediaType.OciManifest}`);

    const l = await runCli(['--plain-http', dst.host, 'load', file, '--to', `${dst.host}/mislabelled`]);
    expect(l.code).toBe(6);
    expect(l.stderr).toContain('E_BUNDLE');
    expect(l.stderr).toContain(`descriptor says ${MediaType.DockerManifest}`);
    expect(await client.headManifest(dst.host, 'mislabelled/team/app', '1.0')).toBeUndefined();
    // the same bundle with its index.json as written lands where the mislabelled one did not
    const good = path.join(tmp, 'labelled.tar');
    await writeBundle(good, b.entries);
    const ok = await runCli(['--plain-http', dst.host, 'load', good, '--to', `${dst.host}/mislabelled`]);
    expect(ok.code, ok.stderr).toBe(0);
    expect((await client.headManifest(dst.host, 'mislabelled/team/app', '1.0'))?.digest).toBe(b.manifestDigest);
  }, 60_000);
});
