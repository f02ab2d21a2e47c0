/**
 * A sync into a live mirror never writes over what the mirror already holds (issue #16 item 2):
 * docker-registry rewrites a blob's (or manifest's) link file in place when it is mounted,
 * uploaded or put again, and clients pulling it at that moment get HTTP 500.
 */
import { describe, expect, it } from 'vitest';
import { copyImages, type CopyJob } from '../../../src/copy/index.js';
import { silentLogger } from '../../../src/log.js';
import { MemoryStore } from './memory-store.js';

const opts = { concurrency: 4, logger: silentLogger };
const AMD = { os: 'linux', architecture: 'amd64' };
const ARM = { os: 'linux', architecture: 'arm64', variant: 'v8' };

function job(src: MemoryStore, dst: MemoryStore, repo: string, tag: string, destRepo = `mirror/${repo}`): CopyJob {
  return { source: { store: src, repo, reference: tag }, dest: { store: dst, repo: destRepo, tag }, name: `src/${repo}:${tag}` };
}

describe('syncing new tags into a live mirror', () => {
  it('never mounts or uploads a blob into a repository that already holds it', async () => {
    const src = new MemoryStore('src');
    const dst = new MemoryStore('dst');
    const base = 'shared-base-layer'.repeat(100);
    src.addImage('a', '2', [base, 'own-a-2']);
    src.addImage('b', '2', [base, 'own-b-2']);
    const baseDigest = src.addBlob('a', base).digest;
    // the mirror already serves tag 1 of b, which has the same base layer
    dst.addBlob('mirror/b', base);
    const results = await copyImages([job(src, dst, 'a', '2'), job(src, dst, 'b', '2')], opts);
    expect(results.map((r) => r.status)).toEqual(['copied', 'copied']);
    const writesIntoB = dst.calls.filter((c) => /^(mountBlob|putBlob) mirror\/b /.test(c) && c.includes(baseDigest));
    expect(writesIntoB).toEqual([]);
    expect(dst.calls).toContain(`hasBlob mirror/b ${baseDigest}`);
    expect(results[1]!.blobs.existing).toBeGreaterThanOrEqual(1);
  });

  it('leaves an index child the repository already holds as it is (no second put, no blob work)', async () => {
    const src = new MemoryStore('src');
    const dst = new MemoryStore('dst');
    const amd = src.addImage('multi', undefined, ['base', 'amd-1'], AMD);
    const arm1 = src.addImage('multi', undefined, ['base', 'arm-1'], ARM);
    src.addIndex('multi', '1', [
      { m: amd, platform: AMD },
      { m: arm1, platform: ARM },
    ]);
    await copyImages([job(src, dst, 'multi', '1')], opts);
    // tag 2 rebuilt only arm64: the amd64 child is shared with tag 1
    const arm2 = src.addImage('multi', undefined, ['base', 'arm-2'], ARM);
    const idx2 = src.addIndex('multi', '2', [
      { m: amd, platform: AMD },
      { m: arm2, platform: ARM },
    ]);
    dst.calls.length = 0;
    const [r] = await copyImages([job(src, dst, 'multi', '2')], opts);
    expect(r!.status).toBe('copied');
    expect(r!.digest).toBe(idx2.digest);
    expect(r!.platforms).toEqual(['linux/amd64', 'linux/arm64/v8']);
    const puts = dst.calls.filter((c) => c.startsWith('putManifest'));
    expect(puts).not.toContain(`putManifest mirror/multi ${amd.digest}`);
    expect(dst.manifests.has(arm2.digest)).toBe(true);
    expect(dst.tags.get('mirror/multi:2')).toBe(idx2.digest);
    const amdLayer = JSON.parse(Buffer.from(amd.bytes).toString()) as { layers: Array<{ digest: string }> };
    expect(dst.calls.filter((c) => c.includes(amdLayer.layers[1]!.digest))).toEqual([]);
  });
});
