/**
 * The planning pass for destinations that lay out their output first
 * (prepare): they learn every blob and manifest before the first one
 * arrives, and the source is asked nothing twice.
 */
import type { Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { copyImages, parsePlatform, type CopyJob } from '../../../src/copy/index.js';
import { CachingSource } from '../../../src/copy/plan.js';
import type { StorePlan } from '../../../src/endpoint/types.js';
import { silentLogger } from '../../../src/log.js';
import type { Descriptor, RawManifest } from '../../../src/oci/types.js';
import { MemoryStore } from './memory-store.js';

const opts = { concurrency: 4, logger: silentLogger };
const AMD = { os: 'linux', architecture: 'amd64' };
const ARM = { os: 'linux', architecture: 'arm64', variant: 'v8' };

/** A store that must be told its plan before anything is stored, and stores only what the plan names. */
class PreparingStore extends MemoryStore {
  plans: StorePlan[] = [];
  constructor() {
    super('archive', false);
  }
  async prepare(plan: StorePlan): Promise<void> {
    this.calls.push('prepare');
    this.plans.push(plan);
  }
  /** One store-wide set of blobs, as in a layout. */
  override hasIn(_repo: string, digest: string): boolean {
    return this.blobs.has(digest);
  }
  private planned(digest: string): void {
    const p = this.plans[0];
    if (!p) throw new Error(`stored ${digest} before prepare()`);
    if (!p.blobs.some((b) => b.digest === digest) && !p.manifests.some((m) => m.digest === digest)) throw new Error(`${digest} is not in the plan`);
  }
  override async putBlob(repo: string, desc: Descriptor, body: Readable): Promise<void> {
    this.planned(desc.digest);
    return super.putBlob(repo, desc, body);
  }
  override async putManifest(repo: string, manifest: RawManifest, tag?: string): Promise<void> {
    this.planned(manifest.digest);
    return super.putManifest(repo, manifest, tag);
  }
}

function job(src: MemoryStore, dst: MemoryStore, repo: string, tag: string): CopyJob {
  return { source: { store: src, repo, reference: tag }, dest: { store: dst, repo: `b/${repo}`, tag }, name: `src/${repo}:${tag}` };
}

function twoImagesAndAnIndex(src: MemoryStore) {
  const app = src.addImage('app', '1', ['base', 'app-layer']);
  const tool = src.addImage('tool', '2', ['base', 'tool-layer']);
  const a = src.addImage('multi', undefined, ['base', 'amd'], AMD);
  const b = src.addImage('multi', undefined, ['base', 'arm'], ARM);
  const idx = src.addIndex('multi', '3', [
    { m: a, platform: AMD },
    { m: b, platform: ARM },
  ]);
  return { app, tool, a, b, idx };
}

describe('copy into a destination that lays out its output first', () => {
  it('tells it every blob once and every manifest before any is stored, then copies as usual', async () => {
    const src = new MemoryStore('src');
    const dst = new PreparingStore();
    const { app, tool, a, b, idx } = twoImagesAndAnIndex(src);
    const results = await copyImages([job(src, dst, 'app', '1'), job(src, dst, 'tool', '2'), job(src, dst, 'multi', '3')], opts);
    expect(results.map((r) => r.error?.message ?? r.status)).toEqual(['copied', 'copied', 'copied']);
    expect(results.map((r) => r.digest)).toEqual([app.digest, tool.digest, idx.digest]);
    expect(results[2]!.platforms).toEqual(['linux/amd64', 'linux/arm64/v8']);

    expect(dst.plans).toHaveLength(1);
    expect(dst.calls[0]).toBe('prepare');
    const plan = dst.plans[0]!;
    expect(plan.manifests.map((m) => m.digest).sort()).toEqual([app.digest, tool.digest, a.digest, b.digest, idx.digest].sort());
    const digests = plan.blobs.map((x) => x.digest);
    expect(new Set(digests).size).toBe(digests.length);
    // configs (4) + base + app-layer + tool-layer + amd + arm
    expect(digests).toHaveLength(9);
    for (const d of digests) expect(dst.blobs.has(d), d).toBe(true);
    expect(dst.tags.get('b/multi:3')).toBe(idx.digest);
  });

  it('reads each manifest and each blob from the source once, with no HEAD: nothing can be skipped', async () => {
    const src = new MemoryStore('src');
    const dst = new PreparingStore();
    twoImagesAndAnIndex(src);
    await copyImages([job(src, dst, 'app', '1'), job(src, dst, 'tool', '2'), job(src, dst, 'multi', '3')], opts);
    expect(src.count('resolveManifest')).toBe(0);
    const manifestReads = src.calls.filter((c) => c.startsWith('getManifest'));
    expect(manifestReads).toHaveLength(new Set(manifestReads).size);
    expect(manifestReads).toHaveLength(5); // three tags, two index children
    const blobReads = src.calls.filter((c) => c.startsWith('getBlob')).map((c) => c.split(' ')[2]);
    expect(blobReads).toHaveLength(new Set(blobReads).size);
    expect(blobReads).toHaveLength(9);
  });

  it('plans a filtered index with its rewritten bytes', async () => {
    const src = new MemoryStore('src');
    const dst = new PreparingStore();
    const { a, b } = twoImagesAndAnIndex(src);
    const [r] = await copyImages([job(src, dst, 'multi', '3')], { ...opts, platforms: [parsePlatform('linux/arm64')] });
    expect(r!.status).toBe('copied');
    expect(r!.filtered).toBeDefined();
    const planned = dst.plans[0]!.manifests.map((m) => m.digest);
    expect(planned).toContain(r!.digest);
    expect(planned).toContain(b.digest);
    expect(planned).not.toContain(a.digest);
  });

  it('a missing image fails with E_NOT_FOUND naming it; the others are planned and copied; other destinations are untouched', async () => {
    const src = new MemoryStore('src');
    const dst = new PreparingStore();
    const plain = new MemoryStore('registry');
    src.addImage('app', '1', ['x']);
    const [missing, ok, elsewhere] = await copyImages(
      [job(src, dst, 'nope', '9'), job(src, dst, 'app', '1'), { ...job(src, plain, 'app', '1'), name: 'to-registry' }],
      opts,
    );
    expect(missing!.error?.code).toBe('E_NOT_FOUND');
    expect(missing!.error?.message).toContain('src/nope:9 does not exist');
    expect(ok!.status).toBe('copied');
    expect(elsewhere!.status).toBe('copied');
    expect(plain.calls).not.toContain('prepare');
    // the registry job is a sync: asked again with nothing new, its tag costs one HEAD at each side
    src.calls = [];
    plain.calls = [];
    const [again] = await copyImages([{ ...job(src, plain, 'app', '1'), name: 'to-registry' }], opts);
    expect(again!.status).toBe('skipped');
    expect(src.calls).toEqual(['resolveManifest app 1']);
    expect(plain.calls).toEqual(['resolveManifest b/app 1']);
  });
});

describe('CachingSource: what the planning pass read, held until the real pass has used it', () => {
  it('answers each planned question once more, from memory, then lets the answer go', async () => {
    const src = new MemoryStore('src');
    const { app, a, idx } = twoImagesAndAnIndex(src);
    const c = new CachingSource(src);
    // the planning pass: a tag (kept under its digest too), an index and one child asked twice
    const asked = async (): Promise<string[]> => [
      (await c.getManifest('app', '1')).digest,
      (await c.getManifest('multi', '3')).digest,
      (await c.getManifest('multi', a.digest)).digest,
      (await c.getManifest('multi', a.digest)).digest,
    ];
    expect(await asked()).toEqual([app.digest, idx.digest, a.digest, a.digest]);
    // app:1 and its digest, multi:3 and its digest, the child
    expect(c.held()).toBe(5);
    const reads = src.count('getManifest');
    expect(reads).toBe(3);
    c.replay();
    expect(await asked()).toEqual([app.digest, idx.digest, a.digest, a.digest]);
    expect(src.count('getManifest')).toBe(reads);
    // every answer had its last use: nothing is held for the rest of the run
    expect(c.held()).toBe(0);
    // a question past the planned ones goes to the source
    expect((await c.getManifest('app', '1')).digest).toBe(app.digest);
    expect(src.count('getManifest')).toBe(reads + 1);
    expect(c.held()).toBe(0);
  });

  it('through a whole copy into a preparing destination: each manifest read once, none held after', async () => {
    const src = new MemoryStore('src');
    const dst = new PreparingStore();
    twoImagesAndAnIndex(src);
    const replay = vi.spyOn(CachingSource.prototype, 'replay');
    try {
      const results = await copyImages([job(src, dst, 'app', '1'), job(src, dst, 'tool', '2'), job(src, dst, 'multi', '3')], opts);
      expect(results.map((r) => r.status)).toEqual(['copied', 'copied', 'copied']);
      expect(replay).toHaveBeenCalledTimes(1);
      const cached = replay.mock.contexts[0] as CachingSource;
      expect(cached.inner).toBe(src);
      expect(cached.held()).toBe(0);
      expect(src.count('getManifest')).toBe(5);
    } finally {
      replay.mockRestore();
    }
  });
});
