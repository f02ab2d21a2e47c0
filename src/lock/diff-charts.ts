/**
 * Charts in a lock diff (pure): charts added, removed and changed between two
 * locks. Charts are matched by name; a lock holding several versions of one
 * chart name matches those by name and version instead.
 */
import type { Lock, LockChart } from './types.js';

export interface ChangedChart {
  name: string;
  /** Version and digest in the old lock. */
  from: { version: string; digest?: string };
  /** Version and digest in the new lock. */
  to: { version: string; digest?: string };
  /** Set when the destination differs. */
  destination?: { from?: string; to?: string };
}

export interface ChartDiff {
  added: LockChart[];
  removed: LockChart[];
  changed: ChangedChart[];
}

function duplicatedNames(lock: Lock): Set<string> {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const ch of lock.charts) (seen.has(ch.name) ? dup : seen).add(ch.name);
  return dup;
}

function compareCharts(a: LockChart, b: LockChart): number {
  const ka = `${a.name}\0${a.version}`;
  const kb = `${b.name}\0${b.version}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export function diffCharts(oldLock: Lock, newLock: Lock): ChartDiff {
  const dup = new Set([...duplicatedNames(oldLock), ...duplicatedNames(newLock)]);
  const key = (ch: LockChart): string => (dup.has(ch.name) ? `${ch.name}\u0000${ch.version}` : ch.name);
  const before = new Map(oldLock.charts.map((ch) => [key(ch), ch]));
  const after = new Map(newLock.charts.map((ch) => [key(ch), ch]));
  const added: LockChart[] = [];
  const removed: LockChart[] = [];
  const changed: ChangedChart[] = [];
  for (const [k, ch] of after) {
    const prev = before.get(k);
    if (!prev) {
      added.push(ch);
      continue;
    }
    const destChanged = (prev.destination ?? '') !== (ch.destination ?? '');
    // A digest missing on either side (older or hand-written locks) is not a change by itself.
    const digestChanged = prev.digest !== undefined && ch.digest !== undefined && prev.digest !== ch.digest;
    if (prev.version !== ch.version || digestChanged || destChanged) {
      changed.push({
        name: ch.name,
        from: { version: prev.version, ...(prev.digest ? { digest: prev.digest } : {}) },
        to: { version: ch.version, ...(ch.digest ? { digest: ch.digest } : {}) },
        ...(destChanged ? { destination: { from: prev.destination, to: ch.destination } } : {}),
      });
    }
  }
  for (const [k, ch] of before) if (!after.has(k)) removed.push(ch);
  added.sort(compareCharts);
  removed.sort(compareCharts);
  changed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { added, removed, changed };
}

/** Text lines: "+ chart NAME VERSION", "- chart NAME VERSION", "~ chart NAME OLD → NEW". */
export function formatChartDiffLines(d: ChartDiff): string[] {
  const lines: string[] = [];
  for (const ch of d.added) lines.push(`+ chart ${ch.name} ${ch.version}${ch.digest ? ` ${ch.digest}` : ''}${ch.destination ? ` → ${ch.destination}` : ''}`);
  for (const ch of d.removed) lines.push(`- chart ${ch.name} ${ch.version}${ch.digest ? ` ${ch.digest}` : ''}${ch.destination ? ` (was at ${ch.destination})` : ''}`);
  for (const c of d.changed) {
    const side = (s: { version: string; digest?: string }): string => `${s.version}${s.digest ? ` ${s.digest}` : ''}`;
    let line = `~ chart ${c.name} ${side(c.from) === side(c.to) ? c.to.version : `${side(c.from)} → ${side(c.to)}`}`;
    if (c.destination) line += ` (destination ${c.destination.from ?? 'none'} → ${c.destination.to ?? 'none'})`;
    lines.push(line);
  }
  return lines;
}
