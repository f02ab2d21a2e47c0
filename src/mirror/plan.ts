/**
 * The mirror plan (pure): which copies save, load and sync make, from where to where. One place
 * decides the destination of each image (mapping, with its collision policy), which images a
 * shard takes, which earlier lock entry each copy may reuse, and refuses two digests for one
 * destination tag, before anything is read from or written to a registry. `--dry-run` prints it.
 */
import { checkPushConflicts, type PlannedPush } from '../bundle/conflicts.js';
import { destinationTag, sourceReference } from '../copy/inputs.js';
import { previousFromLock } from '../lock/build.js';
import type { LockImage } from '../lock/types.js';
import { formatTarget, mapReferences, type MappingMode, type Target } from '../mapping/index.js';
import { formatReference, type Reference } from '../reference/index.js';
import { filterShard, formatShard, type Shard } from '../shard/index.js';

export interface PlanImage {
  ref: Reference;
  /** The full source reference, formatted. */
  formatted: string;
  /** The digest the source holds, when known (a bundle's index entry): the copy then reads by digest. */
  digest?: string;
}

/** A chart travelling as an OCI Helm chart (load, sync): its file name (in the bundle) and its manifest. */
export interface PlanChart {
  file: string;
  /** What reports name as the source (sync: the chart as given); the file by default. */
  source?: string;
  name: string;
  version: string;
  tag: string;
  /** The chart's OCI manifest digest. */
  digest: string;
}

/** Where the copies go: a bundle (each image under its full source reference) or a registry under --to. */
export type PlanTarget = { kind: 'bundle'; name: string } | { kind: 'registry'; target: Target; mapping: MappingMode };

export interface MirrorPlanInput {
  /** Every image of the run, of every shard: collisions are refused across shards too. */
  images: PlanImage[];
  charts?: PlanChart[];
  target: PlanTarget;
  shard?: Shard;
  /** The lock of an earlier run (sync's --lock-out) or of the bundle (load): platforms reused for unchanged images. */
  previous?: readonly LockImage[];
  /** What the plan is of, for conflict messages (the bundle's name). */
  where?: string;
}

export interface PlannedCopy {
  kind: 'image' | 'chart';
  /** The name the copy engine reports: the image reference, or `chart NAME:VERSION`. */
  name: string;
  /** The source as the report and the lock name it: the image reference, or the chart file. */
  source: string;
  /** Where to read: the source registry (images from a registry), repository and tag or digest. */
  from: { registry?: string; repo: string; reference: string };
  /** Where to write at the destination. */
  to: { repo: string; tag: string };
  /** The destination as the report names it. */
  destination: string;
  /** The earlier lock entry's descriptor, when it still describes this copy. */
  previous?: ReturnType<typeof previousFromLock>;
  chart?: PlanChart;
}

export interface MirrorPlan {
  target: PlanTarget;
  copies: PlannedCopy[];
  /** Images in the run before the shard was taken. */
  total: number;
  /** Images in this plan (this shard). */
  images: number;
  shard?: Shard;
}

/** The name an image has inside a bundle: its full source reference, split as the layout addresses it. */
export function bundleName(ref: Reference): { repo: string; tag: string } {
  const repo = `${ref.registry}/${ref.repository}`;
  const { tag, digest } = ref;
  return { repo, tag: tag !== undefined && digest !== undefined ? `${tag}@${digest}` : (tag ?? digest!) };
}

/** The earlier entries by source, each list in the lock's order (one pass: a scan per image was images × entries). */
function bySource(previous: readonly LockImage[]): Map<string, LockImage[]> {
  const out = new Map<string, LockImage[]>();
  for (const e of previous) {
    const list = out.get(e.source);
    if (list) list.push(e);
    else out.set(e.source, [e]);
  }
  return out;
}

/**
 * The earlier entry for one copy: the same source (`entries`, that source's), and then the same
 * digest when the source's digest is known (a bundle), else the same destination (a tag read from a registry).
 */
function previousFor(entries: readonly LockImage[] | undefined, digest: string | undefined, destination: string | undefined): LockImage | undefined {
  let found: LockImage | undefined;
  for (const e of entries ?? []) {
    if (digest !== undefined ? e.digest === digest : e.destination === destination) found = e; // the last one wins
  }
  return found;
}

export function planMirror(input: MirrorPlanInput): MirrorPlan {
  const { target, shard } = input;
  const previous = bySource(input.previous ?? []);
  const copies: PlannedCopy[] = [];
  const images = filterShard(input.images, (i) => i.formatted, shard);
  if (target.kind === 'bundle') {
    for (const img of images) {
      const to = bundleName(img.ref);
      copies.push({
        kind: 'image',
        name: img.formatted,
        source: img.formatted,
        from: { registry: img.ref.registry, repo: img.ref.repository, reference: sourceReference(img.ref) },
        to,
        destination: `${target.name}:${to.repo}:${to.tag}`,
      });
    }
    return { target, copies, total: input.images.length, images: images.length, ...(shard ? { shard } : {}) };
  }

  // Map every image, not only this shard's, so that collisions across shards are still refused.
  const mapped = mapReferences(input.images.map((i) => i.ref), target.target, target.mapping);
  for (const img of images) {
    const d = mapped.get(img.formatted)!;
    const destination = formatReference(d);
    const prev = previousFromLock(previousFor(previous.get(img.formatted), img.digest, destination));
    copies.push({
      kind: 'image',
      name: img.formatted,
      source: img.formatted,
      // from a bundle by digest: its index entry names exactly what was saved
      from: img.digest !== undefined ? { repo: `${img.ref.registry}/${img.ref.repository}`, reference: img.digest } : { registry: img.ref.registry, repo: img.ref.repository, reference: sourceReference(img.ref) },
      to: { repo: d.repository, tag: destinationTag(d) },
      destination,
      ...(prev ? { previous: prev } : {}),
    });
  }

  // Charts go under PREFIX/charts/<name>:<version>, with shard 0; every shard checks them for conflicts.
  const charts = input.charts ?? [];
  const pushes: PlannedPush[] = [];
  for (const img of input.images) if (img.digest !== undefined) pushes.push({ kind: 'image', source: img.formatted, destination: formatReference(mapped.get(img.formatted)!), digest: img.digest });
  for (const c of charts) {
    const repo = [target.target.prefix, 'charts', c.name].filter(Boolean).join('/');
    const destination = `${target.target.host}/${repo}:${c.tag}`;
    pushes.push({ kind: 'chart', source: c.source ?? c.file, destination, digest: c.digest });
    if (shard && shard.index !== 0) continue;
    copies.push({ kind: 'chart', name: `chart ${c.name}:${c.version}`, source: c.source ?? c.file, from: { repo: '', reference: c.digest }, to: { repo, tag: c.tag }, destination, chart: c });
  }
  // Before anything is pushed: two digests for one destination tag is a conflict, not a race to win.
  if (pushes.length) checkPushConflicts(pushes, input.where ?? formatTarget(target.target));
  return { target, copies, total: input.images.length, images: images.length, ...(shard ? { shard } : {}) };
}

/** The shard line of a run's log, when the plan is one shard's. */
export function shardNote(plan: MirrorPlan): string | undefined {
  return plan.shard ? `shard ${formatShard(plan.shard)}: ${plan.images} of ${plan.total} images` : undefined;
}
