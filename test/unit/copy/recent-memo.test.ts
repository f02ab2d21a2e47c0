/**
 * The copy engine's memo of config platforms and new repositories: one question per key while it
 * is recent, and never more than `keep` entries however many images a run copies (they held one
 * per image, or repository, to the end).
 */
import { describe, expect, it } from 'vitest';
import { RecentMemo } from '../../../src/copy/recent.js';

describe('RecentMemo', () => {
  it('reads a config once while it is recent and holds at most keep entries', async () => {
    const memo = new RecentMemo<string>(100);
    let reads = 0;
    const read = (): Promise<string> => {
      reads++;
      return Promise.resolve('linux/amd64');
    };
    for (let i = 0; i < 5000; i++) {
      expect(await memo.get(`sha256:${i}`, read)).toBe('linux/amd64');
      // an image sharing the config of one just before it: no second read
      expect(await memo.get(`sha256:${Math.max(0, i - 50)}`, read)).toBe('linux/amd64');
      expect(memo.size).toBeLessThanOrEqual(100);
    }
    expect(reads).toBe(5000);
    // one long gone is read again
    await memo.get('sha256:0', read);
    expect(reads).toBe(5001);
  });

  it('a read in flight is shared', async () => {
    const memo = new RecentMemo<string>(2);
    let release: (v: string) => void = () => undefined;
    let reads = 0;
    const slow = (): Promise<string> => {
      reads++;
      return new Promise((r) => (release = r));
    };
    const a = memo.get('sha256:a', slow);
    const b = memo.get('sha256:a', slow);
    expect(a).toBe(b);
    release('linux/arm64');
    expect(await b).toBe('linux/arm64');
    expect(reads).toBe(1);
  });
});
