/** The results table (stdout) and its JSON file. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Row } from './context.js';

const f2 = (n: number | undefined): string => (n === undefined ? '—' : n.toFixed(2));

function ratioText(r: Row): string {
  if (r.ratio === undefined) return '—';
  return r.ratioKind === 'speedup' ? `${r.ratio.toFixed(2)}× faster` : `${r.ratio.toFixed(2)}× floor`;
}

export function formatTable(rows: Row[]): string {
  const head = ['work', 'airlift s', 'skopeo/floor s', 'ratio', 'target', 'pass', 'airlift peak RSS'];
  const body = rows.map((r) => [
    r.work,
    f2(r.airlift?.seconds),
    r.other ? `${f2(r.other.seconds)} (${r.other.label})` : '—',
    ratioText(r),
    r.target,
    r.pass === undefined ? '—' : r.pass ? 'PASS' : 'FAIL',
    r.airlift ? `${r.airlift.peakRssMiB.toFixed(0)} MiB` : '—',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)];
  const notes = rows.flatMap((r) => r.notes.map((n) => `- ${r.case}: ${n}`));
  if (notes.length) out.push('', ...notes);
  return out.join('\n') + '\n';
}

export async function writeJson(dir: string, payload: unknown): Promise<string> {
  await mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.join(dir, `bench-${stamp}.json`);
  await writeFile(file, JSON.stringify(payload, null, 2) + '\n');
  return file;
}
