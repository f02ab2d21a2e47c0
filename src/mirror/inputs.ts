/**
 * The image inputs save and sync read the same way: airlift.yaml (when a config file is given),
 * the platforms and concurrency (flags win over the file), and every image the charts, --image
 * and --images-file name.
 */
import path from 'node:path';
import type { ChartValueOptions } from '../chart/types.js';
import { readConfig, type AirliftConfig } from '../config/index.js';
import { parsePlatform } from '../copy/index.js';
import { collectImages, type ChartInput } from '../copy/inputs.js';
import type { DependencyOptions } from '../chart/deps/resolve.js';
import type { ChartFetcher } from '../chart/remote/types.js';
import type { Logger } from '../log.js';

export interface MirrorInputFlags extends ChartValueOptions {
  image: string[];
  imagesFile: string[];
  config?: string;
  platform: string[];
}

export interface ReadInputs {
  cwd: string;
  /** The chart arguments as scan inputs (local paths or references, with -f/--set). */
  charts: ChartInput[];
  flags: MirrorInputFlags;
  /** The global --concurrency, and whether it was given on the command line (it then wins over the file). */
  concurrency: number;
  concurrencyFromFlag: boolean;
  logger: Logger;
  /** The caller's own checks of flags and config, before any chart is read. */
  checkConfig?: (cfg: AirliftConfig | undefined) => void;
  /** The run's chart fetcher (made on first use), for chart references. */
  fetcher?: () => Promise<ChartFetcher>;
  /** Dependencies charts declare and do not vendor: how to fetch them (absent: only charts/). */
  dependencies?: DependencyOptions;
}

/** Reads the config, platforms, concurrency and images. */
export async function readMirrorInputs(i: ReadInputs) {
  const { flags } = i;
  const abs = (p: string): string => path.resolve(i.cwd, p);
  const cfg: AirliftConfig | undefined = flags.config ? await readConfig(abs(flags.config)) : undefined;
  i.checkConfig?.(cfg);
  const platforms = flags.platform.length ? flags.platform.map(parsePlatform) : (cfg?.platforms ?? []);
  const concurrency = i.concurrencyFromFlag ? i.concurrency : (cfg?.concurrency ?? i.concurrency);
  const collected = await collectImages({
    charts: [...i.charts, ...(cfg?.charts ?? [])],
    images: [...flags.image, ...(cfg?.images ?? [])],
    imagesFiles: [...flags.imagesFile.map(abs), ...(cfg?.imagesFile ? [cfg.imagesFile] : [])],
    enabledOnly: flags.enabledOnly,
    allValues: flags.allValues,
    ...(i.fetcher ? { fetcher: i.fetcher } : {}),
    ...(i.dependencies ? { dependencies: i.dependencies } : {}),
  });
  for (const w of collected.warnings) i.logger.log('warn', w);
  return { abs, cfg, platforms, concurrency, collected };
}
