/**
 * A docker save / podman save archive read as an OCI layout (src/layout/docker-archive.ts and
 * src/endpoint/docker-archive.ts), on hand-made archives: the manifests made (config as it is,
 * plain layers by their diff_id, compressed ones hashed), names as docker normalises them, links
 * between images followed inside the archive and never out of it, what a bundle still refuses,
 * and bad archives named with what is wrong.
 */
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerArchiveImage, openArchiveSource, openDockerArchiveSource } from '../../../src/endpoint/docker-archive.js';
import { openEndpoint, parseEndpoint } from '../../../src/endpoint/index.js';
import { openOciArchiveSource } from '../../../src/endpoint/oci-archive.js';
import { verifyLayout } from '../../../src/bundle/verify.js';
import type { LayoutSource } from '../../../src/endpoint/oci-dir.js';
import { sampleBundle, writeBundle, type BundleEntry } from '../../helpers/bundle.js';
import { tempDir } from './helpers.js';
import { sha256Digest as sha } from '../../helpers/digest.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => tmp.cleanup());

/** A docker archive of two images sharing their first layer, the second layer of image b given as `layerB` (a plain tar unless given). */
function archive(opts: { layerB?: Buffer; link?: 'symlink' | 'link' | 'escape' } = {}) {
  const l1 = Buffer.alloc(2048, 1);
  const l2 = Buffer.alloc(1024, 2);
  const bBytes = opts.layerB ?? l2;
  const diff = (b: Buffer): string => sha(b);
  const cfgA = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diff(l1)] } }));
  const cfgB = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diff(l1), diff(l2)] } }));
  const manifest = [
    { Config: 'a.json', RepoTags: ['nginx:1.25'], Layers: ['aaa/layer.tar'] },
    { Config: 'b.json', RepoTags: ['registry.test:5000/team/b:2', 'b:latest'], Layers: ['bbb/layer.tar', 'ccc/layer.tar'] },
  ];
  const shared: BundleEntry =
    opts.link === 'symlink'
      ? { name: 'bbb/layer.tar', type: 'symlink', linkname: '../aaa/layer.tar' }
      : opts.link === 'link'
        ? { name: 'bbb/layer.tar', type: 'link', linkname: 'aaa/layer.tar' }
        : opts.link === 'escape'
          ? { name: 'bbb/layer.tar', type: 'symlink', linkname: '../../etc/passwd' }
          : { name: 'bbb/layer.tar', body: l1 };
  const entries: BundleEntry[] = [
    { name: 'manifest.json', body: JSON.stringify(manifest) },
    { name: 'a.json', body: cfgA },
    { name: 'b.json', body: cfgB },
    { name: 'aaa/layer.tar', body: l1 },
    shared,
    { name: 'ccc/layer.tar', body: bBytes },
  ];
  return { entries, l1, l2, cfgA, cfgB, bBytes };
}

async function write(name: string, entries: BundleEntry[]): Promise<string> {
  const file = path.join(tmp.dir, name);
  await writeBundle(file, entries);
  return file;
}

async function manifestOf(src: LayoutSource, repo: string, tag: string): Promise<{ config: { digest: string; mediaType: string }; layers: Array<{ digest: string; mediaType: string; size: number }> }> {
  return JSON.parse(Buffer.from((await src.getManifest(repo, tag)).bytes).toString('utf8'));
}

describe('a docker archive read as a layout', () => {
  it('makes an OCI manifest per image: the config as it is, plain layers by their diff_id, names in full', async () => {
    const a = archive();
    const src = await openDockerArchiveSource(await write('plain.tar', a.entries));
    try {
      expect(src.kind).toBe('docker-archive');
      expect(src.images().map((e) => e.refName)).toEqual(['docker.io/library/nginx:1.25', 'registry.test:5000/team/b:2', 'docker.io/library/b:latest']);
      const m = await manifestOf(src, 'docker.io/library/nginx', '1.25');
      expect(m.config).toEqual({ mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(a.cfgA), size: a.cfgA.length });
      expect(m.layers).toEqual([{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(a.l1), size: a.l1.length }]);
      const b = await manifestOf(src, 'registry.test:5000/team/b', '2');
      expect(b.layers.map((l) => l.digest)).toEqual([sha(a.l1), sha(a.l2)]);
      // every blob re-hashes to its name: the layout verifies
      const check = await verifyLayout(src.reader);
      expect(check.damaged.size).toBe(0);
      expect(check.images.map((i) => i.status)).toEqual(['ok', 'ok', 'ok']);
    } finally {
      await src.close();
    }
  });

  it('keeps a gzip layer as it is, hashed, with the gzip media type', async () => {
    const gz = gzipSync(Buffer.alloc(1024, 2));
    const a = archive({ layerB: gz });
    const src = await openDockerArchiveSource(await write('gzip.tar', a.entries));
    try {
      const b = await manifestOf(src, 'docker.io/library/b', 'latest');
      expect(b.layers[1]).toEqual({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(gz), size: gz.length });
    } finally {
      await src.close();
    }
  });

  it('follows symbolic and hard links to a layer another image holds, as podman save -m writes them', async () => {
    for (const link of ['symlink', 'link'] as const) {
      const src = await openDockerArchiveSource(await write(`${link}.tar`, archive({ link }).entries));
      try {
        const check = await verifyLayout(src.reader);
        expect(check.images.map((i) => i.problems)).toEqual([[], [], []]);
      } finally {
        await src.close();
      }
    }
  });

  it('never follows a link out of the archive: the layer it stands for is missing, said so', async () => {
    await expect(openDockerArchiveSource(await write('escape.tar', archive({ link: 'escape' }).entries))).rejects.toThrow(/image registry\.test:5000\/team\/b:2: its layer bbb\/layer\.tar is not in the archive/);
  });

  it('names what is wrong with a bad archive', async () => {
    const a = archive();
    const without = (name: string): BundleEntry[] => a.entries.filter((e) => e.name !== name);
    await expect(openDockerArchiveSource(await write('no-config.tar', without('a.json')))).rejects.toThrow(/image nginx:1\.25: its config a\.json is not in the archive/);
    const fewer = a.entries.map((e) => (e.name === 'manifest.json' ? { ...e, body: JSON.stringify([{ Config: 'b.json', RepoTags: null, Layers: ['aaa/layer.tar'] }]) } : e));
    await expect(openDockerArchiveSource(await write('fewer.tar', fewer))).rejects.toThrow(/image #1: its config lists 2 diff_ids for 1 layers/);
    const notList = a.entries.map((e) => (e.name === 'manifest.json' ? { ...e, body: '{"Config":1}' } : e));
    await expect(openDockerArchiveSource(await write('not-list.tar', notList))).rejects.toThrow(/manifest\.json is not a list of \{Config, RepoTags, Layers\} entries/);
    // a layer whose bytes are not its diff_id is found when read (verify, or the copy's digest check)
    const damaged = a.entries.map((e) => (e.name === 'ccc/layer.tar' ? { ...e, body: Buffer.alloc(1024, 3) } : e));
    const src = await openDockerArchiveSource(await write('damaged.tar', damaged));
    try {
      const check = await verifyLayout(src.reader);
      expect([...check.damaged.keys()]).toEqual([sha(a.l2)]);
    } finally {
      await src.close();
    }
  });

  it('names REF as docker does: nginx:1.25 is docker.io/library/nginx:1.25', () => {
    expect(dockerArchiveImage('nginx:1.25')).toEqual({ repo: 'docker.io/library/nginx', reference: '1.25' });
    expect(dockerArchiveImage(undefined)).toEqual({ repo: '', reference: '' });
    expect(() => dockerArchiveImage('Not A Name')).toThrow(/is not an image name/);
  });
});

describe('docker-archive:FILE[:NAME]', () => {
  it('is parsed like the other archive transports, and opened as a source by NAME in full', async () => {
    expect(parseEndpoint('docker-archive:/x/saved.tar:nginx:1.25')).toEqual({ kind: 'docker-archive', path: '/x/saved.tar', ref: 'nginx:1.25' });
    const file = await write('transport.tar', archive().entries);
    const opened = await openEndpoint(`docker-archive:${file}:nginx:1.25`, 'source');
    try {
      expect([opened.repo, opened.reference]).toEqual(['docker.io/library/nginx', '1.25']);
      expect((await opened.source.resolveManifest(opened.repo, opened.reference))?.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    } finally {
      await opened.source.close();
    }
  });

  it('is not a destination: the error says to write an oci-archive, which docker loads', async () => {
    await expect(openEndpoint(`docker-archive:${path.join(tmp.dir, 'out.tar')}`, 'destination')).rejects.toThrow(/cannot be written: airlift reads docker archives/);
  });
});

describe('a tar given as a bundle', () => {
  it('is read as a docker archive when it has manifest.json and no index.json; oci-archive: says what it is', async () => {
    const file = await write('as-bundle.tar', archive({ link: 'symlink' }).entries);
    const src = await openArchiveSource(file);
    expect(src.kind).toBe('docker-archive');
    await src.close();
    await expect(openOciArchiveSource(file)).rejects.toThrow(/is a docker archive \(written by docker save or podman save/);
  });

  it('an OCI bundle with a link is still refused', async () => {
    const s = sampleBundle();
    const entries: BundleEntry[] = [...s.entries, { name: 'extra', type: 'symlink', linkname: 'index.json' }];
    await expect(openArchiveSource(await write('oci-link.tar', entries))).rejects.toThrow(/is a symbolic link; refusing to read this archive/);
  });
});
