/**
 * The image inputs save and sync read the same way: airlift.yaml (when --config is given), the
 * platforms and concurrency (flags win over the file), and every image the charts, --image and
 * --images-file name.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { readConfig, type AirliftConfig } from '../src/config/index.js';
import { parsePlatform } from '../src/copy/index.js';
import { collectImages, type ChartInput } from '../src/copy/inputs.js';
import type { ChartFetcher } from '../src/chart/remote/types.js';
import { dependencyOptions } from './chart-deps.js';
import { chartRefs, type ChartRefFlags } from './charts.js';
import type { CommandContext } from './context.js';
import type { ChartValueFlags, ImageListFlags } from './options.js';

/** Chart arguments (paths or references: cmd/charts.ts) with -f/--set as inputs to collectImages. */
export function chartInputs(
  charts: string[],
  flags: Pick<ChartValueFlags, 'values' | 'set' | 'setString' | 'setJson' | 'setFile'> & ChartRefFlags,
  abs: (p: string) => string,
): ChartInput[] {
  const refs = chartRefs(charts, flags, abs('.'));
  return refs.map((r, i) => ({
    ...(r.kind === 'local' ? { path: r.path } : { path: charts[i]!, remote: r.request }),
    values: flags.values.map(abs),
    set: flags.set,
    setString: flags.setString,
    setJson: flags.setJson,
    setFile: flags.setFile,
    baseDir: abs('.'),
  }));
}

export type InputFlags = ChartValueFlags & ImageListFlags & ChartRefFlags & { config?: string; platform: string[] };

/** Reads the config, platforms, concurrency and images; `checkConfig` runs the caller's own checks before any chart is read. */
export async function readInputs(
  ctx: CommandContext,
  charts: string[],
  flags: InputFlags,
  command: Command,
  checkConfig?: (cfg: AirliftConfig | undefined) => void,
  fetcher?: () => Promise<ChartFetcher>,
) {
  const abs = (p: string): string => path.resolve(ctx.io.cwd, p);
  const cfg: AirliftConfig | undefined = flags.config ? await readConfig(abs(flags.config)) : undefined;
  checkConfig?.(cfg); // the caller's own checks of flags and config, before any chart is read
  const platforms = flags.platform.length ? flags.platform.map(parsePlatform) : (cfg?.platforms ?? []);
  const concurrencyFromFlag = command.parent?.getOptionValueSource('concurrency') === 'cli';
  const concurrency = concurrencyFromFlag ? ctx.globals().concurrency : (cfg?.concurrency ?? ctx.globals().concurrency);
  // dependencies charts declare and do not vendor: fetched with the run's fetcher (--no-fetch-deps: none)
  const dependencies = fetcher ? dependencyOptions(ctx, flags, fetcher) : undefined;
  const collected = await collectImages({
    charts: [...chartInputs(charts, flags, abs), ...(cfg?.charts ?? [])],
    images: [...flags.image, ...(cfg?.images ?? [])],
    imagesFiles: [...flags.imagesFile.map(abs), ...(cfg?.imagesFile ? [cfg.imagesFile] : [])],
    enabledOnly: flags.enabledOnly,
    allValues: flags.allValues,
    ...(fetcher ? { fetcher } : {}),
    ...(dependencies ? { dependencies } : {}),
  });
  for (const w of collected.warnings) ctx.logger().log('warn', w);
  return { abs, cfg, platforms, concurrency, collected };
}
