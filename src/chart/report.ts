/** Output of `airlift images` (pure): list, table, JSON/YAML document, hosts. */
import { stringify } from 'yaml';
import { formatPath } from './values.js';
import type { ImageFinding, ScanResult } from './types.js';
import { columnWidths } from '../output/table.js';

export interface ImagesDocument {
  images: {
    ref: string;
    registry: string;
    repository: string;
    tag: string | null;
    digest: string | null;
    sources: { chart: string; file: string; path: string; kind: string; where?: string[]; runtime?: boolean; computed?: boolean }[];
  }[];
  errors: { raw: string; error: string; chart: string; file: string; path: string; kind: string }[];
  /** What the scan could not check (templates it could not render, charts whose pods name no image found). */
  warnings: string[];
  /** Dependencies fetched because the charts declare them and do not vendor them (absent when none). */
  dependencies?: { chart: string; name: string; version: string; source: string; digest: string }[];
  /** Dependencies left out with --skip-missing-deps (absent when none); also under warnings. */
  skippedDependencies?: { chart: string; name: string; version?: string; repository: string; reason: string }[];
}

function source(s: ImageFinding): ImagesDocument['images'][number]['sources'][number] {
  const o: ImagesDocument['images'][number]['sources'][number] = { chart: s.chart, file: s.file, path: formatPath(s.path), kind: s.kind };
  if (s.where) o.where = s.where;
  if (s.runtime) o.runtime = true;
  if (s.computed) o.computed = true;
  return o;
}

export function imagesDocument(r: ScanResult): ImagesDocument {
  return {
    images: r.images.map((img) => ({
      ref: img.formatted,
      registry: img.ref.registry,
      repository: img.ref.repository,
      tag: img.ref.tag ?? null,
      digest: img.ref.digest ?? null,
      sources: img.sources.map(source),
    })),
    errors: r.errors.map((e) => ({
      raw: e.raw,
      error: e.error ?? '',
      chart: e.chart,
      file: e.file,
      path: formatPath(e.path),
      kind: e.kind,
    })),
    warnings: r.warnings ?? [],
    ...dependencyFields(r),
  };
}

function dependencyFields(r: ScanResult): Pick<ImagesDocument, 'dependencies' | 'skippedDependencies'> {
  const all = r.dependencies ?? [];
  const resolved = all.flatMap((d) => d.resolved.map((x) => ({ chart: x.parent, name: x.name, version: x.version, source: x.source, digest: x.digest })));
  const skipped = all.flatMap((d) => d.skipped.map((x) => ({ chart: x.parent, name: x.name, ...(x.version ? { version: x.version } : {}), repository: x.repository, reason: x.reason })));
  return { ...(resolved.length ? { dependencies: resolved } : {}), ...(skipped.length ? { skippedDependencies: skipped } : {}) };
}

export function formatList(r: ScanResult): string {
  return r.images.map((i) => `${i.formatted}\n`).join('');
}

export function formatJson(r: ScanResult): string {
  return `${JSON.stringify(imagesDocument(r), null, 2)}\n`;
}

export function formatYaml(r: ScanResult): string {
  return stringify(imagesDocument(r));
}

function sourceLabel(s: ImageFinding): string {
  const where = s.path.length > 0 ? formatPath(s.path) : s.file;
  const notes = [
    s.kind !== 'values' ? s.kind : '',
    s.tagDefaulted ? `tag from ${s.tagDefaulted}` : '',
    s.computed && s.kind === 'values' ? 'as the template renders it' : '',
    s.runtime ? `runtime image: ${s.where?.[0]?.replace(/^.*\s(arg|env)\s/, '$1 ') ?? 'args/env'}` : '',
    s.notRendered ? 'not rendered with these values' : '',
    s.disabled ? 'disabled' : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${s.chart}: ${where}${notes ? ` (${notes})` : ''}`;
}

/** A human table: IMAGE then one SOURCE per line. */
export function formatTable(r: ScanResult): string {
  const rows: [string, string][] = [];
  for (const img of r.images) {
    img.sources.forEach((s, i) => rows.push([i === 0 ? img.formatted : '', sourceLabel(s)]));
  }
  const w = columnWidths(rows, 1, [5])[0]!;
  const lines = [`${'IMAGE'.padEnd(w)}  SOURCE`, ...rows.map(([a, b]) => `${a.padEnd(w)}  ${b}`.trimEnd())];
  return `${lines.join('\n')}\n`;
}

/** One line per warning, for stderr. */
export function formatWarnings(warnings: string[]): string {
  return warnings.map((w) => `warning: ${w}\n`).join('');
}

/** One line per malformed finding, for stderr: chart, file, values path, what was assembled and why it is wrong. */
export function formatErrors(errors: ImageFinding[]): string {
  return errors
    .map((e) => `warning: ${e.chart}: ${e.file}${e.path.length ? ` at ${formatPath(e.path)}` : ''}: ${JSON.stringify(e.raw)}: ${e.error}\n`)
    .join('');
}
