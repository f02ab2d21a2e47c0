/**
 * Charts in a lock diff (pure): charts added, removed and changed between two
 * locks. Charts are matched by name; a lock holding several versions of one
 * chart name matches those by name and version instead.
 */
import { matchEntries } from './diff-match.js';
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

function compareCharts(a: LockChart, b: LockChart): number {
  const ka = `${a.name}\0${a.version}`;
  const kb = `${b.name}\0${b.version}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export function diffCharts(oldLock: Lock, newLock: Lock): ChartDiff {
  const { added, removed, changed } = matchEntries(
    oldLock.charts,
    newLock.charts,
    (ch) => ch.name,
    (ch) => ch.version,
    (prev, ch): ChangedChart | undefined => {
      const destChanged = (prev.destination ?? '') !== (ch.destination ?? '');
      // A digest missing on either side (older or hand-written locks) is not a change by itself.
      const digestChanged = prev.digest !== undefined && ch.digest !== undefined && prev.digest !== ch.digest;
      if (prev.version === ch.version && !digestChanged && !destChanged) return undefined;
      return {
        name: ch.name,
        from: { version: prev.version, ...(prev.digest ? { digest: prev.digest } : {}) },
        to: { version: ch.version, ...(ch.digest ? { digest: ch.digest } : {}) },
        ...(destChanged ? { destination: { from: prev.destination, to: ch.destination } } : {}),
      };
    },
  );
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
