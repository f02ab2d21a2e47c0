/**
 * The Docker manifest.json a bundle carries (src/layout/docker-manifest.ts): which manifest each
 * index entry gives (an index's default or only platform), the names docker gets (full
 * references; a digest becomes a `sha256-HEX` tag), what is left out (artifacts, absent layers),
 * and the check of a manifest.json against its layout.
 */
import { describe, expect, it } from 'vitest';
import { checkDockerManifest, defaultChild, dockerManifest, dockerRepoTag, serializeDockerManifest } from '../../../src/layout/docker-manifest.js';
import type { LayoutIndex } from '../../../src/layout/index-json.js';
import { MediaType, type Descriptor, type RawManifest } from '../../../src/oci/types.js';
import { sha256Digest as sha } from '../../helpers/digest.js';

const hex = (d: string): string => d.slice('sha256:'.length);

function blob(text: string, mediaType: string): Descriptor {
  return { mediaType, digest: sha(text), size: Buffer.byteLength(text) };
}

/** A little store of manifests and blobs, and an index naming some of them. */
function store() {
  const manifests = new Map<string, RawManifest>();
  const blobs = new Set<string>();
  const put = (json: object, mediaType: string): Descriptor => {
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, ...json }));
    const d = { mediaType, digest: sha(bytes), size: bytes.length };
    manifests.set(d.digest, { bytes, mediaType, digest: d.digest });
    return d;
  };
  const image = (name: string, opts: { config?: string; layer?: string; present?: boolean } = {}): { desc: Descriptor; config: Descriptor; layer: Descriptor } => {
    const config = blob(`config of ${name}`, opts.config ?? MediaType.OciConfig);
    const layer = blob(`layer of ${name}`, opts.layer ?? MediaType.OciLayerGzip);
    blobs.add(config.digest);
    if (opts.present !== false) blobs.add(layer.digest);
    return { desc: put({ config, layers: [layer] }, MediaType.OciManifest), config, layer };
  };
  const index: LayoutIndex = { schemaVersion: 2, manifests: [] };
  const name = (d: Descriptor, ref?: string): void => {
    index.manifests.push({ ...d, ...(ref ? { annotations: { 'org.opencontainers.image.ref.name': ref } } : {}) });
  };
  const read = (d: Descriptor): RawManifest | undefined => manifests.get(d.digest);
  const has = (d: Descriptor): boolean => blobs.has(d.digest);
  return { put, image, index, name, read, has };
}

describe('dockerManifest', () => {
  it('gives each image its config and layers as layout blob paths and its full reference as the tag', async () => {
    const s = store();
    const a = s.image('a');
    s.name(a.desc, 'registry.test:5000/team/a:1.0');
    expect((await dockerManifest(s.index, s.read, s.has)).entries).toEqual([
      { Config: `blobs/sha256/${hex(a.config.digest)}`, RepoTags: ['registry.test:5000/team/a:1.0'], Layers: [`blobs/sha256/${hex(a.layer.digest)}`] },
    ]);
  });

  it('takes linux/amd64 from an index, else its first platform, never an attestation', async () => {
    const s = store();
    const arm = s.image('arm');
    const amd = s.image('amd');
    const att = s.image('attestation');
    const both = s.put(
      {
        manifests: [
          { ...att.desc, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
          { ...arm.desc, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
          { ...amd.desc, platform: { os: 'linux', architecture: 'amd64' } },
        ],
      },
      MediaType.OciIndex,
    );
    const armOnly = s.put({ manifests: [{ ...att.desc, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } }, { ...arm.desc, platform: { os: 'linux', architecture: 'arm64' } }] }, MediaType.OciIndex);
    s.name(both, 'r.test/multi:1');
    s.name(armOnly, 'r.test/arm:1');
    const out = (await dockerManifest(s.index, s.read, s.has)).entries;
    expect(out.map((e) => [e.RepoTags, e.Config])).toEqual([
      [['r.test/arm:1'], `blobs/sha256/${hex(arm.config.digest)}`],
      [['r.test/multi:1'], `blobs/sha256/${hex(amd.config.digest)}`],
    ]);
    expect(defaultChild([])).toBeUndefined();
  });

  it('names a digest-only image REPO:sha256-HEX, an unnamed or plain-tag entry not at all, and two names of one image in one entry', async () => {
    const s = store();
    const a = s.image('a');
    const b = s.image('b');
    const c = s.image('c');
    s.name(a.desc, `r.test/a@${a.desc.digest}`);
    s.name(b.desc, 'r.test/b:2');
    s.name(b.desc, 'r.test/b-alias:2');
    s.name(c.desc, 'latest');
    const out = (await dockerManifest(s.index, s.read, s.has)).entries;
    expect(out.map((e) => e.RepoTags)).toEqual([[`r.test/a:sha256-${hex(a.desc.digest)}`], ['r.test/b-alias:2', 'r.test/b:2'], []]);
    expect(dockerRepoTag(undefined)).toBeUndefined();
    expect(dockerRepoTag('docker.io/library/nginx:1.25')).toBe('docker.io/library/nginx:1.25');
  });

  it('leaves out artifacts (a Helm chart, a signature) silently, and says why it leaves out an image with zstd layers or with layers the bundle does not carry', async () => {
    const s = store();
    const chart = s.image('chart', { config: MediaType.HelmConfig, layer: MediaType.HelmChartContent });
    const sig = s.image('sig', { layer: 'application/vnd.dev.cosign.simplesigning.v1+json' });
    const foreign = s.image('foreign', { layer: MediaType.DockerForeignLayer, present: false });
    const ok = s.image('ok', { config: MediaType.DockerConfig, layer: MediaType.DockerLayerGzip });
    s.name(chart.desc, 'r.test/charts/demo:0.1.0');
    s.name(sig.desc, `r.test/a:sha256-${'0'.repeat(64)}.sig`);
    s.name(foreign.desc, 'r.test/windows:1');
    const zstd = s.image('zstd', { layer: MediaType.OciLayerZstd });
    s.name(ok.desc, 'r.test/ok:1');
    s.name(zstd.desc, 'r.test/zstd:1');
    const out = await dockerManifest(s.index, s.read, s.has);
    expect(out.entries.map((e) => e.RepoTags)).toEqual([['r.test/ok:1']]);
    expect(out.leftOut).toEqual([
      `r.test/windows:1: blob ${foreign.layer.digest} is not in the bundle (a foreign layer)`,
      'r.test/zstd:1: its layers are zstd-compressed, which docker 20.10 cannot load',
    ]);
  });
});

describe('checkDockerManifest', () => {
  const fixture = async () => {
    const s = store();
    const a = s.image('a');
    const b = s.image('b');
    s.name(a.desc, 'r.test/a:1');
    s.name(b.desc, 'r.test/b:1');
    const good = (await dockerManifest(s.index, s.read, s.has)).entries;
    return { s, good, check: (entries: unknown) => checkDockerManifest(Buffer.from(JSON.stringify(entries)), s.index, s.read, s.has) };
  };

  it('accepts what dockerManifest writes, and docker save’s null RepoTags for an untagged image', async () => {
    const { s, good, check } = await fixture();
    expect(await checkDockerManifest(serializeDockerManifest(good), s.index, s.read, s.has)).toEqual([]);
    const c = s.image('c');
    s.name(c.desc);
    const withUntagged = (await dockerManifest(s.index, s.read, s.has)).entries;
    expect(await check(withUntagged.map((e) => (e.RepoTags.length ? e : { ...e, RepoTags: null })))).toEqual([]);
  });

  it('names a missing entry, a wrong name, an entry of blobs no image has, and a file that is not a manifest list', async () => {
    const { good, check } = await fixture();
    expect(await check([good[0]])).toEqual([expect.stringMatching(/^manifest\.json has no entry for r\.test\/b:1 \(config blobs\/sha256\/[0-9a-f]{64}, 1 layers\)$/)]);
    expect(await check([good[0], { ...good[1], RepoTags: ['r.test/b:2'] }])).toEqual(['manifest.json names r.test/b:1 as ["r.test/b:2"], index.json as ["r.test/b:1"]']);
    const extra = { Config: `blobs/sha256/${'1'.repeat(64)}`, RepoTags: ['x:1'], Layers: [] };
    expect(await check([...good, extra])).toEqual([`manifest.json lists config blobs/sha256/${'1'.repeat(64)} with layers the layout's images do not have (none)`]);
    expect(await check({ not: 'a list' })).toEqual(['manifest.json is not a list of {Config, RepoTags, Layers} entries']);
    expect(await checkDockerManifest(Buffer.from('{'), { schemaVersion: 2, manifests: [] }, () => undefined, () => false)).toEqual(['manifest.json is not valid JSON']);
  });
});
