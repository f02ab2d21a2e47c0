/**
 * Small blobs between two stores that hold them in memory (getBlobBytes → putBlobBytes, the
 * registry endpoints): read whole, verified, stored as bytes; blobs over SMALL_BLOB, and stores
 * without the two methods, stream as before. Bytes that do not match their digest are never
 * handed to the destination.
 */
import pLimit from 'p-limit';
import { describe, expect, it } from 'vitest';
import { BlobScheduler, type BlobRequest } from '../../../src/copy/index.js';
import { SMALL_BLOB } from '../../../src/copy/blobs.js';
import { verifyBytes } from '../../../src/digest/index.js';
import { silentLogger } from '../../../src/log.js';
import type { Descriptor } from '../../../src/oci/types.js';
import { MemoryStore } from './memory-store.js';

/** A MemoryStore that also offers the in-memory blob methods, counted. */
class BytesStore extends MemoryStore {
  async getBlobBytes(repo: string, desc: Descriptor): Promise<Buffer> {
    this.calls.push(`getBlobBytes ${repo} ${desc.digest}`);
    const chunks: Buffer[] = [];
    for await (const c of await this.getBlob(repo, desc)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
  async putBlobBytes(repo: string, desc: Descriptor, bytes: Buffer): Promise<void> {
    this.calls.push(`putBlobBytes ${repo} ${desc.digest}`);
    verifyBytes(`blob ${desc.digest}`, bytes, desc.digest, desc.size);
    this.blobs.set(desc.digest, bytes);
    (this.repoBlobs.get(repo) ?? this.repoBlobs.set(repo, new Set()).get(repo)!).add(desc.digest);
  }
}

const request = (src: MemoryStore, dest: MemoryStore, repo: string, desc: Descriptor, capture = false): BlobRequest => ({
  source: src,
  srcRepo: repo,
  dest,
  destRepo: `mirror/${repo}`,
  desc,
  image: `src/${repo}:1`,
  capture,
});

describe('small blobs in memory', () => {
  it('go as bytes up to SMALL_BLOB and as a stream above it, both counted for progress', async () => {
    const src = new BytesStore('src');
    const dest = new BytesStore('dest');
    const bytes: number[] = [];
    const blobs = new BlobScheduler({ limit: pLimit(4), logger: silentLogger, onBytes: (_i, n) => bytes.push(n) });
    const small = src.addBlob('app', 'x'.repeat(SMALL_BLOB));
    const large = src.addBlob('app', 'y'.repeat(SMALL_BLOB + 1));
    expect(await blobs.ensure(request(src, dest, 'app', small, true))).toBe('uploaded');
    expect(await blobs.ensure(request(src, dest, 'app', large))).toBe('uploaded');
    expect(dest.calls.filter((c) => c.startsWith('put'))).toEqual([`putBlobBytes mirror/app ${small.digest}`, `putBlob mirror/app ${large.digest}`]);
    expect(src.count('getBlobBytes')).toBe(1);
    expect(dest.hasIn('mirror/app', small.digest) && dest.hasIn('mirror/app', large.digest)).toBe(true);
    expect(bytes.reduce((a, b) => a + b, 0)).toBe(2 * SMALL_BLOB + 1);
    // a captured config is kept from its bytes (the lock reads its platform from them)
    expect(blobs.captured.get(small.digest)?.toString()).toBe('x'.repeat(SMALL_BLOB));
  });

  it('a store without the byte methods on either side gets a stream', async () => {
    const src = new BytesStore('src');
    const dest = new MemoryStore('dest');
    const blobs = new BlobScheduler({ limit: pLimit(4), logger: silentLogger });
    const d = src.addBlob('app', 'small');
    await blobs.ensure(request(src, dest, 'app', d));
    expect(dest.count('putBlob')).toBe(1);
    expect(src.count('getBlobBytes')).toBe(0);
  });

  it('bytes that do not match the digest fail the blob, are tried again, and never reach the destination', async () => {
    const src = new BytesStore('src');
    const dest = new BytesStore('dest');
    const blobs = new BlobScheduler({ limit: pLimit(4), logger: silentLogger });
    const d = src.addBlob('app', 'a small layer');
    src.corrupt.add(d.digest);
    const err = await blobs.ensure(request(src, dest, 'app', d)).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message: string },
    );
    expect(err?.code).toBe('E_DIGEST_MISMATCH');
    expect(err?.message).toContain(d.digest);
    expect(err?.message).toContain('src/app:1');
    // a registry may serve other bytes next time: three reads, as for a streamed blob
    expect(src.count('getBlobBytes')).toBe(3);
    expect(dest.count('putBlobBytes')).toBe(0);
    expect(dest.hasIn('mirror/app', d.digest)).toBe(false);
  });
});
