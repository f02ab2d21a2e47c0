/** The image inputs save and sync read the same way (src/mirror/inputs.ts), from the run's flags. */
import path from 'node:path';
import type { Command } from 'commander';
import type { AirliftConfig } from '../src/config/index.js';
import type { ChartFetcher } from '../src/chart/remote/types.js';
import { dependencyOptions } from '../src/chart/remote/fetching.js';
import { chartInputs, type ChartRefFlags } from '../src/cli/chart-refs.js';
import type { ChartValueFlags } from '../src/cli/options.js';
import { readMirrorInputs, type MirrorInputFlags } from '../src/mirror/inputs.js';
import type { CommandContext } from './context.js';

export type InputFlags = MirrorInputFlags & ChartValueFlags & ChartRefFlags;

/** Reads the config, platforms, concurrency and images; `checkConfig` runs the caller's own checks before any chart is read. */
export function readInputs(ctx: CommandContext, charts: string[], flags: InputFlags, command: Command, checkConfig?: (cfg: AirliftConfig | undefined) => void, fetcher?: () => Promise<ChartFetcher>) {
  // dependencies charts declare and do not vendor: fetched with the run's fetcher (--no-fetch-deps: none)
  const dependencies = fetcher ? dependencyOptions(ctx.io.env, flags, fetcher) : undefined;
  return readMirrorInputs({
    cwd: ctx.io.cwd,
    charts: chartInputs(charts, flags, (p) => path.resolve(ctx.io.cwd, p)),
    flags,
    concurrency: ctx.globals().concurrency,
    concurrencyFromFlag: command.parent?.getOptionValueSource('concurrency') === 'cli',
    logger: ctx.logger(),
    ...(checkConfig ? { checkConfig } : {}),
    ...(fetcher ? { fetcher } : {}),
    ...(dependencies ? { dependencies } : {}),
  });
}
