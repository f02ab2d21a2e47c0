/** Registry-to-registry cases: sync big, its raw floor, sync many, and the no-op resync of many. */
import type { StartedRegistry } from '../harness/registry.js';
import { judge, type Ctx, type Row, type SetName } from './context.js';
import { distinctBlobs, floorSync } from './floor.js';
import { timed } from './proc.js';
import { airliftSync, skopeoSync, skopeoSyncPrepare } from './tools.js';

const PREFIX = 'mirror';
const MiB = 1024 * 1024;

/** Destinations kept after sync-many for the no-op resync. */
export interface SyncedPair {
  airlift?: StartedRegistry;
  skopeo?: StartedRegistry;
  yaml?: string;
}

async function syncBoth(ctx: Ctx, set: SetName, row: Row, keep: boolean): Promise<SyncedPair> {
  const data = await ctx.data(set);
  const src = await ctx.source(set);
  const kept: SyncedPair = {};
  if (ctx.opts.sides.airlift) {
    const dest = await ctx.fresh();
    row.airlift = await ctx.side(row, 'airlift sync', async () => {
      const m = await airliftSync(ctx.tools, src.host, data.images, dest.host, PREFIX);
      await ctx.verify(dest, PREFIX, data.images, 'airlift sync');
      return m;
    });
    if (keep && row.airlift) kept.airlift = dest;
    else await ctx.stop(dest);
  }
  if (ctx.opts.sides.other) {
    const dest = await ctx.fresh();
    const yaml = await skopeoSyncPrepare(ctx.tools, src.host, data.images, set);
    const s = await ctx.side(row, 'skopeo sync', () => skopeoSync(ctx.tools, yaml, dest.host, PREFIX));
    if (s) row.other = { ...s, label: 'skopeo' };
    if (keep && s) {
      kept.skopeo = dest;
      kept.yaml = yaml;
    } else await ctx.stop(dest);
  }
  return kept;
}

export async function syncBig(ctx: Ctx): Promise<void> {
  const data = await ctx.data('big');
  const row: Row = { case: 'sync-big', work: `sync big (${data.images.length} images, ${(data.totalBytes / MiB).toFixed(0)} MiB)`, target: '≥ 1.6× faster, RSS < 200 MiB', notes: [] };
  ctx.log(`[sync-big] ${row.work}`);
  await syncBoth(ctx, 'big', row, false);
  judge(row, 'speedup', 1.6, 200);
  ctx.rows.push(row);
}

/** The curl floor of the big set, with airlift's sync-big time (when measured) against it. */
export async function floorBig(ctx: Ctx): Promise<void> {
  const data = await ctx.data('big');
  const src = await ctx.source('big');
  const blobs = distinctBlobs(data.images);
  const bytes = blobs.reduce((n, b) => n + b.size, 0);
  const row: Row = { case: 'floor-big', work: `raw floor: ${blobs.length} blobs ${(bytes / MiB).toFixed(0)} MiB, curl ×8`, target: 'reference', notes: [] };
  ctx.log(`[floor-big] ${row.work}`);
  const dest = await ctx.fresh();
  const s = await ctx.side(row, 'curl floor', async () => ({ ...(await timed(() => floorSync(src.url, blobs, { destUrl: dest.url, prefix: PREFIX }))), peakRssMiB: 0 }));
  await ctx.stop(dest);
  if (s) row.other = { ...s, label: 'floor' };
  const synced = ctx.rows.find((r) => r.case === 'sync-big')?.airlift;
  if (synced && s) {
    row.airlift = synced;
    row.ratioKind = 'of-floor';
    row.ratio = synced.seconds / s.seconds;
    row.notes.push('airlift column: the sync-big run');
  }
  ctx.rows.push(row);
}

let manyPair: SyncedPair | undefined;

export async function syncMany(ctx: Ctx, keepForResync: boolean): Promise<void> {
  const data = await ctx.data('many');
  const row: Row = { case: 'sync-many', work: `sync many (${data.images.length} images × 2 small layers)`, target: '≥ 2.5× faster', notes: [] };
  ctx.log(`[sync-many] ${row.work}`);
  manyPair = await syncBoth(ctx, 'many', row, keepForResync);
  judge(row, 'speedup', 2.5);
  ctx.rows.push(row);
}

export async function resyncMany(ctx: Ctx): Promise<void> {
  const data = await ctx.data('many');
  const src = await ctx.source('many');
  const row: Row = { case: 'resync-many', work: `no-op resync of many (${data.images.length} images)`, target: '≥ 2.5× faster', notes: [] };
  ctx.log(`[resync-many] ${row.work}`);
  if (!manyPair) {
    // Not measured: the first sync of both tools, so that this case can run alone.
    const setup: Row = { case: 'setup', work: '', target: '', notes: [] };
    manyPair = await syncBoth(ctx, 'many', setup, true);
    row.notes.push(...setup.notes);
  }
  const pair = manyPair;
  if (pair.airlift) {
    const dest = pair.airlift;
    row.airlift = await ctx.side(row, 'airlift resync', () => airliftSync(ctx.tools, src.host, data.images, dest.host, PREFIX));
    await ctx.stop(dest);
  }
  if (pair.skopeo && pair.yaml) {
    const dest = pair.skopeo;
    const yaml = pair.yaml;
    const s = await ctx.side(row, 'skopeo resync', () => skopeoSync(ctx.tools, yaml, dest.host, PREFIX));
    if (s) row.other = { ...s, label: 'skopeo' };
    await ctx.stop(dest);
  }
  manyPair = undefined;
  judge(row, 'speedup', 2.5);
  ctx.rows.push(row);
}
