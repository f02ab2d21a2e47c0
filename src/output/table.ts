/**
 * Text tables with a row per image (save's and sync's report, `--dry-run`'s plan, relocate's
 * tables, the scan's): column widths and padding by loops, never `Math.max(...rows)` or
 * `push(...rows)`, whose arguments go on the call stack and overflow it at about 100,000 rows.
 */

/** The widest cell of each of the first `columns` columns (at least `min[c]`; a missing cell counts as empty). */
export function columnWidths(rows: readonly (readonly (string | undefined)[])[], columns: number, min: readonly number[] = []): number[] {
  const widths = Array.from({ length: columns }, (_, c) => min[c] ?? 0);
  for (const row of rows) {
    for (let c = 0; c < columns; c++) {
      const n = row[c]?.length ?? 0;
      if (n > widths[c]!) widths[c] = n;
    }
  }
  return widths;
}

/** Rows as lines: every cell but the last padded to its column's width, two spaces apart. */
export function alignRows(rows: readonly (readonly string[])[], widths: readonly number[]): string[] {
  const lines: string[] = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    lines[i] = row.map((v, c) => (c === row.length - 1 ? v : v.padEnd(widths[c] ?? 0))).join('  ');
  }
  return lines;
}

/** Appends `items` to `to` one by one (push(...items) overflows the call stack on long arrays). */
export function appendAll<T>(to: T[], items: Iterable<T>): T[] {
  for (const item of items) to.push(item);
  return to;
}
