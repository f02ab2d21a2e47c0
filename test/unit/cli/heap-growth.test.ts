/**
 * The heap growing percent of the copying commands (cmd/heap.ts): 4x while the heap in use stays
 * under 16 MiB, 1.5x from the first collection that finds more. A save of 21 images (10-14 MiB in
 * use) keeps V8's own 4x, so the 64 KiB socket buffers V8 counts against its limit do not run a
 * full collection every 17 MiB of blob data; a run of 2,000 or 10,000 images (20-100 MiB) is held
 * at 1.5x, as before.
 */
import { describe, expect, it } from 'vitest';
import { growingPercent } from '../../../cmd/heap.js';

const MiB = 1024 * 1024;

describe('growingPercent', () => {
  it('4x under 16 MiB in use, 1.5x from it', () => {
    expect(growingPercent(0)).toBe(300);
    expect(growingPercent(8 * MiB)).toBe(300);
    expect(growingPercent(11.5 * MiB)).toBe(300);
    expect(growingPercent(14 * MiB)).toBe(300);
    expect(growingPercent(16 * MiB - 1)).toBe(300);
    expect(growingPercent(16 * MiB)).toBe(50);
    expect(growingPercent(30 * MiB)).toBe(50);
    expect(growingPercent(101 * MiB)).toBe(50);
  });
});
