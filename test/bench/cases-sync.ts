/**
 * Registry-to-registry cases: sync big (with its curl GET|PUT floor), sync
 * many, and the no-op resync of many (with its HEAD-loop floor); airlift and
 * every peer that can sync, each into a fresh destination.
 */
import type { StartedRegistry } from '../harness/registry.js';
import { judge, newRow, type Ctx, type Row, type SetName } from './context.js';
import { AIRLIFT_RESYNC_CONCURRENCY, SYNC_NODE_WHAT, distinctBlobs, endedChildrenCpu, floorHeadLoop, floorImages, floorSync, floorSyncNode, headLoopWhat } from './floor.js';
import { timed } from './proc.js';
import { airliftSync } from './tools.js';

export const PREFIX = 'mirror';
const MiB = 1024 * 1024;

/** Destinations kept after a first sync, by side ('airlift' or a peer's name), for the no-op resync. */
export type Synced = Map<string, StartedRegistry>;

/** airlift and every peer that syncs, each into a fresh destination, each checked afterwards (not timed). */
export async function syncAll(ctx: Ctx, set: SetName, row: Row, keep: boolean): Promise<Synced> {
  const data = await ctx.data(set);
  const src = await ctx.source(set);
  const kept: Synced = new Map();
  if (ctx.opts.sides.airlift) {
    const dest = await ctx.fresh();
    row.airlift = await ctx.side(row, 'airlift sync', () => airliftSync(ctx.tools, src.host, data.images, dest.host, PREFIX), [src, dest]);
    // checked after the side (not timed, and its HEADs not in the registries' CPU)
    if (row.airlift) row.airlift = await ctx.checked(row, 'airlift sync', row.airlift, () => ctx.verify(dest, PREFIX, data.images, 'airlift sync'));
    if (keep && row.airlift) kept.set('airlift', dest);
    else await ctx.stop(dest);
  }
  for (const peer of ctx.peersFor(row, 'sync')) {
    const dest = await ctx.fresh();
    const s = await ctx.peerSide(
      row,
      peer.name,
      () => peer.sync!({ t: ctx.tools, images: data.images, name: `${set}-${peer.name}` }, src.host, dest.host, PREFIX),
      async () => {
        const named = peer.syncName ? data.images.map((i) => ({ ...i, name: peer.syncName!(i) })) : data.images;
        const bad = await ctx.mismatches(dest, PREFIX, named);
        return bad.length ? `${bad.length} of ${data.images.length} images missing or with another digest, e.g. ${bad[0]}` : undefined;
      },
      [src, dest],
    );
    if (keep && s) kept.set(peer.name, dest);
    else await ctx.stop(dest);
  }
  return kept;
}

let syncBigRuns = 0;

export async function syncBig(ctx: Ctx, withFloor: boolean): Promise<void> {
  const data = await ctx.data('big');
  const row = newRow('sync-big', `sync big (${data.images.length} images, ${(data.totalBytes / MiB).toFixed(0)} MiB)`, 'faster than every peer, ≤ 1.0× floor, RSS ≤ 200 MiB');
  ctx.log(`[sync-big] ${row.work}`);
  const floorSide = async (): Promise<void> => {
    if (!withFloor || !ctx.opts.sides.other) return;
    const src = await ctx.source('big');
    const blobs = distinctBlobs(data.images);
    const dest = await ctx.fresh();
    const what = `${blobs.length} blobs once, curl GET | curl PUT, 8 in parallel; then per image one curl: its mounts and manifests (from the generated layout's files)`;
    // The blobs once each, then what makes them images (mounts into the other repositories, the
    // manifests), as the load floor does: without it the floor left a registry with no image in it
    // (each blob in one repository), which is less than a sync. Checked like airlift's destination
    // (after the side: not timed, and its HEADs not in the registries' CPU).
    const target = { destUrl: dest.url, prefix: PREFIX };
    const side = await ctx.side(
      row,
      'curl floor',
      async () => {
        const cpu0 = endedChildrenCpu();
        const t = await timed(async () => {
          await floorSync(src.url, blobs, target);
          await floorImages(data.dir, data.images, blobs, target);
        });
        return { ...t, peakRssMiB: 0, cpuSeconds: endedChildrenCpu() - cpu0 };
      },
      [src, dest],
    );
    const s = side && (await ctx.checked(row, 'curl floor', side, () => ctx.verify(dest, PREFIX, data.images, 'curl floor')));
    await ctx.stop(dest);
    if (s) row.floor = { ...s, what };
  };
  // airlift (then the peers) and the floor in turn, in the other order on every other run
  // (--repeat), as load-big does: a fixed order charged the load's drift within a run to the floor
  const floorFirst = syncBigRuns++ % 2 === 1;
  ctx.log(`  (${floorFirst ? 'the floor first' : 'airlift first'})`);
  if (floorFirst) await floorSide();
  await syncAll(ctx, 'big', row, false);
  if (!floorFirst) await floorSide();
  judge(row, { beatPeers: true, floorLimit: 1.0, rssLimitMiB: 200 });
  ctx.rows.push(row);
}

let manyKept: Synced | undefined;

export async function syncMany(ctx: Ctx, keepForResync: boolean): Promise<void> {
  const data = await ctx.data('many');
  const row = newRow('sync-many', `sync many (${data.images.length} images × 2 small layers)`, 'faster than every peer, RSS ≤ 200 MiB');
  ctx.log(`[sync-many] ${row.work}`);
  manyKept = await syncAll(ctx, 'many', row, keepForResync);
  if (ctx.opts.sides.other) {
    // The bare Node client (clients/sync-node.mjs): airlift's requests and nothing else, in the
    // same run, so that airlift, node alone and regsync stand side by side (README: "Why regsync is
    // faster on these two cases"). A floor column without a limit: the target is the peers.
    const src = await ctx.source('many');
    const dest = await ctx.fresh();
    const s = await ctx.side(row, 'bare Node client', () => floorSyncNode(src.host, dest.host, PREFIX, data.images), [src, dest]);
    const ok = s && (await ctx.checked(row, 'bare Node client', s, () => ctx.verify(dest, PREFIX, data.images, 'bare Node client')));
    await ctx.stop(dest);
    if (ok) row.floor = { ...ok, what: SYNC_NODE_WHAT };
  }
  judge(row, { beatPeers: true, rssLimitMiB: 200 });
  ctx.rows.push(row);
}

/**
 * The no-op resync of a set into the destinations a first sync filled: airlift as it runs by
 * default (signatures and other referrers travel, #20: one tag list per source repository besides
 * the 2 HEADs per image) against the HEAD-loop floor with those tag lists; then, in `bare`,
 * `airlift sync --no-referrers` against the bare HEAD loop (the 2 requests per image of issue 22).
 * Each peer runs once (none of them, as set up, looks for signatures); its time goes in both rows.
 */
export async function resyncInto(ctx: Ctx, set: SetName, row: Row, kept: Synced, bare?: Row): Promise<void> {
  const data = await ctx.data(set);
  const src = await ctx.source(set);
  const mine = kept.get('airlift');
  if (mine) {
    const floor = async (r: Row, tags: boolean): Promise<void> => {
      if (!ctx.opts.sides.other) return;
      const o = { ...AIRLIFT_RESYNC_CONCURRENCY, tags };
      const s = await ctx.side(r, tags ? 'HEAD-loop floor + tag lists' : 'HEAD-loop floor', () => floorHeadLoop(ctx.tools.work, src.host, mine.host, PREFIX, data.images, o), [src, mine]);
      if (s) r.floor = { ...s, what: headLoopWhat(o) };
    };
    row.airlift = await ctx.side(row, 'airlift resync', () => airliftSync(ctx.tools, src.host, data.images, mine.host, PREFIX), [src, mine]);
    await floor(row, true);
    if (bare) {
      bare.airlift = await ctx.side(bare, 'airlift resync --no-referrers', () => airliftSync(ctx.tools, src.host, data.images, mine.host, PREFIX, ['--no-referrers']), [src, mine]);
      await floor(bare, false);
    }
  }
  for (const peer of ctx.peersFor(row, 'sync')) {
    const dest = kept.get(peer.name);
    if (!dest) {
      row.absent[peer.name] ??= 'its first sync failed';
      continue;
    }
    await ctx.peerSide(row, peer.name, () => peer.sync!({ t: ctx.tools, images: data.images, name: `${set}-${peer.name}` }, src.host, dest.host, PREFIX), undefined, [src, dest]);
  }
  if (bare) {
    Object.assign(bare.peers, row.peers);
    Object.assign(bare.absent, row.absent);
  }
  for (const reg of kept.values()) await ctx.stop(reg);
}

export async function resyncMany(ctx: Ctx): Promise<void> {
  const data = await ctx.data('many');
  const row = newRow('resync-many', `no-op resync of many (${data.images.length} images)`, 'faster than every peer, ≤ 1.3× HEAD loop (+ tag lists)');
  const bare = newRow('resync-many-bare', `no-op resync of many, --no-referrers (${data.images.length} images)`, 'faster than every peer, ≤ 1.3× HEAD loop');
  ctx.log(`[resync-many] ${row.work}`);
  if (!manyKept) {
    // Not measured: the first sync of every side, so that this case can run alone.
    manyKept = await syncAll(ctx, 'many', newRow('setup', '', ''), true);
  }
  await resyncInto(ctx, 'many', row, manyKept, bare);
  manyKept = undefined;
  for (const r of [row, bare]) {
    judge(r, { beatPeers: true, floorLimit: 1.3, rssLimitMiB: 200 });
    ctx.rows.push(r);
  }
}
