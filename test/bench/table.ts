/** The results table (stdout) and its JSON file. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { floorRatio, type Row } from './context.js';

const f2 = (n: number | undefined): string => (n === undefined ? '—' : n.toFixed(2));

/**
 * One column per peer: its time and how many times slower than airlift it was (> 1 means
 * airlift is faster); "n/a" when it did not run this case (the reason is in the notes).
 */
export function formatTable(rows: Row[], peerNames: readonly string[]): string {
  const head = ['work', 'airlift s', 'floor s', 'airlift/floor', ...peerNames.map((p) => `${p} s`), 'target', 'pass', 'airlift peak RSS'];
  const body = rows.map((r) => {
    const a = r.airlift?.seconds;
    const fr = floorRatio(r);
    return [
      r.work,
      f2(a),
      f2(r.floor?.seconds),
      fr === undefined ? '—' : `${fr.toFixed(2)}×`,
      ...peerNames.map((p) => {
        const s = r.peers[p];
        if (!s) return r.absent[p] !== undefined ? 'n/a' : '—';
        return a ? `${s.seconds.toFixed(2)} (${(s.seconds / a).toFixed(2)}×)` : s.seconds.toFixed(2);
      }),
      r.target,
      r.pass === undefined ? '—' : r.pass ? 'PASS' : 'FAIL',
      r.airlift ? `${r.airlift.peakRssMiB.toFixed(0)} MiB` : '—',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)];
  out.push('', 'peer columns: seconds (peer ÷ airlift: above 1× airlift was faster); n/a: the peer did not run the case (why below).');
  const notes = rows.flatMap((r) => [
    ...(r.floor ? [`- ${r.case}: floor: ${r.floor.what}`] : []),
    ...Object.entries(r.absent).map(([p, why]) => `- ${r.case}: ${p} n/a: ${why}`),
    ...r.notes.map((n) => `- ${r.case}: ${n}`),
  ]);
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
