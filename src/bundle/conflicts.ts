/**
 * Conflicts inside a bundle, found before anything is pushed: two things
 * (images, or an image and a chart) that would land on one destination tag
 * with different digests. One reference named twice in index.json with two
 * digests, or an image mapped onto the chart's own `PREFIX/charts/<name>:<version>`,
 * would otherwise overwrite each other in whatever order the pushes finish. Pure.
 */
import { ConflictError } from '../errors.js';

export interface PlannedPush {
  kind: 'image' | 'chart';
  /** The image reference or the chart file in the bundle. */
  source: string;
  /** HOST/REPOSITORY:TAG (or @DIGEST) at the destination. */
  destination: string;
  digest: string;
}

/**
 * Throws ConflictError naming every destination that two different digests
 * would be pushed to. The same digest twice at one destination is no
 * conflict (it is pushed once).
 */
export function checkPushConflicts(pushes: PlannedPush[], where: string): void {
  const byDest = new Map<string, PlannedPush[]>();
  for (const p of pushes) {
    const list = byDest.get(p.destination);
    if (!list) byDest.set(p.destination, [p]);
    else if (!list.some((q) => q.digest === p.digest && q.kind === p.kind)) list.push(p);
  }
  const lines: string[] = [];
  let chart = false;
  for (const [dest, list] of byDest) {
    if (list.length < 2) continue;
    if (list.some((p) => p.kind === 'chart')) chart = true;
    lines.push(`${dest} ← ${list.map((p) => `${p.kind} ${p.source} (${p.digest})`).join(' and ')}`);
  }
  if (lines.length === 0) return;
  throw new ConflictError(`${where}: ${lines.length === 1 ? 'two different things would be pushed to one destination' : 'different things would be pushed to the same destinations'}: ${lines.join('; ')}; nothing was pushed`, {
    hint: chart
      ? 'an image would overwrite a chart (charts go to PREFIX/charts/<name>:<version>); load the image with another --to prefix or another --mapping'
      : 'the bundle names one reference for two images; recreate it with airlift save, or load with another --mapping',
  });
}

/** The image entries of a bundle once each: the same reference with the same digest listed twice is one image. */
export function dedupeByReference<T extends { formatted: string; descriptor: { digest: string } }>(images: T[]): T[] {
  const seen = new Set<string>();
  return images.filter((i) => {
    const key = `${i.formatted}\0${i.descriptor.digest}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
