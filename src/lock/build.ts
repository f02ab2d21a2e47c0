/**
 * Lock entries from what the copy engine did (pure). An image the engine did
 * not store (failed) has no entry; a skipped image is recorded like a copied
 * one: the lock says what the destination holds.
 */
import type { CopyResult } from '../copy/types.js';
import { LOCK_VERSION, type Lock, type LockChart, type LockFile, type LockImage } from './types.js';
import { attachmentRecord } from '../oci/referrers.js';
import type { BasicDescriptor } from '../oci/types.js';

export interface LockImageInput {
  result: CopyResult;
  /** Full source reference. */
  source: string;
  /** Full destination reference, when the operation had a destination registry. */
  destination?: string;
}

export function lockImage({ result, source, destination }: LockImageInput): LockImage | undefined {
  if (result.status === 'failed' || !result.digest || !result.mediaType || result.size === undefined) return undefined;
  const img: LockImage = {
    source,
    digest: result.digest,
    mediaType: result.mediaType,
    size: result.size,
    platforms: result.platforms ?? [],
  };
  if (destination !== undefined) img.destination = destination;
  if (result.filtered) img.filtered = { ...result.filtered };
  if (result.referrers?.length) {
    img.referrers = result.referrers.map((r) => attachmentRecord(r.subject, r, r));
  }
  return img;
}

export function buildLock(init: { generator: string; target?: string; images: LockImage[]; charts?: LockChart[]; files?: LockFile[] }): Lock {
  const lock: Lock = { version: LOCK_VERSION, generator: init.generator, charts: init.charts ?? [], images: init.images };
  if (init.target !== undefined) lock.target = init.target;
  if (init.files?.length) lock.files = init.files;
  return lock;
}

/** A lock entry as the `previous` of a copy job (platforms reused when the digest still matches). */
export function previousFromLock(img: LockImage | undefined): (BasicDescriptor & { sourceDigest?: string; platforms: string[] }) | undefined {
  if (!img) return undefined;
  return {
    digest: img.digest,
    ...(img.filtered ? { sourceDigest: img.filtered.sourceDigest } : {}),
    mediaType: img.mediaType,
    size: img.size,
    platforms: img.platforms,
  };
}
