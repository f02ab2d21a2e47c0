/**
 * runCopies' onCopying (sync turns TurboFan back on with it, cmd/jit.ts): called once, as the first
 * bytes of a blob move; never for a run that finds every image already at the destination.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CopyJob } from '../../../src/copy/index.js';
import { silentLogger } from '../../../src/log.js';
import { runCopies, type ProgressEnv } from '../../../src/mirror/run-copies.js';
import { MemoryStore } from '../copy/memory-store.js';

function job(src: MemoryStore, dst: MemoryStore, repo: string, tag: string): CopyJob {
  return { source: { store: src, repo, reference: tag }, dest: { store: dst, repo: `mirror/${repo}`, tag }, name: `src/${repo}:${tag}` };
}

function env(onCopying: () => void): ProgressEnv {
  return { logger: silentLogger, stderr: new PassThrough(), isTTY: false, json: false, quiet: true, concurrency: 4, minRate: 0, minRateWindowMs: 30_000, onCopying };
}

describe('runCopies onCopying', () => {
  it('is called once when blobs are copied, and not at all when every image is already there', async () => {
    const src = new MemoryStore('src');
    const dst = new MemoryStore('dst');
    for (const n of ['a', 'b', 'c']) src.addImage(n, '1', [`layer-${n}-1`, `layer-${n}-2`]);
    const jobs = ['a', 'b', 'c'].map((n) => job(src, dst, n, '1'));
    let calls = 0;
    const first = await runCopies(env(() => calls++), jobs, { verb: 'syncing', platforms: [] });
    expect(first.map((r) => r.status)).toEqual(['copied', 'copied', 'copied']);
    expect(calls).toBe(1);
    calls = 0;
    const again = await runCopies(env(() => calls++), jobs, { verb: 'syncing', platforms: [] });
    expect(again.map((r) => r.status)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(calls).toBe(0);
  });
});
