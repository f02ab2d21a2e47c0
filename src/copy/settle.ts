/**
 * The end of a copy run: each destination re-checks what it wrote that another writer may have
 * undone since (ImageDestination.settle: a registry's fallback referrers indexes), and an image
 * whose referrers could not be made to hold fails, with the error that names the tag and what to do.
 */
import { withPrefix } from '../errors.js';
import type { CopyResult } from './types.js';

/** Settles every destination of `results` (in the jobs' order), failing the images whose referrers did not hold. */
export async function settleDestinations(results: CopyResult[], signal: AbortSignal | undefined): Promise<void> {
  for (const store of new Set(results.map((r) => r.job.dest.store))) {
    if (!store.settle) continue;
    for (const loss of await store.settle(signal)) {
      const inRepo = results.filter((r) => r.job.dest.store === store && r.job.dest.repo === loss.repo);
      const hit = inRepo.filter((r) => r.referrers?.some((a) => a.subject === loss.subject));
      // an image that failed before its referrers were listed has failed already
      if (hit.length === 0 && inRepo.some((r) => r.status === 'failed')) continue;
      if (hit.length === 0) throw loss.error;
      for (const r of hit) if (r.status !== 'failed') Object.assign(r, { status: 'failed', error: withPrefix(loss.error, r.name) });
    }
  }
}
