/**
 * What landed where: the stdout report of load and sync (a table, or JSON
 * with `-o json`), and one error for a run where images failed. Pure.
 */
import { AirliftError } from '../errors.js';
import type { CopyResult } from './types.js';

export interface ReportRow {
  kind: 'image' | 'chart';
  source: string;
  destination: string;
  digest?: string;
  status: 'copied' | 'skipped' | 'failed';
  platforms?: string[];
  error?: string;
}

export type ReportFormat = 'table' | 'json';

export function rowFor(result: CopyResult, source: string, destination: string): ReportRow {
  const row: ReportRow = { kind: 'image', source, destination, status: result.status };
  if (result.digest) row.digest = result.digest;
  if (result.platforms) row.platforms = result.platforms;
  if (result.error) row.error = result.error.message;
  return row;
}

function pad(s: string, n: number): string {
  return s + ' '.repeat(Math.max(0, n - s.length));
}

export function formatReport(rows: ReportRow[], format: ReportFormat): string {
  if (format === 'json') return `${JSON.stringify(rows, null, 2)}\n`;
  const header = ['STATUS', 'SOURCE', 'DESTINATION', 'DIGEST'];
  const cells = rows.map((r) => [r.status, r.source, r.destination, r.digest ?? '-']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const lines = [header, ...cells].map((c) => c.map((v, i) => (i === c.length - 1 ? v : pad(v, widths[i]!))).join('  '));
  return `${lines.join('\n')}\n`;
}

/** One error for the failed images of a run (the first one's code), or undefined when none failed. */
export function failureError(results: CopyResult[], verb: string): AirliftError | undefined {
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length === 0) return undefined;
  const first = failed[0]!.error ?? new AirliftError('E_INTERNAL', `${failed[0]!.name} failed`);
  if (failed.length === 1) return first;
  const shown = failed.slice(0, 10).map((r) => `  ${r.error?.message ?? r.name}`);
  if (failed.length > 10) shown.push(`  … and ${failed.length - 10} more`);
  return new AirliftError(first.code, `${failed.length} of ${results.length} images could not be ${verb}:\n${shown.join('\n')}`, {
    ...(first.hint ? { hint: first.hint } : {}),
  });
}
