/**
 * Splitting the work of one run between N independent workers, by image.
 *
 * `--shard I/N` selects the images whose shard number is I. The shard number
 * of an image is a stable hash of its normalised source reference modulo N:
 *
 * - Every image lands in exactly one of the N shards, so N workers started with
 *   0/N … (N-1)/N cover the whole list exactly once, without talking to each
 *   other and without agreeing on the list beforehand.
 * - A hash (rather than sorting the list and dealing it round-robin) depends
 *   only on the image itself: adding or removing one image from the config does
 *   not move any other image to another shard, so each worker's lock stays
 *   comparable from one run to the next and a shard's destination work stays
 *   put. Round-robin would be perfectly balanced but would reshuffle everything
 *   after the first insertion point.
 * - The hash is SHA-256 (first 48 bits), so the split does not depend on the
 *   Node.js version, the platform or the order of the input.
 *
 * The caller passes the key: the normalised source reference of the image
 * ("docker.io/library/nginx:1.25"), so that "nginx:1.25" and its fully
 * qualified form fall into the same shard. Blobs shared by images of different
 * shards are copied by each of those shards (at most once per shard).
 *
 * Pure: no I/O.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';

export interface Shard {
  /** 0-based shard number, 0 ≤ index < count. */
  index: number;
  /** Number of shards, ≥ 1. */
  count: number;
}

/** Upper bound on N: far above any sensible number of workers, and keeps the arithmetic exact. */
export const MAX_SHARDS = 65536;

const SHARD_RE = /^(\d{1,6})\/(\d{1,6})$/;

/** Parses "I/N" (e.g. "0/4"). Throws UsageError naming the input otherwise. */
export function parseShard(input: string): Shard {
  const text = input.trim();
  const m = SHARD_RE.exec(text);
  const hint = 'give --shard as I/N with 0 ≤ I < N, e.g. --shard 0/4 … --shard 3/4 for four workers';
  if (!m) throw new UsageError(`invalid --shard ${JSON.stringify(input)}: expected I/N (two whole numbers)`, { hint });
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw new UsageError(`invalid --shard ${JSON.stringify(input)}: the number of shards N must be at least 1`, { hint });
  if (count > MAX_SHARDS) {
    throw new UsageError(`invalid --shard ${JSON.stringify(input)}: at most ${MAX_SHARDS} shards are supported`, { hint });
  }
  if (index >= count) {
    throw new UsageError(`invalid --shard ${JSON.stringify(input)}: the shard index I must be below N (0 … ${count - 1})`, { hint });
  }
  return { index, count };
}

/** "I/N", the inverse of parseShard. */
export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/** The shard number (0 … count-1) an image key belongs to, out of `count` shards. */
export function shardOf(imageKey: string, count: number): number {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS) {
    throw new UsageError(`invalid number of shards ${count}: expected a whole number from 1 to ${MAX_SHARDS}`);
  }
  const h = createHash('sha256').update(imageKey, 'utf8').digest();
  // 48 bits fit exactly in a double; modulo bias is below 2^-32 for N ≤ 65536.
  return h.readUIntBE(0, 6) % count;
}

/** Whether the image with this key is part of `shard`. Without a shard, every image is. */
export function inShard(imageKey: string, shard: Shard | undefined): boolean {
  if (!shard) return true;
  return shardOf(imageKey, shard.count) === shard.index;
}

/** The items of `items` that belong to `shard`, in their original order. */
export function filterShard<T>(items: readonly T[], key: (item: T) => string, shard: Shard | undefined): T[] {
  if (!shard) return [...items];
  return items.filter((item) => inShard(key(item), shard));
}
