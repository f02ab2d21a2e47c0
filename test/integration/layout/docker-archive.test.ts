/**
 * airlift reads what docker and podman write (issue #21 item 5): a bundle saved from a real
 * registry is loaded into the real dockerd 20.10 and podman 4.3, which save it again (`docker
 * save`, `podman save -m`, `podman save --format oci-archive`); `airlift load` and `airlift copy
 * docker-archive:FILE[:REF]` push those archives to a real registry. skopeo, the independent
 * judge, reads back each image: the config is byte for byte the original (same digest: the image
 * ID), and the layers are the archive's uncompressed tars, so their digests are the original
 * diff_ids. The same archive always gives the same manifest digest.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedLayout } from '../../../fixtures/images/generate.js';
import type { StartedRegistry } from '../../harness/registry.js';
import { registryFlags, skopeo } from '../../harness/skopeo.js';
import { useLoader } from '../../harness/use-loaders.js';
import { useSeededPair } from '../../harness/use-seeded-pair.js';
import { runCli } from '../../helpers/io.js';
import { startServe } from '../../../src/serve/server.js';
import { indexTar } from '../../../src/layout/tar-index.js';
import { sha256Digest as sha } from '../../helpers/digest.js';

let src: StartedRegistry;
let dst: StartedRegistry;
let tmp: string;
let layout: GeneratedLayout;
let bundle: string;
const NAMES = ['fixtures/alpha', 'fixtures/gamma', 'fixtures/multi'];

const pair = useSeededPair('docker-archive');
beforeAll(async () => {
  ({ src, dst, tmp, layout } = pair());
  bundle = path.join(tmp, 'bundle.tar');
  const images = layout.images.filter((i) => NAMES.includes(i.name)).map((i) => `${src.host}/${i.name}:${i.tag}`);
  const r = await runCli(['--plain-http', src.host, 'save', ...images.flatMap((i) => ['--image', i]), '-o', bundle]);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);

/** The original image (linux/amd64 for the index) a name was saved from. */
function original(name: string): { config: string; diffIds: string[] } {
  const img = layout.images.find((i) => i.name === name)!;
  const m = img.manifests.find((x) => x.platform.architecture === 'amd64')!;
  return { config: m.config.digest, diffIds: m.diffIds };
}

/** What the destination registry holds at REPO:TAG, read by skopeo: manifest digest, config digest and bytes' digest, layer digests. */
async function landed(repoTag: string): Promise<{ digest: string; config: string; configBytes: string; layers: string[]; mediaTypes: string[] }> {
  const ref = `docker://${dst.host}/${repoTag}`;
  const raw = (await skopeo(['inspect', '--raw', ...registryFlags(dst, ''), ref])).stdout;
  const m = JSON.parse(raw.toString('utf8')) as { config: { digest: string }; layers: Array<{ digest: string; mediaType: string }> };
  const config = (await skopeo(['inspect', '--config', '--raw', ...registryFlags(dst, ''), ref])).stdout;
  return { digest: sha(raw), config: m.config.digest, configBytes: sha(config), layers: m.layers.map((l) => l.digest), mediaTypes: m.layers.map((l) => l.mediaType) };
}

function expectSameImage(got: Awaited<ReturnType<typeof landed>>, name: string): void {
  const want = original(name);
  expect(got.config, name).toBe(want.config);
  expect(got.configBytes, name).toBe(want.config);
  expect(got.layers, name).toEqual(want.diffIds);
  expect(new Set(got.mediaTypes)).toEqual(new Set(['application/vnd.oci.image.layer.v1.tar']));
}

describe('docker save → airlift', () => {
  const docker = useLoader('dockerd');
  let archive: string;
  beforeAll(async () => {
    await docker().run(['load', '-i', bundle]);
    archive = path.join(tmp, 'docker-save.tar');
    await docker().run(['save', '-o', archive, ...NAMES.map((n) => `${src.host}/${n}:${layout.images.find((i) => i.name === n)!.tag}`)]);
  }, 120_000);

  it('load takes the archive as a bundle, says what it is, and pushes every image with its config and diff_ids', async () => {
    const r = await runCli(['--plain-http', dst.host, 'load', archive, '--to', `${dst.host}/from-docker`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('is a docker archive (docker save / podman save)');
    for (const n of NAMES) {
      const tag = layout.images.find((i) => i.name === n)!.tag;
      expectSameImage(await landed(`from-docker/${n}:${tag}`), n); // --mapping default: the registry host is dropped
    }
  });

  it('copy docker-archive:FILE:NAME pushes that image; the same archive gives the same manifest digest', async () => {
    const name = `${src.host}/fixtures/gamma:3.0`;
    const a = await runCli(['--plain-http', dst.host, 'copy', `docker-archive:${archive}:${name}`, `docker://${dst.host}/copied/gamma:a`]);
    expect(a.code, a.stderr).toBe(0);
    const b = await runCli(['--plain-http', dst.host, 'copy', `docker-archive:${archive}:${name}`, `docker://${dst.host}/copied/gamma:b`]);
    expect(b.code, b.stderr).toBe(0);
    const [ga, gb] = [await landed('copied/gamma:a'), await landed('copied/gamma:b')];
    expectSameImage(ga, 'fixtures/gamma');
    expect(ga.digest).toBe(gb.digest);
  });

  it('serve answers the registry pull API from the archive: skopeo reads the image with its config', async () => {
    const served = await startServe({ bundle: archive, listen: '127.0.0.1:0' });
    try {
      const ref = `docker://${served.address}/fixtures/gamma:3.0`;
      const config = (await skopeo(['inspect', '--config', '--raw', '--tls-verify=false', '--no-creds', ref])).stdout;
      expect(sha(config)).toBe(original('fixtures/gamma').config);
    } finally {
      await served.close();
    }
  });

  it('a layer whose bytes are not its diff_id fails its image: verify and load name the digest, no manifest of it is pushed', async () => {
    const damaged = path.join(tmp, 'docker-save-damaged.tar');
    const bytes = await readFile(archive);
    const gammaLast = original('fixtures/gamma').diffIds.at(-1)!;
    // the layer file whose bytes hash to gamma's last diff_id: flip a byte in it
    const entries = await indexTar(archive);
    const victim = [...entries.values()].find((e) => e.name.endsWith('.tar') && sha(bytes.subarray(e.offset, e.offset + e.size)) === gammaLast)!;
    expect(victim).toBeDefined();
    bytes[victim.offset + victim.size - 1024]! ^= 0xff;
    await writeFile(damaged, bytes);
    const v = await runCli(['verify', damaged]);
    expect(v.code).not.toBe(0);
    expect(v.stderr).toContain(gammaLast);
    const r = await runCli(['--plain-http', dst.host, 'load', damaged, '--to', `${dst.host}/damaged`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(gammaLast);
    await expect(skopeo(['inspect', '--raw', ...registryFlags(dst, ''), `docker://${dst.host}/damaged/fixtures/gamma:3.0`])).rejects.toThrow(/manifest unknown|not found/i);
  });

  it('verify re-hashes the archive; oci-archive: names it a docker archive', async () => {
    const v = await runCli(['verify', archive]);
    expect(v.code, v.stderr).toBe(0);
    const c = await runCli(['--plain-http', dst.host, 'copy', `oci-archive:${archive}`, `docker://${dst.host}/wrong/x:1`]);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('is a docker archive (written by docker save or podman save');
    expect(c.stderr).toContain(`docker-archive:${archive}`);
  });
});

describe('podman save → airlift', () => {
  const podman = useLoader('podman');
  let multi: string;
  let oci: string;
  beforeAll(async () => {
    await podman().run(['load', '-i', bundle]);
    multi = path.join(tmp, 'podman-save.tar');
    await podman().run(['save', '-m', '-o', multi, ...NAMES.map((n) => `${src.host}/${n}:${layout.images.find((i) => i.name === n)!.tag}`)]);
    oci = path.join(tmp, 'podman-save-oci.tar');
    await podman().run(['save', '--format', 'oci-archive', '-o', oci, `${src.host}/fixtures/alpha:1.0`]);
  }, 120_000);

  it('copy docker-archive: of a podman save -m archive pushes each image with its config and diff_ids', async () => {
    for (const n of NAMES) {
      const tag = layout.images.find((i) => i.name === n)!.tag;
      const r = await runCli(['--plain-http', dst.host, 'copy', `docker-archive:${multi}:${src.host}/${n}:${tag}`, `docker://${dst.host}/podman/${n}:${tag}`]);
      expect(r.code, r.stderr).toBe(0);
      expectSameImage(await landed(`podman/${n}:${tag}`), n);
    }
  });

  it('copy oci-archive: of a podman save --format oci-archive pushes the image with its config', async () => {
    const r = await runCli(['--plain-http', dst.host, 'copy', `oci-archive:${oci}`, `docker://${dst.host}/podman-oci/alpha:1.0`]);
    expect(r.code, r.stderr).toBe(0);
    const got = await landed('podman-oci/alpha:1.0');
    expect(got.config).toBe(original('fixtures/alpha').config);
    expect(got.configBytes).toBe(original('fixtures/alpha').config);
    expect(got.layers).toHaveLength(original('fixtures/alpha').diffIds.length);
  });
});
