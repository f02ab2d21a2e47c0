/**
 * Bundles loaded by the real loaders (issue #21 item 5): `airlift save` from a real registry,
 * then Debian's `docker load` (dockerd 20.10), `podman load` (4.3) and containerd's
 * `ctr images import` (1.6), each with its own state. Every image keeps its identity: docker
 * and podman report the config digest as the image ID and the fixture's diff_ids as its layers
 * (docker load records no RepoDigests: it never saw a registry); containerd keeps the bundle's
 * manifest and index digests. A multi-platform index loads as its linux/amd64 image (or the
 * platform --platform chose), and `verify` checks manifest.json. docker 20.10 cannot load zstd
 * layers ("archive/tar: invalid tar header"), so a zstd image is left out of manifest.json with a
 * warning from save; podman and containerd load it.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateLayout, type GeneratedLayout } from '../../../fixtures/images/generate.js';
import { indexTar } from '../../../src/layout/tar-index.js';
import type { StartedRegistry } from '../../harness/registry.js';
import { destFlags, skopeo, skopeoInspectRaw } from '../../harness/skopeo.js';
import { useLoader } from '../../harness/use-loaders.js';
import { useSeededPair } from '../../harness/use-seeded-pair.js';
import { runCli } from '../../helpers/io.js';
import { sha256Digest } from '../../helpers/digest.js';

let src: StartedRegistry;
let tmp: string;
let layout: GeneratedLayout;
let bundle: string;
let armBundle: string;
/** Only the zstd image: loaded first, so that its layers are really decompressed (a loader skips layers it holds). */
let zstdBundle: string;
let saveStderr: string;

interface Expected {
  /** The names docker and podman give it (RepoTags). */
  tags: string[];
  /** The manifest.json Config: the image ID. */
  config: string;
  diffIds: string[];
  /** What containerd lists under the first name: the top-level digest. */
  top: string;
}
const expected: Expected[] = [];

const pair = useSeededPair('docker-load');
beforeAll(async () => {
  ({ src, tmp, layout } = pair());
  // an image of its own, its layers recompressed with zstd by skopeo into a layout (skopeo 1.9 does not recompress
  // on a push), then pushed as it is (its content is new to the registry: skopeo's blob cache knows no gzip twin to use instead)
  const zl = await generateLayout(path.join(tmp, 'zstd-source'), [{ name: 'zstd/alpha', tag: '1.0', format: 'oci', layers: [{ size: 64 * 1024 }, { size: 4096 }] }], { seed: 'docker-load-zstd' });
  const zstdDir = path.join(tmp, 'zstd-layout');
  await skopeo(['copy', '--dest-compress-format', 'zstd', `oci:${zl.dir}:zstd/alpha:1.0`, `oci:${zstdDir}:z`]);
  await skopeo(['copy', ...destFlags(src), `oci:${zstdDir}:z`, `docker://${src.host}/zstd/alpha:1.0`]);
  const zm = zl.images[0]!.manifests[0]!;
  const img = (name: string) => layout.images.find((i) => i.name === name)!;
  const alpha = img('fixtures/alpha');
  const amd64 = (name: string) => img(name).manifests.find((m) => m.platform.architecture === 'amd64')!;
  const zstdRaw = JSON.parse((await skopeoInspectRaw(src, 'zstd/alpha:1.0')).toString('utf8')) as { layers: Array<{ mediaType: string }> };
  expect(zstdRaw.layers.map((l) => l.mediaType)).toEqual(['application/vnd.oci.image.layer.v1.tar+zstd', 'application/vnd.oci.image.layer.v1.tar+zstd']);
  const zstdDigest = sha256Digest(await skopeoInspectRaw(src, 'zstd/alpha:1.0'));
  const full = (n: string, t: string): string => `${src.host}/${n}:${t}`;
  expected.push(
    { tags: [`${src.host}/fixtures/alpha:sha256-${alpha.digest.slice(7)}`, full('fixtures/alpha', '1.0')].sort(), config: alpha.manifests[0]!.config.digest, diffIds: alpha.manifests[0]!.diffIds, top: alpha.digest },
    ...['fixtures/beta', 'fixtures/gamma', 'fixtures/multi'].map((n) => ({ tags: [full(n, img(n).tag)], config: amd64(n).config.digest, diffIds: amd64(n).diffIds, top: img(n).digest })),
    { tags: [full('zstd/alpha', '1.0')], config: zm.config.digest, diffIds: zm.diffIds, top: zstdDigest },
  );
  bundle = path.join(tmp, 'bundle.tar');
  const images = [...layout.images.map((i) => full(i.name, i.tag)), `${src.host}/fixtures/alpha@${alpha.digest}`, full('zstd/alpha', '1.0')];
  const r = await runCli(['--plain-http', src.host, 'save', ...images.flatMap((i) => ['--image', i]), '-o', bundle]);
  expect(r.code, r.stderr).toBe(0);
  saveStderr = r.stderr;
  zstdBundle = path.join(tmp, 'zstd.tar');
  const z = await runCli(['--plain-http', src.host, 'save', '--image', full('zstd/alpha', '1.0'), '-o', zstdBundle]);
  expect(z.code, z.stderr).toBe(0);
  armBundle = path.join(tmp, 'arm.tar');
  const a = await runCli(['--plain-http', src.host, 'save', '--image', full('fixtures/multi', '1.0'), '--platform', 'linux/arm64', '-o', armBundle]);
  expect(a.code, a.stderr).toBe(0);
}, 180_000);

const zstdImage = (): Expected => expected.find((x) => x.tags[0]!.includes('/zstd/'))!;

async function manifestJson(file: string): Promise<Array<{ Config: string; RepoTags: string[]; Layers: string[] }>> {
  const e = (await indexTar(file)).get('manifest.json')!;
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(e.size);
    await fh.read(buf, 0, e.size, e.offset);
    return JSON.parse(buf.toString('utf8'));
  } finally {
    await fh.close();
  }
}

describe('the bundle’s manifest.json', () => {
  it('has one entry per image: its default platform’s config and layers as layout blobs, its full references as tags', async () => {
    const m = await manifestJson(bundle);
    const loadable = expected.filter((x) => x !== zstdImage());
    expect(m.map((e) => e.RepoTags)).toEqual(loadable.map((x) => x.tags));
    expect(m.map((e) => e.Config)).toEqual(loadable.map((x) => `blobs/sha256/${x.config.slice(7)}`));
    const names = await indexTar(bundle);
    for (const e of m) for (const p of [e.Config, ...e.Layers]) expect(names.has(p), p).toBe(true);
  });

  it('leaves the zstd image out, and save says so; a bundle of only that image has no manifest.json', async () => {
    expect(saveStderr).toContain(`docker load will not load ${zstdImage().tags[0]}: its layers are zstd-compressed, which docker 20.10 cannot load`);
    expect((await indexTar(zstdBundle)).has('manifest.json')).toBe(false);
  });

  it('with --platform linux/arm64, names the arm64 image', async () => {
    const multi = layout.images.find((i) => i.name === 'fixtures/multi')!;
    const arm = multi.manifests.find((x) => x.platform.architecture === 'arm64')!;
    expect((await manifestJson(armBundle)).map((e) => e.Config)).toEqual([`blobs/sha256/${arm.config.digest.slice(7)}`]);
  });

  it('verify accepts it, and names a manifest.json that no longer matches the layout', async () => {
    expect((await runCli(['verify', bundle])).code).toBe(0);
    const bad = path.join(tmp, 'bad-manifest-json.tar');
    const bytes = await readFile(bundle);
    const e = (await indexTar(bundle)).get('manifest.json')!;
    const text = bytes.subarray(e.offset, e.offset + e.size).toString('utf8');
    const changed = text.replace('fixtures/beta:2.1', 'fixtures/beta:2.2');
    expect(changed).not.toBe(text);
    bytes.write(changed, e.offset, 'utf8');
    await writeFile(bad, bytes);
    const r = await runCli(['verify', bad]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`manifest.json names ${src.host}/fixtures/beta:2.1 as ["${src.host}/fixtures/beta:2.2"]`);
  });
});

describe('docker load (dockerd 20.10)', () => {
  const docker = useLoader('dockerd');
  it('cannot load a zstd image (docker 20.10 does not decompress zstd): save leaves it out of manifest.json', async () => {
    const d = docker();
    // without manifest.json docker load fails, it does not load nothing and exit 0
    await expect(d.run(['load', '-i', zstdBundle])).rejects.toThrow(/manifest\.json|no such file/i);
    // with the entry save would have written without that rule: docker fails on the zstd layer
    const dir = path.join(tmp, 'zstd-unpacked');
    await mkdir(dir);
    execFileSync('tar', ['-xf', zstdBundle, '-C', dir]);
    const raw = JSON.parse((await skopeo(['inspect', '--raw', `oci-archive:${zstdBundle}:${zstdImage().tags[0]}`])).stdout.toString('utf8')) as { config: { digest: string }; layers: Array<{ digest: string }> };
    const blob = (dg: string): string => `blobs/sha256/${dg.slice(7)}`;
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify([{ Config: blob(raw.config.digest), RepoTags: zstdImage().tags, Layers: raw.layers.map((l) => blob(l.digest)) }]));
    const handMade = path.join(tmp, 'zstd-with-manifest.tar');
    execFileSync('tar', ['-cf', handMade, '-C', dir, '.']);
    await expect(d.run(['load', '-i', handMade])).rejects.toThrow(/invalid tar header/);
  });

  it('loads every image under its names, each with its config digest as ID and its diff_ids', async () => {
    const d = docker();
    const out = (await d.run(['load', '-i', bundle])).stdout;
    const loadable = expected.filter((x) => x !== zstdImage());
    for (const x of loadable) for (const t of x.tags) expect(out).toContain(`Loaded image: ${t}`);
    expect(out).not.toContain(zstdImage().tags[0]);
    for (const x of loadable) {
      for (const t of x.tags) {
        const [id, layers, digests] = JSON.parse((await d.run(['inspect', '--format', '[{{json .Id}},{{json .RootFS.Layers}},{{json .RepoDigests}}]', t])).stdout) as [string, string[], string[]];
        expect(id, t).toBe(x.config);
        expect(layers, t).toEqual(x.diffIds);
        expect(digests, t).toEqual([]);
      }
    }
  });

  it('loads the arm64 image of a --platform bundle', async () => {
    const d = docker();
    await d.run(['load', '-i', armBundle]);
    const multi = layout.images.find((i) => i.name === 'fixtures/multi')!;
    const arm = multi.manifests.find((x) => x.platform.architecture === 'arm64')!;
    const [id, arch] = JSON.parse((await d.run(['inspect', '--format', '[{{json .Id}},{{json .Architecture}}]', `${src.host}/fixtures/multi:1.0`])).stdout) as [string, string];
    expect([id, arch]).toEqual([arm.config.digest, 'arm64']);
  });
});

describe('podman load (4.3)', () => {
  const podman = useLoader('podman');
  it('loads a one-image bundle by its index.json, zstd layers included', async () => {
    const p = podman();
    expect((await p.run(['load', '-i', zstdBundle])).stdout).toContain(`Loaded image: ${zstdImage().tags[0]}`);
    const [img] = JSON.parse((await p.run(['inspect', zstdImage().tags[0]!])).stdout) as Array<{ Id: string; RootFS: { Layers: string[] } }>;
    expect([`sha256:${img!.Id}`, img!.RootFS.Layers]).toEqual([zstdImage().config, zstdImage().diffIds]);
  });

  it('loads every image under its names, each with its config digest as ID and its diff_ids', async () => {
    const p = podman();
    const out = (await p.run(['load', '-i', bundle])).stdout;
    // podman reads manifest.json for a bundle of several images (its OCI path takes one image only), so it
    // loads what docker loads; the zstd image came from its one-image bundle above
    const loadable = expected.filter((x) => x !== zstdImage());
    for (const x of loadable) for (const t of x.tags) expect(out).toContain(`Loaded image: ${t}`);
    for (const x of expected) {
      const [img] = JSON.parse((await p.run(['inspect', x.tags[0]!])).stdout) as Array<{ Id: string; RootFS: { Layers: string[] }; RepoTags: string[] }>;
      expect(`sha256:${img!.Id}`).toBe(x.config);
      expect(img!.RootFS.Layers).toEqual(x.diffIds);
      expect([...img!.RepoTags].sort()).toEqual(x.tags);
    }
  });
});

describe('ctr images import (containerd 1.6)', () => {
  const ctr = useLoader('containerd');
  it('imports every image under its full reference with the bundle’s digest', async () => {
    const c = ctr();
    await c.run(['images', 'import', bundle]);
    const rows = (await c.run(['images', 'ls'])).stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/));
    const listed = new Map(rows.map((r) => [r[0]!, r[2]!]));
    for (const x of expected) {
      const name = x.tags.find((t) => !t.includes(':sha256-'))!;
      expect(listed.get(name), name).toBe(x.top);
    }
    expect(listed.get(`${src.host}/fixtures/alpha@${expected[0]!.top}`)).toBe(expected[0]!.top);
  });
});
