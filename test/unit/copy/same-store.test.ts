/**
 * Whether a source reads from the destination's own store is a declared capability of the
 * endpoint contract (`storeId`), not object identity: a second endpoint of one registry (another
 * object, the same store) mounts from the source repository, and a store that declares another
 * identity gets the blob uploaded.
 */
import { describe, expect, it } from 'vitest';
import { copyImages, type CopyJob } from '../../../src/copy/index.js';
import type { ImageSource } from '../../../src/endpoint/types.js';
import { silentLogger } from '../../../src/log.js';
import { MemoryStore } from './memory-store.js';

const opts = { concurrency: 4, logger: silentLogger };

/** Another object reading the same store, declaring `storeId`. */
function view(store: MemoryStore, storeId: string | undefined): ImageSource {
  const v = Object.create(store) as MemoryStore;
  Object.defineProperty(v, 'storeId', { value: storeId });
  return v;
}

function job(src: ImageSource, dst: MemoryStore, repo: string, tag: string): CopyJob {
  return { source: { store: src, repo, reference: tag }, dest: { store: dst, repo: `mirror/${repo}`, tag }, name: `src/${repo}:${tag}` };
}

describe('a source on the destination store', () => {
  it('is recognised by its declared storeId, not by being the same object: its blobs are mounted, none fetched', async () => {
    const reg = new MemoryStore('reg');
    reg.addImage('app', '1', ['l1', 'l2']);
    const source = view(reg, reg.storeId);
    expect(source).not.toBe(reg);
    const [r] = await copyImages([job(source, reg, 'app', '1')], opts);
    expect(r!.status).toBe('copied');
    expect(r!.blobs.mounted).toBe(3);
    expect(r!.blobs.uploaded).toBe(0);
    expect(reg.calls.filter((c) => c.startsWith('mountBlob'))).toHaveLength(3);
  });

  it('a store declaring another identity, or none, is another store: the blobs are uploaded, nothing mounted', async () => {
    for (const id of ['registry elsewhere', undefined]) {
      const reg = new MemoryStore('reg');
      reg.addImage('app', '1', ['l1', 'l2']);
      const [r] = await copyImages([job(view(reg, id), reg, 'app', '1')], opts);
      expect(r!.status, String(id)).toBe('copied');
      expect(r!.blobs.mounted, String(id)).toBe(0);
      expect(r!.blobs.uploaded, String(id)).toBe(3);
      expect(reg.count('mountBlob'), String(id)).toBe(0);
    }
  });
});
