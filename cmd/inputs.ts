/** The image inputs save and sync read the same way (src/mirror/inputs.ts), from the run's flags. */
import path from 'node:path';
import type { Command } from 'commander';
import type { AirliftConfig } from '../src/config/index.js';
import type { ChartInput } from '../src/copy/inputs.js';
import type { ChartFetcher } from '../src/chart/remote/types.js';
import { readMirrorInputs, type MirrorInputFlags } from '../src/mirror/inputs.js';
import { dependencyOptions } from './chart-deps.js';
import { chartRefs, type ChartRefFlags } from './charts.js';
import type { CommandContext } from './context.js';
import type { ChartValueFlags } from './options.js';

/** Chart arguments (paths or references: cmd/charts.ts) with -f/--set as inputs to collectImages. */
export function chartInputs(charts: string[], flags: Pick<ChartValueFlags, 'values' | 'set' | 'setString' | 'setJson' | 'setFile'> & ChartRefFlags, abs: (p: string) => string): ChartInput[] {
  return chartRefs(charts, flags, abs('.')).map((r, i) => ({
    ...(r.kind === 'local' ? { path: r.path } : { path: charts[i]!, remote: r.request }),
    values: flags.values.map(abs),
    set: flags.set,
    setString: flags.setString,
    setJson: flags.setJson,
    setFile: flags.setFile,
    baseDir: abs('.'),
  }));
}

export type InputFlags = MirrorInputFlags & ChartValueFlags & ChartRefFlags;

/** Reads the config, platforms, concurrency and images; `checkConfig` runs the caller's own checks before any chart is read. */
export function readInputs(ctx: CommandContext, charts: string[], flags: InputFlags, command: Command, checkConfig?: (cfg: AirliftConfig | undefined) => void, fetcher?: () => Promise<ChartFetcher>) {
  const concurrencyFromFlag = command.parent?.getOptionValueSource('concurrency') === 'cli';
  const abs = (p: string): string => path.resolve(ctx.io.cwd, p);
  // dependencies charts declare and do not vendor: fetched with the run's fetcher (--no-fetch-deps: none)
  const dependencies = fetcher ? dependencyOptions(ctx, flags, fetcher) : undefined;
  return readMirrorInputs({
    cwd: ctx.io.cwd,
    charts: chartInputs(charts, flags, abs),
    flags,
    concurrency: ctx.globals().concurrency,
    concurrencyFromFlag,
    logger: ctx.logger(),
    ...(checkConfig ? { checkConfig } : {}),
    ...(fetcher ? { fetcher } : {}),
    ...(dependencies ? { dependencies } : {}),
  });
}
