/**
 * Charts travelling to a registry as OCI Helm charts (load and sync): the packaged bytes of each
 * chart, served by one in-memory HelmChartSource, and the plan's view of them (file, name,
 * version, tag, manifest digest), each chart once.
 */
import { readFile } from 'node:fs/promises';
import { addToPackagedChart, chartFileName, chartMetadata, packageChartDir } from '../bundle/charts.js';
import type { DependencyResult } from '../chart/deps/resolve.js';
import type { LockChart } from '../lock/types.js';
import { HelmChartSource } from '../bundle/helm-oci.js';
import { sha256 } from '../digest/index.js';
import type { PlanChart } from './plan.js';

/** A chart on disk as the scan found it: a directory (packaged on the way) or a `.tgz` (taken as it is). */
export interface DiskChart {
  name: string;
  version: string;
  path: string;
  packaged: boolean;
  /** The dependencies the scan fetched for it (and those it skipped). */
  dependencies?: DependencyResult;
}

/**
 * The bytes a chart travels as: a `.tgz` as it is, a directory packaged as `save` packages it
 * (the same files, the same bytes); with the dependencies the scan fetched added under charts/
 * (`charts/<name>-<version>.tgz`, as helm dependency build puts them), so it installs offline.
 */
export async function chartBytes(ch: DiskChart): Promise<Buffer> {
  const extra = (ch.dependencies?.resolved ?? []).map((d) => ({ path: `charts/${d.name}-${d.version}.tgz`, data: d.tgz }));
  if (ch.packaged) {
    const tgz = await readFile(ch.path);
    return extra.length ? addToPackagedChart(tgz, ch.path, extra) : tgz;
  }
  return packageChartDir(ch.path, ch.name, extra);
}

/** What a lock says of a chart's dependencies: each fetched one (name, version, source, sha256) and each skipped one. */
export function lockDependencies(ch: DiskChart): Pick<LockChart, 'dependencies' | 'skippedDependencies'> {
  const resolved = ch.dependencies?.resolved ?? [];
  const skipped = ch.dependencies?.skipped ?? [];
  return {
    ...(resolved.length ? { dependencies: resolved.map((d) => ({ name: d.name, version: d.version, source: d.source, digest: d.digest })) } : {}),
    ...(skipped.length ? { skippedDependencies: skipped.map((d) => ({ name: d.name, ...(d.version ? { version: d.version } : {}), repository: d.repository, reason: d.reason })) } : {}),
  };
}

export interface HelmCharts {
  source: HelmChartSource;
  charts: PlanChart[];
  /** sha256 of each chart's `.tgz`, by its file name (`charts/<name>-<version>.tgz`), for the lock. */
  digests: Map<string, string>;
}

/** One packaged chart: its file name (`charts/<name>-<version>.tgz`), the name reports give its source, and its bytes. */
export interface ChartFile {
  file: string;
  /** What the report names as the source (the chart as the user gave it); the file by default. */
  source?: string;
  /** How errors name it (`bundle.tar: charts/app-1.0.0.tgz`); the source by default. */
  label?: string;
  tgz: Buffer;
}

/** The charts as OCI Helm charts; the same bytes named twice travel once. */
export async function helmCharts(files: ChartFile[], description: string): Promise<HelmCharts> {
  const source = new HelmChartSource(description);
  const charts: PlanChart[] = [];
  const digests = new Map<string, string>();
  const seen = new Set<string>();
  for (const f of files) {
    const digest = sha256(f.tgz);
    if (seen.has(`${f.file}\0${digest}`)) continue;
    seen.add(`${f.file}\0${digest}`);
    const art = source.add(f.tgz, await chartMetadata(f.tgz, f.label ?? f.source ?? f.file));
    charts.push({ file: f.file, ...(f.source !== undefined ? { source: f.source } : {}), name: art.name, version: art.version, tag: art.tag, digest: art.manifest.digest });
    if (!digests.has(f.file)) digests.set(f.file, digest);
  }
  return { source, charts, digests };
}

/** Charts on disk as files to push: each packaged, named `charts/<name>-<version>.tgz` after its Chart.yaml. */
export async function diskChartFiles(charts: readonly DiskChart[]): Promise<ChartFile[]> {
  const out: ChartFile[] = [];
  for (const ch of charts) out.push({ file: chartFileName(ch.name, ch.version), source: ch.path, tgz: await chartBytes(ch) });
  return out;
}
