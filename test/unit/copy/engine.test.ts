import { describe, expect, it } from 'vitest';
import { copyImages, parsePlatform, type CopyJob } from '../../../src/copy/index.js';
import { silentLogger } from '../../../src/log.js';
import { MediaType } from '../../../src/oci/types.js';
import { MemoryStore } from './memory-store.js';

const opts = { concurrency: 4, logger: silentLogger };
const ARM = { os: 'linux', architecture: 'arm64', variant: 'v8' };
const AMD = { os: 'linux', architecture: 'amd64' };

function job(src: MemoryStore, dst: MemoryStore, repo: string, tag: string, destRepo = `mirror/${repo}`): CopyJob {
  return { source: { store: src, repo, reference: tag }, dest: { store: dst, repo: destRepo, tag }, name: `src/${repo}:${tag}` };
}

describe('copyImages', () => {
  it('copies an image with the same digest, blobs before the manifest', async () => {
    const src = new MemoryStore('src');
    const dst = new MemoryStore('dst');
    const m = src.addImage('app', '1.0', ['layer-a', 'layer-b']);
    const [r] = await copyImages([job(src, dst, 'app', '1.0')], opts);
    expect(r!.status).toBe('copied');
    expect(r!.digest).toBe(m.digest);
    expect(r!.platforms).toEqual(['linux/amd64']);
    expect(dst.tags.get('mirror/app:1.0')).toBe(m.digest);
    expect(Buffer.from(dst.manifests.get(m.digest)!.bytes).equals(Buffer.from(m.bytes))).toBe(true);
    const lastPut = dst.calls.filter((c) => c.startsWith('put')).at(-1);
    expect(lastPut).toBe('putManifest mirror/app 1.0');
    expect(r!.blobs.uploaded).toBe(3);
  });

  it('fetches a shared blob once, uploads it once and mounts it everywhere else', async () => {
    const src = new MemoryStore('src');
    const dst = new MemoryStore('dst');
    const base = 'shared-base-layer'.repeat(100);
    for (const n of ['a', 'b', 'c', 'd']) src.addImage(n, '1', [base, `own-${n}`]);
    const baseDigest = src.addBlob('a', base).digest;
    const results = await copyImages(['a', 'b', 'c', 'd'].map((n) => job(src, dst, n, '1')), opts);
    expect(results.map((r) => r.status)).toEqual(['copied', 'copied', 'copied', 'copied']);
    expect(src.calls.filter((c) => c.startsWith('getBlob') && c.endsWith(baseDigest))).toHaveLength(1);
    expect(dst.calls.filter((c) => c.startsWith('putBlob') && c.endsWith(baseDigest))).toHaveLength(1);
    expect(dst.calls.filter((c) => c.startsWith('mountBlob') && c.includes(baseDigest))).toHaveLength(3);
    // each repository, which may already hold the blob (a live mirror), is asked before anything is
    // mounted into it: a mount over a blob the repository has disturbs the mirror's readers
    expect(dst.calls.filter((c) => c.startsWith('hasBlob') && c.includes(baseDigest))).toHaveLength(4);
    for (const n of ['b', 'c', 'd']) {
      const head = dst.calls.indexOf(`hasBlob mirror/${n} ${baseDigest}`);
      const mount = dst.calls.findIndex((c) => c.startsWith(`mountBlob mirror/${n} ${baseDigest}`));
      expect(head).toBeGreaterThanOrEqual(0);
      expect(mount).toBeGreaterThan(head);
    }
    for (const n of ['a', 'b', 'c', 'd']) expect(dst.hasIn(`mirror/${n}`, baseDigest)).toBe(true);
  });

  it('at a store without mounts, stores a shared blob once', async () => {
    const src = new MemoryStore('src');
    const dst = new MemoryStore('layout', false);
    for (const n of ['a', 'b']) src.addImage(n, '1', ['same', `own-${n}`]);
    await copyImages(['a', 'b'].map((n) => job(src, dst, n, '1', 'x')), opts);
    expect(dst.count('putBlob')).toBe(5);
    expect(dst.count('mountBlob')).toBe(0);
  });

  it('an image the destination lacks: the source tag is read with one GET, no HEAD', async () => {
    const src = new MemoryStore('src');
    const dst = new MemoryStore('dst');
    src.addImage('app', '1', ['x']);
    const [r] = await copyImages([job(src, dst, 'app', '1')], opts);
    expect(r!.status).toBe('copied');
    expect(src.count('resolveManifest')).toBe(0);
    expect(src.calls.filter((c) => c.startsWith('getManifest'))).toEqual(['getManifest app 1']);
    expect(dst.calls[0]).toBe('resolveManifest mirror/app 1');
  });

  it('a second run with nothing changed costs one request per image at each side', async () => {
    const src = new MemoryStore('src');
    const dst = new MemoryStore('dst');
    const names = ['a', 'b', 'c'];
    for (const n of names) src.addImage(n, '1', ['base', `own-${n}`]);
    await copyImages(names.map((n) => job(src, dst, n, '1')), opts);
    src.calls = [];
    dst.calls = [];
    const again = await copyImages(names.map((n) => job(src, dst, n, '1')), opts);
    expect(again.map((r) => r.status)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(dst.calls).toHaveLength(3);
    expect(src.calls).toHaveLength(3);
    expect(dst.calls.every((c) => c.startsWith('resolveManifest'))).toBe(true);
  });

  it('skips blobs the destination already has (HEAD) and mounts from the source repository on the same store', async () => {
    const reg = new MemoryStore('reg');
    const m = reg.addImage('app', '1', ['l1', 'l2']);
    const [r] = await copyImages([job(reg, reg, 'app', '1')], opts);
    expect(r!.status).toBe('copied');
    expect(r!.blobs.mounted).toBe(3);
    // only the small config is read (for the lock's platform); no layer is fetched
    expect(reg.calls.filter((c) => c.startsWith('getBlob'))).toEqual([`getBlob app ${JSON.parse(Buffer.from(m.bytes).toString()).config.digest}`]);
    expect(reg.tags.get('mirror/app:1')).toBe(m.digest);

    const dst = new MemoryStore('dst');
    const src = new MemoryStore('src');
    src.addImage('app', '1', ['l1', 'l2']);
    dst.addBlob('mirror/app', 'l1');
    const [r2] = await copyImages([job(src, dst, 'app', '1')], opts);
    expect(r2!.blobs.existing).toBe(1);
    expect(r2!.blobs.uploaded).toBe(2);
  });

  it('copies an index: children first, then the index with its digest kept', async () => {
    const src = new MemoryStore('src');
    const dst = new MemoryStore('dst');
    const a = src.addImage('multi', undefined, ['base', 'amd'], AMD);
    const b = src.addImage('multi', undefined, ['base', 'arm'], ARM);
    const idx = src.addIndex('multi', '1', [
      { m: a, platform: AMD },
      { m: b, platform: ARM },
    ]);
    const [r] = await copyImages([job(src, dst, 'multi', '1')], opts);
    expect(r!.status).toBe('copied');
    expect(r!.digest).toBe(idx.digest);
    expect(r!.mediaType).toBe(MediaType.OciIndex);
    expect(r!.platforms).toEqual(['linux/amd64', 'linux/arm64/v8']);
    expect(r!.filtered).toBeUndefined();
    const puts = dst.calls.filter((c) => c.startsWith('putManifest'));
    expect(puts.at(-1)).toBe('putManifest mirror/multi 1');
    expect(puts).toHaveLength(3);
  });

  it('filters an index by platform: a new digest, a note, only the kept child copied', async () => {
    const src = new MemoryStore('src');
    const dst = new MemoryStore('dst');
    const a = src.addImage('multi', undefined, ['base', 'amd'], AMD);
    const b = src.addImage('multi', undefined, ['base', 'arm'], ARM);
    const idx = src.addIndex('multi', '1', [
      { m: a, platform: AMD },
      { m: b, platform: ARM },
    ]);
    const platforms = [parsePlatform('linux/arm64')];
    const [r] = await copyImages([job(src, dst, 'multi', '1')], { ...opts, platforms });
    expect(r!.status).toBe('copied');
    expect(r!.digest).not.toBe(idx.digest);
    expect(r!.filtered?.sourceDigest).toBe(idx.digest);
    expect(r!.platforms).toEqual(['linux/arm64/v8']);
    expect(dst.manifests.has(a.digest)).toBe(false);
    expect(dst.manifests.has(b.digest)).toBe(true);
    const stored = JSON.parse(Buffer.from(dst.manifests.get(r!.digest!)!.bytes).toString()) as { manifests: unknown[] };
    expect(stored.manifests).toHaveLength(1);
    // a second filtered run recognises the rewritten index and skips
    const [again] = await copyImages([job(src, dst, 'multi', '1')], { ...opts, platforms });
    expect(again!.status).toBe('skipped');
    // the whole index asked for keeps its digest
    const [all] = await copyImages([job(src, dst, 'multi', '1', 'other')], { ...opts, platforms: [parsePlatform('linux/arm64'), parsePlatform('linux/amd64')] });
    expect(all!.digest).toBe(idx.digest);
    // a platform the index lacks fails that image, naming what it has
    const [none] = await copyImages([job(src, dst, 'multi', '1', 'x')], { ...opts, platforms: [parsePlatform('linux/s390x')] });
    expect(none!.status).toBe('failed');
    expect(none!.error?.message).toContain('linux/s390x');
    expect(none!.error?.hint).toContain('linux/amd64, linux/arm64/v8');
  });

  it('a corrupt blob fails its image (naming image and blob) and no manifest naming it is stored', async () => {
    const src = new MemoryStore('src');
    const dst = new MemoryStore('dst');
    const bad = src.addImage('bad', '1', ['good-base', 'broken-layer']);
    const ok = src.addImage('ok', '1', ['good-base', 'fine']);
    const brokenDigest = src.addBlob('bad', 'broken-layer').digest;
    src.corrupt.add(brokenDigest);
    const [rb, ro] = await copyImages([job(src, dst, 'bad', '1'), job(src, dst, 'ok', '1')], opts);
    expect(rb!.status).toBe('failed');
    expect(rb!.error?.code).toBe('E_DIGEST_MISMATCH');
    expect(rb!.error?.message).toContain('src/bad:1');
    expect(rb!.error?.message).toContain(brokenDigest);
    expect(dst.manifests.has(bad.digest)).toBe(false);
    expect(dst.tags.has('mirror/bad:1')).toBe(false);
    expect(dst.blobs.has(brokenDigest)).toBe(false);
    expect(ro!.status).toBe('copied');
    expect(dst.tags.get('mirror/ok:1')).toBe(ok.digest);
    // retried a few times before giving up
    expect(src.calls.filter((c) => c.endsWith(brokenDigest))).toHaveLength(3);
  });

  it('an index whose child has a corrupt blob is not stored', async () => {
    const src = new MemoryStore('src');
    const dst = new MemoryStore('dst');
    const a = src.addImage('multi', undefined, ['base', 'amd'], AMD);
    const b = src.addImage('multi', undefined, ['base', 'arm'], ARM);
    src.addIndex('multi', '1', [
      { m: a, platform: AMD },
      { m: b, platform: ARM },
    ]);
    src.corrupt.add(src.addBlob('multi', 'arm').digest);
    const [r] = await copyImages([job(src, dst, 'multi', '1')], opts);
    expect(r!.status).toBe('failed');
    expect(dst.manifests.has(b.digest)).toBe(false);
    expect(dst.tags.has('mirror/multi:1')).toBe(false);
  });

  it('a missing image fails with E_NOT_FOUND naming it; other images still copy', async () => {
    const src = new MemoryStore('src');
    const dst = new MemoryStore('dst');
    src.addImage('app', '1', ['x']);
    const [missing, ok] = await copyImages([job(src, dst, 'nope', '9'), job(src, dst, 'app', '1')], opts);
    expect(missing!.error?.code).toBe('E_NOT_FOUND');
    expect(missing!.error?.message).toContain('src/nope:9');
    expect(ok!.status).toBe('copied');
  });

  it('refuses a malformed platform', () => {
    expect(() => parsePlatform('linux')).toThrow(/os\/arch/);
    expect(() => parsePlatform('linux/amd64/v1/x')).toThrow(/os\/arch/);
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
  });

  it('asks once whether a destination repository exists, and sends no blob HEAD into a new one', async () => {
    class ListingStore extends MemoryStore {
      async repositoryExists(repo: string): Promise<boolean> {
        this.calls.push(`repositoryExists ${repo}`);
        return this.repoBlobs.has(repo);
      }
    }
    const src = new MemoryStore('src');
    const dst = new ListingStore('dst');
    src.addImage('app', '1', ['a', 'b']);
    src.addImage('app', '2', ['a', 'c']);
    dst.addBlob('mirror/old', 'a');
    src.addImage('old', '1', ['a', 'd']);
    const results = await copyImages([job(src, dst, 'app', '1'), job(src, dst, 'app', '2'), job(src, dst, 'old', '1')], opts);
    expect(results.map((r) => r.status)).toEqual(['copied', 'copied', 'copied']);
    expect(dst.count('repositoryExists mirror/app')).toBe(1);
    expect(dst.calls.filter((c) => c.startsWith('hasBlob mirror/app'))).toEqual([]);
    // an existing repository is still asked blob by blob, and what it has is not uploaded
    expect(dst.count('hasBlob mirror/old')).toBeGreaterThan(0);
    expect(dst.calls.filter((c) => c.startsWith('putBlob mirror/old'))).toHaveLength(2); // its config and 'd'; 'a' is not uploaded
  });
});

describe('copyImages: foreign layers', () => {
  it('counts a foreign (non-distributable) layer and leaves it where its urls say; the config and other layers are copied', async () => {
    const src = new MemoryStore('src');
    const dst = new MemoryStore('dst');
    const config = src.addBlob('app', JSON.stringify({ os: 'windows', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [] } }), MediaType.OciConfig);
    const own = src.addBlob('app', 'own layer');
    const foreign = { mediaType: MediaType.DockerForeignLayer, digest: `sha256:${'f'.repeat(64)}`, size: 1234, urls: ['https://example.invalid/base.tar.gz'] };
    const m = src.addManifest('app', { schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: [foreign, own] }, MediaType.OciManifest, '1');
    const [r] = await copyImages([job(src, dst, 'app', '1')], opts);
    expect(r!.status, r!.error?.message).toBe('copied');
    expect(r!.digest).toBe(m.digest);
    expect(r!.blobs).toMatchObject({ foreign: 1, uploaded: 2 });
    expect(src.calls.some((c) => c.includes(foreign.digest))).toBe(false);
    expect(dst.calls.some((c) => c.includes(foreign.digest))).toBe(false);
    expect(dst.hasIn('mirror/app', own.digest)).toBe(true);
  });
});
