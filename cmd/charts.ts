/**
 * Chart fetching for images, save, sync and relocate (src/chart/remote/fetching.ts) with the run's
 * connection options: the global registry options, --ca-file, --insecure-skip-tls-verify, and
 * --username/--password-stdin for the --repo repository.
 */
import type { ChartFetcher } from '../src/chart/remote/types.js';
import type { DependencyOptions } from '../src/chart/deps/resolve.js';
import { dependencyOptions, localCharts, withChartFetcher as withFetcher } from '../src/chart/remote/fetching.js';
import type { ChartRef } from '../src/chart/remote/reference.js';
import type { ChartValueFlags } from '../src/cli/options.js';
import type { ChartRefFlags } from '../src/cli/chart-refs.js';
import { readPassword } from '../src/stdin.js';
import type { CommandContext } from './context.js';
import { registryOptionsFromContext } from './registry-client.js';

/** Runs `fn` with the run's chart fetcher, made on first use and closed afterwards. */
export function withChartFetcher<T>(ctx: CommandContext, flags: ChartRefFlags, fn: (fetcher: () => Promise<ChartFetcher>) => Promise<T>): Promise<T> {
  const { signal } = ctx.io;
  const hint = 'pipe the repository password in: echo "$PASS" | airlift … --password-stdin';
  return withFetcher(() => ({
    registry: registryOptionsFromContext(ctx),
    env: ctx.io.env,
    logger: ctx.logger(),
    caFiles: ctx.globals().caFile,
    insecureSkipTlsVerify: ctx.globals().insecureSkipTlsVerify,
    ...(flags.username !== undefined ? { username: flags.username, ...(flags.repo ? { credentialsUrl: flags.repo } : {}) } : {}),
    ...(flags.passwordStdin ? { password: () => readPassword(ctx.io.stdin, { ...(signal ? { signal } : {}), hint }) } : {}),
    ...(signal ? { signal } : {}),
  }), fn);
}

/** Runs `fn` with the chart arguments as local paths (remote ones fetched) and the scan's dependency option. */
export function withLocalCharts<T>(ctx: CommandContext, flags: ChartRefFlags, refs: ChartRef[], deps: ChartValueFlags, fn: (charts: string[], dependencies: DependencyOptions | undefined, labels: Map<string, string>) => Promise<T>): Promise<T> {
  return withChartFetcher(ctx, flags, async (fetcher) => { const l = await localCharts(refs, fetcher); return fn(l.paths, dependencyOptions(ctx.io.env, deps, fetcher), l.labels); });
}
