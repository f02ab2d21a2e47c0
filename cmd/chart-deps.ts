/**
 * The chart fetcher a run's dependency resolution uses (src/chart/deps/, through src/chart/remote),
 * made from the global options (--ca-file, --plain-http, per-registry settings, credentials) and
 * the environment (helm's repositories.yaml and registry config), once per run and only when a
 * chart is read; and the dependency flags (--skip-missing-deps, --no-fetch-deps) as scan options.
 */
import type { DependencyOptions } from '../src/chart/deps/resolve.js';
import type { ChartFetcher } from '../src/chart/remote/types.js';
import { VERSION } from '../src/version.js';
import type { CommandContext } from './context.js';
import type { ChartValueFlags } from './options.js';
import { registryOptionsFromContext } from './registry-client.js';

export interface RunDependencies {
  /** The scan option; undefined with --no-fetch-deps (the dependencies vendored under charts/ only). */
  options: DependencyOptions | undefined;
  /** Closes the fetcher's connections and removes its files; safe to call when nothing was fetched. */
  close(): Promise<void>;
}

export function runDependencies(ctx: CommandContext, flags: Pick<ChartValueFlags, 'skipMissingDeps' | 'fetchDeps'>): RunDependencies {
  if (flags.fetchDeps === false) return { options: undefined, close: async () => {} };
  let fetcher: Promise<ChartFetcher> | undefined;
  const get = (): Promise<ChartFetcher> => {
    fetcher ??= import('../src/chart/remote/index.js').then(({ createChartFetcher }) => {
      const g = ctx.globals();
      return createChartFetcher({
        registry: registryOptionsFromContext(ctx),
        env: ctx.io.env,
        logger: ctx.logger(),
        caFiles: g.caFile,
        insecureSkipTlsVerify: g.insecureSkipTlsVerify,
        userAgent: `airlift/${VERSION}`,
        ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
      });
    });
    return fetcher;
  };
  const lazy: ChartFetcher = {
    fetch: async (req) => (await get()).fetch(req),
    localPath: async (c) => (await get()).localPath(c),
    close: async () => (fetcher ? (await fetcher).close() : undefined),
  };
  const options: DependencyOptions = {
    fetcher: lazy,
    skipMissing: flags.skipMissingDeps === true,
    repositoryUrl: async (name) => {
      const { readHelmRepositories } = await import('../src/chart/remote/index.js');
      return (await readHelmRepositories(ctx.io.env)).repositories.find((r) => r.name === name)?.url;
    },
  };
  return { options, close: () => lazy.close() };
}
