/** Digests to pin with --digests: from a lock (`load --lock-out`, `sync --lock-out`), keyed by source reference. */
import type { Lock } from '../lock/types.js';

/**
 * source reference → digest of what was stored. A lock written by a run
 * that filtered platforms records the rewritten index's digest: that is the
 * one the mirror serves, so that is the one pinned.
 */
export function digestsFromLock(lock: Lock): Map<string, string> {
  const out = new Map<string, string>();
  for (const img of lock.images) out.set(img.source, img.digest);
  return out;
}
