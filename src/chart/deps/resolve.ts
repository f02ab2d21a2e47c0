/**
 * Resolving a chart's missing dependencies (the I/O of `helm dependency build`): each one planned
 * by plan.ts is fetched (`https://`, `oci://`, `@name` / `alias:name` through the run's chart
 * fetcher, src/chart/remote) or read (`file://`, relative to the chart directory: a chart
 * directory, packaged as `save` packages one, or a `.tgz`), and added to the loaded chart as
 * `charts/<name>-<version>.tgz` would be: the scan then applies conditions, tags and aliases to it
 * as to a vendored subchart. A dependency that cannot be had is an error naming the chart, the
 * dependency and what was tried; with `skipMissing` it is returned as skipped instead.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { chartMetadata, packageChartDir } from '../../bundle/charts.js';
import { sha256 } from '../../digest/index.js';
import { AirliftError, InputError, NotFoundError, toAirliftError } from '../../errors.js';
import { loadChart, loadChartArchive, type LoadedChart } from '../load.js';
import type { ChartFetcher } from '../remote/types.js';
import { chooseVersion } from '../remote/version.js';
import { lockOutOfSync, missingDependencies, type WantedDependency } from './plan.js';

export interface DependencyOptions {
  /** Fetches `https://`, `oci://` and named-repository dependencies; without it only `file://` ones resolve. */
  fetcher?: ChartFetcher;
  /** A dependency that cannot be had is skipped (and returned) instead of an error. */
  skipMissing?: boolean;
  /** `@name` → URL from repositories.yaml, for Chart.lock's digest check (helm hashes the URL). */
  repositoryUrl?: (name: string) => Promise<string | undefined>;
}

/** A dependency fetched or read and added to its chart. */
export interface ResolvedDependency {
  /** The chart that declares it. */
  parent: string;
  name: string;
  version: string;
  aliases: string[];
  /** The repository as Chart.yaml or Chart.lock writes it. */
  repository: string;
  /** Where the bytes came from: the chart URL, `oci://HOST/PATH/NAME:VERSION`, or the file:// path. */
  source: string;
  /** sha256 of the packaged chart. */
  digest: string;
  /** The packaged chart, as it goes into the parent's charts/. */
  tgz: Buffer;
  from: 'Chart.lock' | 'Chart.yaml';
}

/** A dependency that could not be had, with --skip-missing-deps. */
export interface SkippedDependency {
  parent: string;
  name: string;
  version?: string;
  repository: string;
  reason: string;
}

export interface DependencyResult {
  resolved: ResolvedDependency[];
  skipped: SkippedDependency[];
}

function describeDep(chart: LoadedChart, d: WantedDependency): string {
  const version = d.version ? ` ${d.version}${d.from === 'Chart.lock' ? ' (Chart.lock)' : ''}` : '';
  return `${chart.name}: dependency ${d.name}${version}${d.repository ? ` from ${d.repository}` : ''}`;
}

/** A file:// dependency: a chart directory or a .tgz, relative to the chart directory. */
async function readLocal(chart: LoadedChart, d: WantedDependency): Promise<{ tgz: Buffer; source: string; version: string }> {
  if (chart.packaged) {
    throw new InputError(`${describeDep(chart, d)}: a packaged chart carries its file:// dependencies under charts/, and ${chart.path} does not`, {
      hint: 'package the chart with its dependencies (helm dependency build, then helm package), or give the chart directory',
    });
  }
  const rel = d.repository.replace(/^file:\/\//i, '');
  const where = path.resolve(chart.path, rel);
  const st = await stat(where).catch(() => undefined);
  if (!st) throw new NotFoundError(`${describeDep(chart, d)}: ${where} does not exist`, { hint: `file:// paths are relative to the chart directory ${chart.path}` });
  let tgz: Buffer;
  let name: string;
  let version: string;
  if (st.isDirectory()) {
    const loaded = await loadChart(where);
    name = loaded.name;
    version = loaded.version;
    tgz = await packageChartDir(where, loaded.name);
  } else {
    tgz = await readFile(where);
    const meta = await chartMetadata(tgz, where);
    name = String(meta.name);
    version = String(meta.version);
  }
  if (name !== d.name) throw new InputError(`${describeDep(chart, d)}: ${where} holds chart ${name}, not ${d.name}`, { hint: 'point file:// at the dependency chart, or fix its name in Chart.yaml' });
  if (d.version && !admits(chart, d, d.version, version)) {
    throw new InputError(`${describeDep(chart, d)}: ${where} is version ${version}, which ${d.version} does not admit`, { hint: 'fix the version in Chart.yaml (or Chart.lock: helm dependency update)' });
  }
  return { tgz, source: `file://${where}`, version };
}

/** Whether Chart.yaml's version constraint of a dependency admits a version; a constraint helm would not take is an input error naming both. */
function admits(chart: LoadedChart, d: WantedDependency, constraint: string, version: string): boolean {
  try {
    return chooseVersion([version], constraint).chosen !== undefined;
  } catch (err) {
    throw new InputError(`${describeDep(chart, d)}: version ${JSON.stringify(constraint)} in Chart.yaml: ${toAirliftError(err).message}`, {
      hint: 'give an exact version (1.2.3) or a range as helm takes it (1.2.x, ^1.2, >=1.2, <2)',
    });
  }
}

async function obtain(chart: LoadedChart, d: WantedDependency, o: DependencyOptions): Promise<{ tgz: Buffer; source: string; version: string }> {
  if (d.kind === 'none') {
    throw new InputError(`${describeDep(chart, d)}: it has no repository and is not under charts/`, { hint: 'vendor it under charts/, or give its repository in Chart.yaml' });
  }
  if (d.kind === 'file') return readLocal(chart, d);
  if (!o.fetcher) throw new InputError(`${describeDep(chart, d)}: charts are not fetched in this run`, { hint: 'vendor it under charts/ (helm dependency build)' });
  const got = await o.fetcher.fetch({ repository: d.repository, chart: d.name, ...(d.version ? { version: d.version } : {}) });
  if (got.name !== d.name) throw new InputError(`${describeDep(chart, d)}: ${got.source} holds chart ${got.name}`, { hint: 'check the dependency name and repository in Chart.yaml' });
  return { tgz: got.tgz, source: got.source, version: got.version };
}

/** The error for a dependency that failed: its own code, the chart and the dependency named, what was tried. */
function dependencyError(chart: LoadedChart, d: WantedDependency, err: unknown): AirliftError {
  const e = toAirliftError(err);
  const prefix = describeDep(chart, d);
  if (e.message.startsWith(prefix)) return e;
  const copy = Object.create(Object.getPrototypeOf(e) as object) as AirliftError;
  Object.defineProperties(copy, Object.getOwnPropertyDescriptors(e));
  Object.defineProperty(copy, 'message', { value: `${prefix} cannot be fetched: ${e.message}`, enumerable: false, writable: true, configurable: true });
  const more = 'or vendor it under charts/; --skip-missing-deps goes on without it (a warning)';
  Object.defineProperty(copy, 'hint', { value: e.hint ? `${e.hint}; ${more}` : more, enumerable: true, writable: false, configurable: true });
  return copy;
}

/**
 * Resolves the missing dependencies of a top-level chart (as `helm dependency build` does, one
 * level: a fetched chart carries its own) and adds them to `chart.subcharts`.
 */
export async function resolveDependencies(chart: LoadedChart, o: DependencyOptions): Promise<DependencyResult> {
  const wanted = missingDependencies(chart);
  const result: DependencyResult = { resolved: [], skipped: [] };
  if (wanted.length === 0) return result;
  if (chart.lock && wanted.some((d) => d.from === 'Chart.lock')) {
    const names = new Map<string, string | undefined>();
    for (const d of chart.dependencies) {
      const m = /^(?:@|alias:)(.+)$/.exec(d.repository ?? '');
      if (m && !names.has(m[1]!)) names.set(m[1]!, await o.repositoryUrl?.(m[1]!));
    }
    const sum = lockOutOfSync(chart, (n) => names.get(n));
    if (sum !== undefined) {
      throw new InputError(`${chart.lock.file} is out of sync with the dependencies in ${chart.chartFile} (its digest is ${chart.lock.digest}, helm's digest of them is ${sum})`, {
        hint: 'run helm dependency update to write Chart.lock again (helm dependency build refuses it too)',
      });
    }
  }
  for (const d of wanted) {
    let got: { tgz: Buffer; source: string; version: string };
    try {
      got = await obtain(chart, d, o);
    } catch (err) {
      const e = dependencyError(chart, d, err);
      if (!o.skipMissing || e.code === 'E_INTERRUPTED') throw e;
      result.skipped.push({ parent: chart.name, name: d.name, ...(d.version ? { version: d.version } : {}), repository: d.repository, reason: e.message });
      continue;
    }
    const label = `${chart.path}${chart.packaged ? '!/' : '/'}charts/${d.name}-${got.version}.tgz (${got.source})`;
    chart.subcharts.push(await loadChartArchive(got.tgz, label, 1));
    result.resolved.push({ parent: chart.name, name: d.name, version: got.version, aliases: d.aliases, repository: d.repository, source: got.source, digest: sha256(got.tgz), tgz: got.tgz, from: d.from });
  }
  return result;
}
