/** What `airlift verify` prints on stdout: a table of images, their status and problems, or the rows as JSON. */
import type { VerifyRow } from './verify-run.js';

export function formatVerifyRows(rows: VerifyRow[], format: 'table' | 'json'): string {
  return format === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : table(rows);
}

function table(rows: VerifyRow[]): string {
  const w = Math.max(5, ...rows.map((r) => r.image.length));
  const sw = Math.max(6, ...rows.map((r) => r.status.length)) + 2;
  const lines = [`${'STATUS'.padEnd(sw)}${'IMAGE'.padEnd(w + 2)}DIGEST`];
  for (const r of rows) {
    lines.push(`${r.status.padEnd(sw)}${r.image.padEnd(w + 2)}${r.digest}`);
    for (const p of r.problems ?? []) lines.push(`${' '.repeat(sw)}${p}`);
  }
  return `${lines.join('\n')}\n`;
}
