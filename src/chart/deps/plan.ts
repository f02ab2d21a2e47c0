/**
 * Which dependencies of a chart need fetching, and at which version, as `helm dependency build`
 * decides (pure): a dependency declared in Chart.yaml with no chart of its name under charts/ is
 * missing; Chart.lock, when present, gives its exact version (and its digest must match what
 * Chart.yaml declares), else Chart.yaml's version (a range) is asked. Aliases of one chart share
 * one fetch: the scan instantiates the one chart under each alias.
 */
import type { LoadedChart } from '../load.js';
import { lockDigest } from './lock-digest.js';

export type DependencySourceKind = 'file' | 'oci' | 'http' | 'named' | 'none';

export interface WantedDependency {
  /** The chart name (what the fetch asks for, and what the subchart must be called). */
  name: string;
  /** The aliases it is used under (none: its name). */
  aliases: string[];
  /** The repository as Chart.yaml (or Chart.lock) writes it. */
  repository: string;
  kind: DependencySourceKind;
  /** The exact version from Chart.lock, or Chart.yaml's version (a range, or undefined: newest). */
  version?: string;
  /** Where the version came from. */
  from: 'Chart.lock' | 'Chart.yaml';
}

export function repositoryKind(repository: string): DependencySourceKind {
  const r = repository.trim();
  if (r === '') return 'none';
  if (/^file:\/\//i.test(r)) return 'file';
  if (/^oci:\/\//i.test(r)) return 'oci';
  if (/^https?:\/\//i.test(r)) return 'http';
  return 'named';
}

/** The dependencies of `chart` that are not vendored under charts/, each once by chart name. */
export function missingDependencies(chart: Pick<LoadedChart, 'dependencies' | 'subcharts' | 'lock'>): WantedDependency[] {
  const vendored = new Set(chart.subcharts.map((s) => s.name));
  const out = new Map<string, WantedDependency>();
  for (const dep of chart.dependencies) {
    if (vendored.has(dep.name)) continue;
    const have = out.get(dep.name);
    if (have) {
      if (dep.alias) have.aliases.push(dep.alias);
      continue;
    }
    const locked = chart.lock?.dependencies.find((l) => l.name === dep.name);
    const repository = locked?.repository || dep.repository || '';
    out.set(dep.name, {
      name: dep.name,
      aliases: dep.alias ? [dep.alias] : [],
      repository,
      kind: repositoryKind(repository),
      ...(locked?.version ? { version: locked.version } : dep.version ? { version: dep.version } : {}),
      from: locked?.version ? 'Chart.lock' : 'Chart.yaml',
    });
  }
  return [...out.values()];
}

/**
 * Whether Chart.lock is in step with Chart.yaml, by helm's digest: undefined when it is (or there
 * is no lock, or no digest to compare), else the digest helm would compute. `urlOf` turns a
 * `@name` / `alias:name` repository into the URL repositories.yaml gives it (helm hashes the URL);
 * undefined when the name is unknown (the fetch then says so).
 */
export function lockOutOfSync(chart: Pick<LoadedChart, 'metadata' | 'lock'>, urlOf: (name: string) => string | undefined): string | undefined {
  const lock = chart.lock;
  if (!lock?.digest) return undefined;
  const declared = Array.isArray(chart.metadata.dependencies) ? (chart.metadata.dependencies as unknown[]) : chart.metadata.dependencies;
  const req = Array.isArray(declared)
    ? declared.map((d) => {
        if (!d || typeof d !== 'object') return d;
        const o = d as Record<string, unknown>;
        const repo = typeof o.repository === 'string' ? o.repository : '';
        const m = /^(?:@|alias:)(.+)$/.exec(repo);
        const url = m ? urlOf(m[1]!) : undefined;
        return url !== undefined ? { ...o, repository: url } : o;
      })
    : declared;
  const sum = lockDigest(req, lock.raw);
  return sum === lock.digest ? undefined : sum;
}
