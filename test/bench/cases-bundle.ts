/** Bundle cases: save big and load big (airlift, their floors, every peer that can), a differential save of big, and the memory check. */
import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { generateLayout, seedRegistry } from '../../fixtures/images/generate.js';
import { judge, newRow, type Ctx, type Row, type SetName } from './context.js';
import { setDefs } from './data.js';
import { distinctBlobs, distinctManifests, endedChildrenCpu, floorImages, floorLoad, floorSave, saveFloorWhat } from './floor.js';
import { measure, timed } from './proc.js';
import { airliftCommand, airliftLoad, airliftSave, airliftSync, skopeoSave } from './tools.js';

const PREFIX = 'mirror';
const MiB = 1024 * 1024;

let bigBundle: string | undefined;

async function saveAirlift(ctx: Ctx, set: SetName, row: Row, file: string): Promise<boolean> {
  const data = await ctx.data(set);
  const src = await ctx.source(set);
  await rm(file, { force: true });
  const s = await ctx.side(row, 'airlift save', () => airliftSave(ctx.tools, src.host, data.images, file));
  if (s) row.airlift = s;
  return s !== undefined;
}

/** Peers' own save outputs (file or directory), by name, for their load. */
let peerBundles = new Map<string, string>();

export async function saveBig(ctx: Ctx): Promise<void> {
  const data = await ctx.data('big');
  const src = await ctx.source('big');
  const row = newRow('save-big', `save big to one bundle (${data.images.length} images)`, 'faster than every peer, ≤ 1.2× floor, RSS ≤ 200 MiB');
  ctx.log(`[save-big] ${row.work}`);
  const file = path.join(ctx.tools.work, 'bundle-big.tar');
  if (ctx.opts.sides.airlift && (await saveAirlift(ctx, 'big', row, file))) bigBundle = file;
  if (ctx.opts.sides.other) {
    const blobs = [...distinctBlobs(data.images), ...distinctManifests(data.images)];
    const out = path.join(ctx.tools.work, 'floor-big.tar');
    const s = await ctx.side(row, 'save floor', () => floorSave(ctx.tools.work, src.host, blobs, out, true));
    if (s) row.floor = { ...s, what: saveFloorWhat(blobs, true) };
    await rm(out, { force: true });
  }
  peerBundles = await savePeers(ctx, 'big', row);
  judge(row, { beatPeers: true, floorLimit: 1.2, rssLimitMiB: 200 });
  ctx.rows.push(row);
}

/** Every peer that saves, into its own file or directory under the work directory. */
async function savePeers(ctx: Ctx, set: SetName, row: Row): Promise<Map<string, string>> {
  const data = await ctx.data(set);
  const src = await ctx.source(set);
  const outs = new Map<string, string>();
  for (const peer of ctx.peersFor(row, 'save')) {
    const out = path.join(ctx.tools.work, `peer-${peer.name}-${set}.tar`);
    await rm(out, { recursive: true, force: true });
    const s = await ctx.peerSide(row, peer.name, () => peer.save!({ t: ctx.tools, images: data.images, name: `${set}-${peer.name}` }, src.host, out));
    if (s) outs.set(peer.name, out);
    else await rm(out, { recursive: true, force: true });
  }
  return outs;
}

/** Calls of loadBig in this process: the order of its two sides alternates between them. */
let loadRuns = 0;

export async function loadBig(ctx: Ctx): Promise<void> {
  const data = await ctx.data('big');
  const row = newRow('load-big', `load the big bundle into an empty registry`, 'faster than every peer, ≤ 1.0× floor, RSS ≤ 200 MiB');
  ctx.log(`[load-big] ${row.work}`);
  if (ctx.opts.sides.airlift && !bigBundle) {
    const file = path.join(ctx.tools.work, 'bundle-big.tar');
    if (await saveAirlift(ctx, 'big', newRow('setup', '', ''), file)) bigBundle = file;
    else row.notes.push('no bundle: airlift save failed');
  }
  const airliftSide = async (): Promise<void> => {
    if (ctx.opts.sides.airlift && bigBundle) {
      const bundle = bigBundle;
      const dest = await ctx.fresh();
      row.airlift = await ctx.side(row, 'airlift load', async () => {
        const m = await airliftLoad(ctx.tools, bundle, dest.host, PREFIX);
        await ctx.verify(dest, PREFIX, data.images, 'airlift load');
        return m;
      }, [dest]);
      await ctx.stop(dest);
    }
  };
  const floorSide = async (): Promise<void> => {
    if (ctx.opts.sides.other) {
      // The floor PUTs the bundle's own blob files (extracted before timing); the generated layout when there is no bundle.
      let layoutDir = data.dir;
      let extracted: string | undefined;
      if (bigBundle) {
        extracted = path.join(ctx.tools.work, 'bundle-big-extracted');
        await rm(extracted, { recursive: true, force: true });
        await mkdir(extracted, { recursive: true });
        await measure('tar', ['xf', bigBundle, '-C', extracted]);
        if (existsSync(path.join(extracted, 'blobs', 'sha256'))) layoutDir = extracted;
        else row.notes.push('floor read the generated layout: the bundle has no blobs/sha256 at its root');
      } else row.notes.push('floor read the generated layout (no airlift bundle)');
      const blobs = distinctBlobs(data.images);
      const dest = await ctx.fresh();
      // The blobs once each, then what makes them images (mounts into the other repositories, the
      // manifests): without it the floor left a registry with no image in it, which is less than a load.
      const target = { destUrl: dest.url, prefix: PREFIX };
      const s = await ctx.side(row, 'curl floor (files)', async () => {
        const cpu0 = endedChildrenCpu();
        const t = await timed(async () => {
          await floorLoad(layoutDir, blobs, target);
          await floorImages(layoutDir, data.images, blobs, target);
        });
        const m = { ...t, peakRssMiB: 0, cpuSeconds: endedChildrenCpu() - cpu0 };
        await ctx.verify(dest, PREFIX, data.images, 'curl floor (files)');
        return m;
      }, [dest]);
      if (s) row.floor = { ...s, what: `${blobs.length} blob files PUT once with curl, 8 in parallel; then per image one curl: its mounts and manifests` };
      await ctx.stop(dest);
      if (extracted) await rm(extracted, { recursive: true, force: true });
    }
  };
  // airlift and the floor in turn, in the other order on every other run (--repeat): on this shared
  // machine the load drifts within a run, and a fixed order charged the drift to the side that ran second
  const floorFirst = loadRuns++ % 2 === 1;
  ctx.log(`  (${floorFirst ? 'the floor first' : 'airlift first'})`);
  for (const side of floorFirst ? [floorSide, airliftSide] : [airliftSide, floorSide]) await side();
  const needSave = ctx.peersFor(newRow('x', '', ''), 'load').filter((p) => p.save && !peerBundles.has(p.name));
  if (needSave.length) {
    // Not measured: the peers' own saves, so that this case can run alone.
    const setup = newRow('setup', '', '');
    for (const [k, v] of await savePeers(ctx, 'big', setup)) if (!peerBundles.has(k)) peerBundles.set(k, v);
  }
  for (const peer of ctx.peersFor(row, 'load')) {
    const out = peerBundles.get(peer.name);
    if (!out) {
      row.absent[peer.name] = 'its save failed';
      continue;
    }
    const dest = await ctx.fresh();
    await ctx.peerSide(
      row,
      peer.name,
      () => peer.load!({ t: ctx.tools, images: data.images, name: `big-${peer.name}` }, out, dest.host, PREFIX),
      async () => {
        const bad = await ctx.mismatches(dest, PREFIX, data.images);
        return bad.length ? `${bad.length} of ${data.images.length} images missing or with another digest, e.g. ${bad[0]}` : undefined;
      },
    );
    await ctx.stop(dest);
  }
  for (const out of peerBundles.values()) {
    await rm(out, { recursive: true, force: true });
    await rm(`${out}.x`, { recursive: true, force: true });
  }
  peerBundles.clear();
  judge(row, { beatPeers: true, floorLimit: 1.0, rssLimitMiB: 200 });
  ctx.rows.push(row);
}

/**
 * save-diff-big: one image of the big set changes (bench/big-01 gets a new tag whose two own
 * layers are new, on the shared base), then the new state is saved twice: `save --since` the big
 * bundle, and a full save. Reports the differential's time and size against the full save's.
 */
export async function saveDiffBig(ctx: Ctx): Promise<void> {
  if (!ctx.opts.sides.airlift) return;
  const data = await ctx.data('big');
  const src = await ctx.source('big');
  const row = newRow('save-diff-big', 'save big after one image changed: --since the big bundle', 'smaller and faster than a full save');
  ctx.log(`[save-diff-big] ${row.work}`);
  if (!bigBundle) {
    const file = path.join(ctx.tools.work, 'bundle-big.tar');
    if (await saveAirlift(ctx, 'big', newRow('setup', '', ''), file)) bigBundle = file;
  }
  if (!bigBundle) {
    row.notes.push('no base bundle: airlift save failed');
    ctx.rows.push(row);
    return;
  }
  const base = bigBundle;
  const spec = setDefs(ctx.opts.quick).big.specs().find((s) => s.name === 'bench/big-01')!;
  const changedDir = path.join(ctx.tools.work, 'big-01-changed');
  await rm(changedDir, { recursive: true, force: true });
  const changed = await generateLayout(changedDir, [{ ...spec, tag: `${spec.tag}-changed` }]);
  await seedRegistry(changed.dir, src, changed.images);
  await rm(changedDir, { recursive: true, force: true });
  const images = [...data.images.filter((i) => i.name !== spec.name), ...changed.images];
  const save = (file: string, extra: string[]) => () =>
    measure(...airliftCommand(ctx.tools, ['--plain-http', src.host, 'save', ...images.flatMap((i) => ['--image', `${src.host}/${i.name}:${i.tag}`]), ...extra, '-o', file]), { cwd: ctx.tools.work, env: ctx.tools.env });
  const diffFile = path.join(ctx.tools.work, 'bundle-big-diff.tar');
  const fullFile = path.join(ctx.tools.work, 'bundle-big-changed.tar');
  await rm(diffFile, { force: true });
  await rm(fullFile, { force: true });
  const diff = await ctx.side(row, 'airlift save --since', save(diffFile, ['--since', base]));
  const full = await ctx.side(row, 'airlift save (full)', save(fullFile, []));
  if (diff) row.airlift = diff;
  if (diff && full) {
    const mib = async (f: string): Promise<number> => (await stat(f)).size / MiB;
    const [d, f] = [await mib(diffFile), await mib(fullFile)];
    row.notes.push(`differential ${d.toFixed(1)} MiB in ${diff.seconds.toFixed(2)} s; full save of the same state ${f.toFixed(1)} MiB in ${full.seconds.toFixed(2)} s (${((100 * d) / f).toFixed(1)} % of the bytes, ${(full.seconds / diff.seconds).toFixed(2)}× faster)`);
    row.pass = d < f && diff.seconds < full.seconds;
  }
  await rm(diffFile, { force: true });
  await rm(fullFile, { force: true });
  ctx.rows.push(row);
}

/**
 * Peak RSS must not grow with blob size: airlift sync and save of one image
 * with a single small layer and with a single 1 GiB layer.
 */
export async function rssCheck(ctx: Ctx): Promise<void> {
  if (!ctx.opts.sides.airlift) return;
  const small = await ctx.data('small');
  const huge = await ctx.data('huge');
  const srcSmall = await ctx.source('small');
  const srcHuge = await ctx.source('huge');
  const label = (n: number): string => (n >= 1024 * MiB ? `${(n / 1024 / MiB).toFixed(0)} GiB` : `${(n / MiB).toFixed(0)} MiB`);
  for (const op of ['sync', 'save'] as const) {
    const row = newRow('rss', `RSS: ${op} one ${label(huge.totalBytes)} layer`, `< 200 MiB, ≤ ${label(small.totalBytes)}-layer run + 32 MiB`);
    ctx.log(`[rss] ${row.work}`);
    const runOnce = async (set: typeof small, src: typeof srcSmall): Promise<{ seconds: number; peakRssMiB: number } | undefined> => {
      if (op === 'sync') {
        const dest = await ctx.fresh();
        const s = await ctx.side(row, `airlift sync ${label(set.totalBytes)}`, () => airliftSync(ctx.tools, src.host, set.images, dest.host, PREFIX));
        await ctx.stop(dest);
        return s;
      }
      const file = path.join(ctx.tools.work, `bundle-${set.key}.tar`);
      await rm(file, { force: true });
      const s = await ctx.side(row, `airlift save ${label(set.totalBytes)}`, () => airliftSave(ctx.tools, src.host, set.images, file));
      await rm(file, { force: true });
      return s;
    };
    const base = await runOnce(small, srcSmall);
    const big = await runOnce(huge, srcHuge);
    if (big) row.airlift = big;
    if (base && big) {
      row.notes.push(`${label(small.totalBytes)} layer: peak RSS ${base.peakRssMiB.toFixed(0)} MiB`);
      row.pass = big.peakRssMiB < 200 && big.peakRssMiB <= base.peakRssMiB + 32;
    }
    ctx.rows.push(row);
  }
}
