import { describe, expect, it } from 'vitest';
import { ChunkPool } from '../../../src/serve/chunk-pool.js';

describe('ChunkPool (the read buffers of served blobs)', () => {
  it('hands a buffer given back out again instead of allocating another', () => {
    const pool = new ChunkPool(1024, 4);
    const a = pool.take(1024);
    pool.give(a);
    expect(pool.kept).toBe(1);
    const b = pool.take(1024);
    expect(b.buffer).toBe(a.buffer);
    expect(pool.kept).toBe(0);
  });

  it('gives a short read a part of a whole buffer, and takes the part back as the whole', () => {
    const pool = new ChunkPool(1024, 4);
    const part = pool.take(100);
    expect(part.length).toBe(100);
    pool.give(part.subarray(0, 10));
    const whole = pool.take(1024);
    expect(whole.length).toBe(1024);
    expect(whole.buffer).toBe(part.buffer);
  });

  it('keeps at most `keep` buffers; past that a buffer given back is left to the collector', () => {
    const pool = new ChunkPool(64, 2);
    const bufs = [pool.take(64), pool.take(64), pool.take(64)];
    for (const b of bufs) pool.give(b);
    expect(pool.kept).toBe(2);
  });

  it('ignores buffers it did not hand out, and reads larger than its size get buffers of their own', () => {
    const pool = new ChunkPool(64, 2);
    pool.give(Buffer.alloc(64));
    expect(pool.kept).toBe(0);
    const big = pool.take(100);
    expect(big.length).toBe(100);
    pool.give(big);
    expect(pool.kept).toBe(0);
  });
});
