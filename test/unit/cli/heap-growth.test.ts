/**
 * The heap growing percent of the copying commands (cmd/heap.ts): the old generation may grow by
 * 32 MiB over the live heap, at a factor between 1.5 and 4. A save of 21 images (10-11 MiB live)
 * keeps V8's own 4x, so the 64 KiB socket buffers V8 counts against its limit do not run a full
 * collection every 17 MiB of blob data; a run of 10,000 images (30-100 MiB live) is held near 1.5x.
 */
import { describe, expect, it } from 'vitest';
import { growingPercent } from '../../../cmd/heap.js';

const MiB = 1024 * 1024;

describe('growingPercent', () => {
  it('4x over a small live heap, 1.5x from 64 MiB, 32 MiB of headroom between', () => {
    expect(growingPercent(0)).toBe(300);
    expect(growingPercent(8 * MiB)).toBe(300);
    expect(growingPercent(11 * MiB)).toBe(291);
    expect(growingPercent(16 * MiB)).toBe(200);
    expect(growingPercent(30 * MiB)).toBe(107);
    expect(growingPercent(64 * MiB)).toBe(50);
    expect(growingPercent(101 * MiB)).toBe(50);
    expect(growingPercent(2048 * MiB)).toBe(50);
  });
});
