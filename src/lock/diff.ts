/**
 * What changed between two locks (pure), for reviewing a sync: images added,
 * removed, and changed (same source, another digest or another destination).
 *
 * Images are matched by source. A lock that records one source at several
 * destinations (merged from runs with different targets) matches those entries
 * by source and destination instead.
 */
import { diffCharts, formatChartDiffLines, type ChartDiff } from './diff-charts.js';
import { matchEntries } from './diff-match.js';
import type { Lock, LockImage } from './types.js';
import { compareImages } from './validate.js';

export interface ChangedImage {
  source: string;
  /** Digest in the old lock. */
  from: string;
  /** Digest in the new lock. */
  to: string;
  /** Set when the destination differs. */
  destination?: { from?: string; to?: string };
  /** Set when what travels with the image differs: attachments (`TAG@DIGEST` for cosign tags, else the digest) added and removed. */
  referrers?: { added: string[]; removed: string[] };
}

export interface LockDiff {
  added: LockImage[];
  removed: LockImage[];
  changed: ChangedImage[];
  /** Charts added, removed and changed (matched by name). */
  charts: ChartDiff;
}

export function diffLocks(oldLock: Lock, newLock: Lock): LockDiff {
  const { added, removed, changed } = matchEntries(
    oldLock.images,
    newLock.images,
    (img) => img.source,
    (img) => img.destination ?? '',
    (prev, img): ChangedImage | undefined => {
      const destChanged = (prev.destination ?? '') !== (img.destination ?? '');
      const refs = referrerChanges(prev, img);
      if (prev.digest === img.digest && !destChanged && !refs) return undefined;
      return {
        source: img.source,
        from: prev.digest,
        to: img.digest,
        ...(destChanged ? { destination: { from: prev.destination, to: img.destination } } : {}),
        ...(refs ? { referrers: refs } : {}),
      };
    },
  );
  added.sort(compareImages);
  removed.sort(compareImages);
  changed.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  return { added, removed, changed, charts: diffCharts(oldLock, newLock) };
}

function referrerChanges(prev: LockImage, next: LockImage): { added: string[]; removed: string[] } | undefined {
  const names = (img: LockImage): Set<string> => new Set((img.referrers ?? []).map((r) => (r.tag ? `${r.tag}@${r.digest}` : r.digest)));
  const a = names(prev);
  const b = names(next);
  const added = [...b].filter((x) => !a.has(x)).sort();
  const removed = [...a].filter((x) => !b.has(x)).sort();
  return added.length || removed.length ? { added, removed } : undefined;
}

export function isEmptyDiff(d: LockDiff): boolean {
  const c = d.charts;
  return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0 && c.added.length === 0 && c.removed.length === 0 && c.changed.length === 0;
}

function shortDigest(d: string): string {
  const i = d.indexOf(':');
  return i < 0 ? d : d.slice(0, i + 13);
}

/** Text form: "+ source digest", "- source digest", "~ source old → new", one line each; then the charts ("+ chart NAME VERSION", ...). */
export function formatDiffText(d: LockDiff): string {
  const lines: string[] = [];
  for (const img of d.added) lines.push(`+ ${img.source} ${img.digest}${img.destination ? ` → ${img.destination}` : ''}`);
  for (const img of d.removed) lines.push(`- ${img.source} ${img.digest}${img.destination ? ` (was at ${img.destination})` : ''}`);
  for (const c of d.changed) {
    let line = `~ ${c.source} ${c.from === c.to ? shortDigest(c.from) : `${c.from} → ${c.to}`}`;
    if (c.destination) line += ` (destination ${c.destination.from ?? 'none'} → ${c.destination.to ?? 'none'})`;
    if (c.referrers) line += ` (attachments ${[...c.referrers.added.map((x) => `+${x}`), ...c.referrers.removed.map((x) => `-${x}`)].join(' ')})`;
    lines.push(line);
  }
  lines.push(...formatChartDiffLines(d.charts));
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** One line saying how two locks differ, and its counts (for the log). */
export function diffSummary(d: LockDiff, oldFile: string, newFile: string): { message: string; fields: Record<string, unknown> } {
  const message = isEmptyDiff(d)
    ? `no differences between ${oldFile} and ${newFile}`
    : `${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed` +
      `; charts: ${d.charts.added.length} added, ${d.charts.removed.length} removed, ${d.charts.changed.length} changed`;
  const fields = {
    added: d.added.length,
    removed: d.removed.length,
    changed: d.changed.length,
    charts: { added: d.charts.added.length, removed: d.charts.removed.length, changed: d.charts.changed.length },
  };
  return { message, fields };
}
