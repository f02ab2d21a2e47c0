/**
 * A run's chart fetching: one fetcher made on first use (only when a chart or a dependency is
 * remote) and closed (its temporary files removed) after the run; chart arguments as local paths;
 * the dependencies charts declare fetched with the same fetcher (the same cache as the chart
 * references), `@name` repositories looked up in helm's repositories.yaml for Chart.lock's digest
 * check. The modules that fetch are imported on first use: a run with local charts loads none.
 */
import type { DependencyOptions } from '../deps/resolve.js';
import type { ChartFetcherOptions } from './index.js';
import type { ChartRef } from './reference.js';
import type { ChartFetcher, ChartFetchRequest, FetchedChart } from './types.js';

export interface ChartFetching extends Omit<ChartFetcherOptions, 'password'> {
  /** The password of `username`, read when the fetcher is made (--password-stdin). */
  password?: () => Promise<string>;
}

/** Runs `fn` with a fetcher made on first use (its options read then), closed afterwards. */
export async function withChartFetcher<T>(options: () => ChartFetching, fn: (fetcher: () => Promise<ChartFetcher>) => Promise<T>): Promise<T> {
  let made: Promise<ChartFetcher> | undefined;
  const get = (): Promise<ChartFetcher> =>
    (made ??= (async () => {
      const { createChartFetcher } = await import('./index.js');
      const { password, ...rest } = options();
      return createChartFetcher({ ...rest, ...(password ? { password: await password() } : {}) });
    })());
  try {
    return await fn(get);
  } finally {
    if (made) await (await made.catch(() => undefined))?.close();
  }
}

/** Chart arguments as local paths, and how to name each fetched one (its temporary path → the reference given). */
export interface LocalCharts {
  paths: string[];
  labels: Map<string, string>;
}

/**
 * How output names a fetched chart: the reference the user gave with the version fetched
 * (`oci://HOST/PATH/CHART:VERSION`, `REPO/CHART VERSION`), or the chart URL for `--repo URL CHART`.
 */
export function fetchedChartLabel(req: ChartFetchRequest, got: FetchedChart): string {
  if (/^oci:\/\//i.test(got.source)) return got.source;
  if (req.repository === undefined) return `${req.chart} ${got.version}`;
  return got.source;
}

/** Local paths for chart arguments: remote ones fetched (once) and written to the fetcher's temporary directory. */
export async function localCharts(refs: ChartRef[], fetcher: () => Promise<ChartFetcher>): Promise<LocalCharts> {
  const paths: string[] = [];
  const labels = new Map<string, string>();
  for (const r of refs) {
    if (r.kind === 'local') paths.push(r.path);
    else {
      const f = await fetcher();
      const got = await f.fetch(r.request);
      const p = await f.localPath(got);
      paths.push(p);
      labels.set(p, fetchedChartLabel(r.request, got));
    }
  }
  return { paths, labels };
}

/** A text with every fetched chart's temporary path replaced by its label (`labels` from localCharts). */
export function relabelChartPaths(text: string, labels: ReadonlyMap<string, string> | undefined): string {
  if (!labels) return text;
  let out = text;
  for (const [p, label] of labels) out = out.replaceAll(p, label);
  return out;
}

/** The scan's dependency option from --skip-missing-deps and --no-fetch-deps (then undefined: only the dependencies vendored under charts/). */
export function dependencyOptions(env: NodeJS.ProcessEnv, flags: { skipMissingDeps?: boolean; fetchDeps?: boolean }, fetcher: () => Promise<ChartFetcher>): DependencyOptions | undefined {
  if (flags.fetchDeps === false) return undefined;
  const lazy: ChartFetcher = {
    fetch: async (req) => (await fetcher()).fetch(req),
    localPath: async (c) => (await fetcher()).localPath(c),
    close: async () => {}, // the run's fetcher is closed by withChartFetcher
  };
  return {
    fetcher: lazy,
    skipMissing: flags.skipMissingDeps === true,
    repositoryUrl: async (name) => {
      const { readHelmRepositories } = await import('./helm-config.js');
      return (await readHelmRepositories(env)).repositories.find((r) => r.name === name)?.url;
    },
  };
}
