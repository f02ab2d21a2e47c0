/**
 * Merging locks (pure): the locks written by N shard workers, or by several
 * runs, become one. Images are united by source and destination; the same
 * image recorded twice with the same digest is kept once. The same source and
 * destination with two different digests, or two sources landing on the same
 * destination with different digests, is a ConflictError naming both files.
 */
import { ConflictError, UsageError } from '../errors.js';
import { LOCK_VERSION, type Lock, type LockChart, type LockImage } from './types.js';
import { canonicalLock } from './validate.js';

export interface NamedLock {
  /** Where the lock came from, for error messages (a file path). */
  file: string;
  lock: Lock;
}

export interface MergeOptions {
  /** `generator` of the merged lock; default: the first lock's. */
  generator?: string;
}

interface Seen<T> {
  file: string;
  item: T;
}

function mergeImage(into: LockImage, other: LockImage): LockImage {
  // Same digest means the same content; platforms can only differ if a lock was edited by hand.
  const platforms = [...new Set([...into.platforms, ...other.platforms])];
  return { ...other, ...into, platforms };
}

export function mergeLocks(inputs: readonly NamedLock[], opts: MergeOptions = {}): Lock {
  const first = inputs[0];
  if (!first) throw new UsageError('lock merge needs at least one lock file');

  const bySourceDest = new Map<string, Seen<LockImage>>();
  const byDest = new Map<string, Seen<LockImage>>();
  const charts = new Map<string, Seen<LockChart>>();

  for (const { file, lock } of inputs) {
    for (const img of lock.images) {
      const key = `${img.source}\u0000${img.destination ?? ''}`;
      const prev = bySourceDest.get(key);
      if (prev) {
        if (prev.item.digest !== img.digest) {
          throw new ConflictError(
            `${img.source}${img.destination ? ` → ${img.destination}` : ''} has digest ${prev.item.digest} in ${prev.file} but ${img.digest} in ${file}`,
            { hint: 'the source changed between the runs that wrote these locks; run the sync again and merge the new locks, or merge only locks from one run' },
          );
        }
        prev.item = mergeImage(prev.item, img);
        continue;
      }
      if (img.destination) {
        const other = byDest.get(img.destination);
        if (other && other.item.digest !== img.digest) {
          throw new ConflictError(
            `${img.destination} holds ${other.item.source} (${other.item.digest}) according to ${other.file} but ${img.source} (${img.digest}) according to ${file}`,
            { hint: 'two sources map to the same destination; use --mapping preserve-registry, or merge locks from one mapping only' },
          );
        }
      }
      const seen = { file, item: img };
      bySourceDest.set(key, seen);
      if (img.destination && !byDest.has(img.destination)) byDest.set(img.destination, seen);
    }
    for (const ch of lock.charts) {
      const key = `${ch.name}\u0000${ch.version}\u0000${ch.destination ?? ''}`;
      const prev = charts.get(key);
      if (prev) {
        if (prev.item.digest && ch.digest && prev.item.digest !== ch.digest) {
          throw new ConflictError(
            `chart ${ch.name} ${ch.version} has digest ${prev.item.digest} in ${prev.file} but ${ch.digest} in ${file}`,
            { hint: 'the chart was repackaged between the runs that wrote these locks; merge only locks from one run' },
          );
        }
        prev.item = { ...ch, ...prev.item };
        continue;
      }
      charts.set(key, { file, item: ch });
    }
  }

  const targets = new Set(inputs.map((i) => i.lock.target));
  const target = targets.size === 1 ? first.lock.target : undefined;
  // the blobs of shard bundles (save --shard): the merged lock can be a `save --since` base when every shard lock lists them
  const blobs = inputs.every((i) => i.lock.blobs) ? [...new Set(inputs.flatMap((i) => i.lock.blobs!))] : undefined;
  const missing = inputs.flatMap((i) => i.lock.missing ?? []);
  const merged: Lock = {
    version: LOCK_VERSION,
    generator: opts.generator ?? first.lock.generator,
    ...(target !== undefined ? { target } : {}),
    charts: [...charts.values()].map((s) => s.item),
    images: [...bySourceDest.values()].map((s) => s.item),
    ...(blobs ? { blobs } : {}),
    ...(missing.length ? { missing } : {}),
  };
  return canonicalLock(merged);
}
