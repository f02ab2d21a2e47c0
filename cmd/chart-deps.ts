/**
 * The dependency flags (--skip-missing-deps, --no-fetch-deps) as scan options: dependencies are
 * fetched with the run's one chart fetcher (cmd/charts.ts withChartFetcher: the same cache as the
 * chart references), made only when a dependency needs fetching; `@name` repositories are looked up
 * in helm's repositories.yaml for Chart.lock's digest check.
 */
import type { DependencyOptions } from '../src/chart/deps/resolve.js';
import type { ChartFetcher } from '../src/chart/remote/types.js';
import type { CommandContext } from './context.js';
import type { ChartValueFlags } from './options.js';

/** The scan option; undefined with --no-fetch-deps (only the dependencies vendored under charts/). */
export function dependencyOptions(ctx: CommandContext, flags: Pick<ChartValueFlags, 'skipMissingDeps' | 'fetchDeps'>, fetcher: () => Promise<ChartFetcher>): DependencyOptions | undefined {
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
      const { readHelmRepositories } = await import('../src/chart/remote/index.js');
      return (await readHelmRepositories(ctx.io.env)).repositories.find((r) => r.name === name)?.url;
    },
  };
}
