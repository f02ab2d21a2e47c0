import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLayout, presetTiny, type GeneratedLayout } from '../../../fixtures/images/generate.js';
import { sha256 } from '../../../src/digest/index.js';
import { openOciArchiveDestination, openOciArchiveSource, stagingDirFor } from '../../../src/endpoint/oci-archive.js';
import { openOciDirDestination, openOciDirSource } from '../../../src/endpoint/oci-dir.js';
import { copyImages } from '../../../src/copy/index.js';
import { indexTar } from '../../../src/layout/tar-index.js';
import { silentLogger } from '../../../src/log.js';
import { copyImage, tempDir } from './helpers.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let gen: GeneratedLayout;

beforeAll(async () => {
  tmp = await tempDir();
  gen = await generateLayout(path.join(tmp.dir, 'src'), presetTiny());
});
afterAll(async () => tmp.cleanup());

const full = (name: string): string => `docker.io/${name}`;

async function saveBundle(out: string, order: 'forward' | 'reverse' = 'forward', extras = true): Promise<void> {
  const src = await openOciDirSource(gen.dir);
  const dst = await openOciArchiveDestination(out);
  const images = order === 'forward' ? gen.images : [...gen.images].reverse();
  const jobs = images.map((img) => ({ source: { store: src, repo: img.name, reference: img.tag }, dest: { store: dst, repo: full(img.name), tag: img.tag } }));
  const results = await copyImages(jobs, { concurrency: 1, logger: silentLogger });
  expect(results.map((r) => r.error?.message ?? r.status)).toEqual(images.map(() => 'copied'));
  if (extras) {
    dst.addFile('airlift.lock.json', Buffer.from('{"lock":true}\n'));
    dst.addFile('charts/demo-1.0.0.tgz', Buffer.from('not really a chart'));
  }
  await dst.commit();
  await dst.close();
  await src.close();
}

describe('oci-archive write/read round trip', () => {
  it('stores every image under its full name with the source digest, blobs once', async () => {
    const out = path.join(tmp.dir, 'bundle.tar');
    await saveBundle(out);
    expect((await stat(out)).isFile()).toBe(true);
    await expect(stat(stagingDirFor(out))).rejects.toThrow();
    expect((await readdir(tmp.dir)).filter((n) => n.includes('.tmp-'))).toEqual([]);

    const src = await openOciArchiveSource(out);
    for (const img of gen.images) {
      const r = await src.resolveManifest(full(img.name), img.tag);
      expect(r?.digest).toBe(img.digest);
      const m = await src.getManifest(full(img.name), img.tag);
      expect(sha256(m.bytes)).toBe(img.digest);
      for (const b of img.blobs) {
        const size = gen.blobSizes.get(b)!;
        const s = await src.getBlob(full(img.name), { mediaType: 'x', digest: b, size });
        const chunks: Buffer[] = [];
        for await (const c of s) chunks.push(c as Buffer);
        expect(sha256(Buffer.concat(chunks))).toBe(b);
      }
    }
    const names = src.images().map((e) => e.refName);
    expect(names).toEqual(gen.images.map((i) => `${full(i.name)}:${i.tag}`).sort());
    for (const e of src.images()) expect(e.containerdName).toBe(e.refName);
    expect(await src.extraFiles()).toEqual(['airlift.lock.json', 'charts/demo-1.0.0.tgz']);
    expect((await src.readFile('airlift.lock.json', 1000)).toString()).toBe('{"lock":true}\n');

    // each distinct blob is stored exactly once, and nothing unreachable is
    const entries = await indexTar(out);
    const blobs = [...entries.keys()].filter((n) => n.startsWith('blobs/'));
    expect(new Set(blobs).size).toBe(blobs.length);
    expect(blobs.length).toBe(gen.blobSizes.size);
    // order: oci-layout, blobs (by size then name, laid out before any arrives), index.json, then extra files (sorted)
    const order = [...entries.keys()];
    expect(order[0]).toBe('oci-layout');
    const sizeOf = (n: string): number => gen.blobSizes.get(`sha256:${n.slice('blobs/sha256/'.length)}`)!;
    const bySize = [...blobs].sort((a, b) => sizeOf(a) - sizeOf(b) || (a < b ? -1 : 1));
    expect(order.slice(1, 1 + blobs.length)).toEqual(bySize);
    expect(order.slice(1 + blobs.length)).toEqual(['index.json', 'manifest.json', 'airlift.lock.json', 'charts/demo-1.0.0.tgz']);
    await src.close();
  });

  it('writes byte-identical tars for the same input, whatever the copy order', async () => {
    const a = path.join(tmp.dir, 'a.tar');
    const b = path.join(tmp.dir, 'b.tar');
    await saveBundle(a, 'forward');
    await saveBundle(b, 'reverse');
    const [ba, bb] = await Promise.all([readFile(a), readFile(b)]);
    expect(ba.length).toBeGreaterThan(1024 * 1024);
    expect(sha256(bb)).toBe(sha256(ba));
  });

  it('resolves by digest, and copies oci-archive back to an oci dir keeping digests', async () => {
    const out = path.join(tmp.dir, 'c.tar');
    await saveBundle(out, 'forward', false);
    const src = await openOciArchiveSource(out);
    const dirOut = path.join(tmp.dir, 'copy-dir');
    const dst = await openOciDirDestination(dirOut);
    const img = gen.images.find((i) => i.name === 'fixtures/multi')!;
    expect((await src.resolveManifest(full(img.name), img.digest))?.digest).toBe(img.digest);
    expect((await src.resolveManifest('', img.digest))?.mediaType).toBe(img.descriptor.mediaType);
    const child = img.manifests[0]!.descriptor.digest;
    expect((await src.resolveManifest('any/name', child))?.digest).toBe(child);
    expect(await src.resolveManifest(full(img.name), 'nope')).toBeUndefined();
    await copyImage(src, dst, full(img.name), img.tag, '', 'mytag');
    await dst.commit();
    const back = await openOciDirSource(dirOut);
    expect((await back.resolveManifest('', 'mytag'))?.digest).toBe(img.digest);
    expect((await back.resolveManifest('', ''))?.digest).toBe(img.digest);
    const idx = JSON.parse(await readFile(path.join(dirOut, 'index.json'), 'utf8'));
    expect(idx.manifests[0].annotations).toEqual({ 'org.opencontainers.image.ref.name': 'mytag' });
    await expect(src.getManifest('docker.io/fixtures/none', '1')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await src.close();
  });
});
