/**
 * The blob scheduler holds no per-blob promise once a copy has settled with success: what the
 * destination holds is remembered as digest → repositories, and the work itself (a promise and
 * the request it closes over) is dropped. A failed copy stays, so other images needing that blob
 * fail with the same error instead of trying again.
 */
import pLimit from 'p-limit';
import { describe, expect, it, vi } from 'vitest';
import { BlobScheduler, type BlobRequest } from '../../../src/copy/index.js';
import { silentLogger } from '../../../src/log.js';
import type { Descriptor } from '../../../src/oci/types.js';
import { MemoryStore } from './memory-store.js';

function request(src: MemoryStore, dest: MemoryStore, repo: string, desc: Descriptor): BlobRequest {
  return { source: src, srcRepo: repo, dest, destRepo: `mirror/${repo}`, desc, image: `src/${repo}` };
}

/** Holds `dest`'s upload of `digest` until release(); count() is how many uploads have started. */
function holdUploads(dest: MemoryStore, digest: string): { release: () => void; count: () => number } {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let started = 0;
  const putBlob = dest.putBlob.bind(dest);
  dest.putBlob = async (repo, desc, body) => {
    started++;
    if (desc.digest === digest) await held;
    return putBlob(repo, desc, body);
  };
  return { release, count: () => started };
}

describe('BlobScheduler', () => {
  it('keeps no promise per blob after its copy succeeded, however many blobs a run copies', async () => {
    const src = new MemoryStore('src');
    const dest = new MemoryStore('dest');
    const blobs = new BlobScheduler({ limit: pLimit(8), logger: silentLogger });
    const descs: Array<[string, Descriptor]> = [];
    for (let i = 0; i < 400; i++) {
      const repo = `app-${i % 40}`;
      descs.push([repo, src.addBlob(repo, `own layer ${i}`)]);
    }
    const shared = descs.map(([repo]) => [repo, src.addBlob(repo, 'a layer every repository has')] as const);
    const seen: number[] = [];
    for (let round = 0; round < 4; round++) {
      const batch = descs.slice(round * 100, (round + 1) * 100).map(([repo, d]) => blobs.ensure(request(src, dest, repo, d)));
      // while they run, each is held once
      expect(blobs.pending(dest).inflight).toBe(100);
      const outcomes = await Promise.all(batch);
      expect(new Set(outcomes)).toEqual(new Set(['uploaded']));
      seen.push(blobs.pending(dest).inflight + blobs.pending(dest).firsts);
    }
    expect(seen).toEqual([0, 0, 0, 0]);
    // the shared layer: uploaded once, mounted into the 39 other repositories, and nothing held after
    const outcomes = await Promise.all(shared.map(([repo, d]) => blobs.ensure(request(src, dest, repo, d))));
    expect(outcomes.filter((o) => o === 'uploaded')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'mounted')).toHaveLength(39);
    expect(outcomes.filter((o) => o === 'existing')).toHaveLength(360);
    expect(blobs.pending(dest)).toEqual({ inflight: 0, firsts: 0 });
    expect(dest.count('putBlob')).toBe(401);
    // what it holds: 401 blobs, a set of repositories only for the one in 40 of them
    expect(blobs.holding(dest)).toEqual({ blobs: 401, sets: 1 });
    // asked again after pruning: answered from what the destination is known to hold, no request
    const calls = dest.calls.length;
    const again = await Promise.all(descs.map(([repo, d]) => blobs.ensure(request(src, dest, repo, d))));
    expect(new Set(again)).toEqual(new Set(['existing']));
    expect(dest.calls.length).toBe(calls);
  });

  it('keeps a failed copy: a second image needing the blob gets the same error without another transfer', async () => {
    const src = new MemoryStore('src');
    const dest = new MemoryStore('dest');
    const blobs = new BlobScheduler({ limit: pLimit(4), logger: silentLogger });
    const good = src.addBlob('app', 'fine');
    const bad = src.addBlob('app', 'damaged');
    src.corrupt.add(bad.digest);
    // a source that serves the same bytes again is not retried
    Object.defineProperty(src, 'rereadable', { value: false });
    await blobs.ensure(request(src, dest, 'app', good));
    const first = await blobs.ensure(request(src, dest, 'app', bad)).catch((e: unknown) => e);
    expect((first as { code?: string }).code).toBe('E_DIGEST_MISMATCH');
    expect(blobs.pending(dest)).toEqual({ inflight: 1, firsts: 1 });
    const gets = src.count('getBlob');
    const second = await blobs.ensure(request(src, dest, 'app', bad)).catch((e: unknown) => e);
    expect(second).toBe(first);
    expect(src.count('getBlob')).toBe(gets);
  });

  it('asks whether a blob is there while the transfers hold every transfer slot (the probes have their own)', async () => {
    const src = new MemoryStore('src');
    const dest = new MemoryStore('dest');
    // one transfer at a time; the upload of the big layer waits until released
    const blobs = new BlobScheduler({ limit: pLimit(1), probe: pLimit(1), logger: silentLogger });
    const big = src.addBlob('app', 'a big layer');
    const next = src.addBlob('app', 'the next image config');
    const upload = holdUploads(dest, big.digest);
    const first = blobs.ensure(request(src, dest, 'app', big));
    await vi.waitFor(() => expect(upload.count()).toBe(1));
    // asked for while the first upload holds the only transfer slot: its HEAD goes out at once
    const second = blobs.ensure(request(src, dest, 'app', next));
    await vi.waitFor(() => expect(dest.calls).toContain(`hasBlob mirror/app ${next.digest}`));
    expect(upload.count()).toBe(1);
    upload.release();
    expect(await Promise.all([first, second])).toEqual(['uploaded', 'uploaded']);
    // without a probe limit of their own, the HEAD waits for the transfer (as before)
    const shared = new BlobScheduler({ limit: pLimit(1), logger: silentLogger });
    const dest2 = new MemoryStore('dest2');
    const upload2 = holdUploads(dest2, big.digest);
    const a = shared.ensure(request(src, dest2, 'app', big));
    await vi.waitFor(() => expect(upload2.count()).toBe(1));
    const b = shared.ensure(request(src, dest2, 'app', next));
    await new Promise((r) => setTimeout(r, 20));
    expect(dest2.calls).not.toContain(`hasBlob mirror/app ${next.digest}`);
    upload2.release();
    expect(await Promise.all([a, b])).toEqual(['uploaded', 'uploaded']);
  });
});
