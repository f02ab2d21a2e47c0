/**
 * What landed where: the stdout report of load and sync (a table, or JSON
 * with `-o json`), and one error for a run where images failed. Pure.
 */
import { AirliftError, AuthError, NetworkError } from '../errors.js';
import type { CopyResult } from './types.js';
import { alignRows, columnWidths } from '../output/table.js';

export interface ReportRow {
  kind: 'image' | 'chart';
  source: string;
  destination: string;
  digest?: string;
  status: 'copied' | 'skipped' | 'failed';
  platforms?: string[];
  /** What travelled with the image (signatures, attestations, SBOMs), when something did. */
  referrers?: Array<{ subject: string; digest: string; artifactType?: string; tag?: string; status: 'copied' | 'skipped' }>;
  error?: string;
  /** The error's code, for a failed copy. */
  code?: string;
}

export type ReportFormat = 'table' | 'json';

export function rowFor(result: CopyResult, source: string, destination: string): ReportRow {
  const row: ReportRow = { kind: 'image', source, destination, status: result.status };
  if (result.digest) row.digest = result.digest;
  if (result.platforms) row.platforms = result.platforms;
  if (result.referrers?.length) {
    row.referrers = result.referrers.map((r) => ({ subject: r.subject, digest: r.digest, ...(r.artifactType ? { artifactType: r.artifactType } : {}), ...(r.tag ? { tag: r.tag } : {}), status: r.status }));
  }
  if (result.error) {
    row.error = result.error.message;
    row.code = result.error.code;
  }
  return row;
}

export function formatReport(rows: ReportRow[], format: ReportFormat): string {
  if (format === 'json') return `${JSON.stringify(rows, null, 2)}\n`;
  const header = ['STATUS', 'SOURCE', 'DESTINATION', 'DIGEST'];
  const cells = [header, ...rows.map((r) => [r.status, r.source, r.destination, r.digest ?? '-'])];
  return `${alignRows(cells, columnWidths(cells, header.length)).join('\n')}\n`;
}

/** The host whose failure (unreachable, untrusted TLS, credentials missing or refused) failed an image, if that was the cause. */
export function blockingHost(e: AirliftError | undefined): string | undefined {
  if (e instanceof NetworkError) return e.host;
  if (e instanceof AuthError) return e.registry;
  return undefined;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * One error for the failed images and charts of a run (the first one's code), or undefined when
 * none failed. Failures caused by a host (unreachable, untrusted, refusing) are said once per host,
 * with how many images it blocked, instead of once per image.
 */
export function failureError(results: CopyResult[], verb: string): AirliftError | undefined {
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length === 0) return undefined;
  const first = failed[0]!.error ?? new AirliftError('E_INTERNAL', `${failed[0]!.name} failed`);
  const byHost = new Map<string, CopyResult[]>();
  for (const r of failed) {
    const host = blockingHost(r.error);
    if (host !== undefined) byHost.set(host, [...(byHost.get(host) ?? []), r]);
  }
  const collapsed = [...byHost].filter(([, rs]) => rs.length > 1);
  if (failed.length === 1) return first;
  const jobs = (rs: CopyResult[]): string => {
    const images = rs.filter((r) => (r.job.kind ?? 'image') === 'image').length;
    const charts = rs.length - images;
    return [images > 0 ? plural(images, 'image') : '', charts > 0 ? plural(charts, 'chart') : ''].filter(Boolean).join(' and ');
  };
  const lines: string[] = [];
  const hints: string[] = [];
  for (const [host, rs] of collapsed) {
    const e = rs[0]!.error!;
    const own = e.message.startsWith(`${rs[0]!.name}: `) ? e.message.slice(rs[0]!.name.length + 2) : e.message;
    const names = rs.slice(0, 3).map((r) => r.name).join(', ') + (rs.length > 3 ? `, … (${rs.length - 3} more)` : '');
    lines.push(`  ${host} blocked ${jobs(rs)} (${names}): ${own}`);
    if (e.hint && !hints.includes(e.hint)) hints.push(e.hint);
  }
  const alone = failed.filter((r) => !collapsed.some(([, rs]) => rs.includes(r)));
  const shown = alone.slice(0, 10).map((r) => `  ${r.error?.message ?? r.name}`);
  if (alone.length > 10) shown.push(`  … and ${alone.length - 10} more`);
  for (const r of alone.slice(0, 10)) if (r.error?.hint && !hints.includes(r.error.hint) && hints.length === 0) hints.push(r.error.hint);
  if (hints.length === 0 && first.hint) hints.push(first.hint);
  const code = collapsed[0]?.[1][0]!.error!.code ?? first.code;
  const charts = results.filter((r) => r.job.kind === 'chart').length;
  const noun = charts === 0 ? 'images' : charts === results.length ? 'charts' : 'images and charts';
  return new AirliftError(code, `${failed.length} of ${results.length} ${noun} could not be ${verb}:\n${[...lines, ...shown].join('\n')}`, {
    ...(hints.length ? { hint: hints.join('; ') } : {}),
  });
}
