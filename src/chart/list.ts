/**
 * The `images` use case: scan the charts (or rendered manifests) and say what
 * they need: the report for stdout (a list, table, JSON, YAML, or the hosts
 * to allow), the warnings and malformed references for stderr, and with
 * `strict` the error that ends the run once those are said.
 */
import { InputError } from '../errors.js';
import { formatReference } from '../reference/index.js';
import { connectedHosts } from '../registry/hosts.js';
import { formatErrors, formatJson, formatList, formatTable, formatWarnings, formatYaml } from './report.js';
import { relabelChartPaths } from './remote/fetching.js';
import { scanCharts } from './scan.js';
import type { ScanOptions, ScanResult } from './types.js';

export interface ListImagesInput extends ScanOptions {
  /** Absolute chart paths, or "-" for the rendered manifests in `stdin`. */
  charts: string[];
  /** Fetched charts: temporary path → the reference given, which output and errors name instead. */
  chartLabels?: ReadonlyMap<string, string>;
  stdin?: string;
  /** Only the registry hosts (and the hosts airlift connects to for them). */
  hosts: boolean;
  format: 'table' | 'list' | 'json' | 'yaml';
  strict: boolean;
}

export interface ListImagesReport {
  result: ScanResult;
  /** For stdout. */
  output: string;
  /** For stderr, after the output: the warnings, then the malformed references (empty when none). */
  warnings: string;
  errors: string;
  /** Images set in values that the rendered templates do not use, left out (without --all-values). */
  leftOut: number;
  /** With `strict`: why the run fails, once everything above is said. */
  error?: InputError;
}

export async function listImages(input: ListImagesInput, deps: { signal?: AbortSignal } = {}): Promise<ListImagesReport> {
  const { charts, chartLabels, stdin, hosts: hostsOnly, format, strict, ...scan } = input;
  const named = (text: string): string => relabelChartPaths(text, chartLabels);
  let result: ScanResult;
  try {
    // (nothing here reads the loaded charts or their merged values: each goes once it is scanned)
    result = await scanCharts(charts, { ...scan, keepCharts: false, ...(stdin !== undefined ? { stdin } : {}), ...(deps.signal ? { signal: deps.signal } : {}) });
  } catch (err) {
    if (err instanceof Error && chartLabels?.size) err.message = named(err.message);
    throw err;
  }
  let output: string;
  if (hostsOnly) {
    // the registries the images name, and the hosts airlift connects to for them (Docker Hub: registry-1.docker.io, ...)
    const hosts = new Set<string>();
    for (const i of result.images) for (const h of [i.ref.registry, ...connectedHosts(i.ref.registry)]) hosts.add(h);
    output = [...hosts].sort().map((h) => `${h}\n`).join('');
  } else if (format === 'list') output = formatList(result);
  else if (format === 'table') output = formatTable(result);
  else if (format === 'json') output = formatJson(result);
  else output = formatYaml(result);
  let leftOut = 0;
  if (!scan.allValues) {
    const listed = new Set(result.images.map((i) => i.formatted));
    leftOut = new Set(result.findings.filter((f) => f.notRendered && f.ref).map((f) => formatReference(f.ref!)).filter((r) => !listed.has(r))).size;
  }
  let error: InputError | undefined;
  if (strict && result.errors.length > 0) {
    error = new InputError(`${result.errors.length} image reference(s) could not be assembled`, {
      hint: 'set the missing fields with -f or --set at the values paths shown above, or drop --strict',
    });
  } else if (strict && result.warnings.length > 0) {
    error = new InputError(`${result.warnings.length} warning(s): the image list could not be checked against the rendered templates`, {
      hint: 'see the warnings above; list missing images with --image in save/sync, or drop --strict',
    });
  }
  return {
    result,
    output: named(output),
    warnings: result.warnings.length > 0 ? named(formatWarnings(result.warnings)) : '',
    errors: result.errors.length > 0 ? named(formatErrors(result.errors)) : '',
    leftOut,
    ...(error ? { error } : {}),
  };
}
