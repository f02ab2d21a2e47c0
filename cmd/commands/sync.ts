/**
 * `airlift sync (CHART... | --image REF... | --images-file FILE | --config FILE)
 *   --to HOST[:PORT][/PREFIX] [--mapping MODE] [--platform P]... [--lock-out FILE] [--dry-run] [-o table|json]`
 * Registry to registry, directly (src/mirror/sync.ts).
 */
import { Command, Option } from 'commander';
import { type ReportFormat } from '../../src/copy/report.js';
import { UsageError } from '../../src/errors.js';
import { parseMappingMode, parseTarget, type MappingMode, type Target } from '../../src/mapping/index.js';
import { sync } from '../../src/mirror/sync.js';
import { parseShard } from '../../src/shard/index.js';
import type { CommandContext } from '../context.js';
import { CHART_ARGS_HELP, chartRefOptions, withChartFetcher, type ChartRefFlags } from '../charts.js';
import { readInputs } from '../inputs.js';
import { platformOption, printMirrorReport, withMirrorDeps } from '../mirror.js';
import { chartValuesOptions, imageListOptions, type ChartValueFlags, type ImageListFlags } from '../options.js';

interface SyncFlags extends ChartValueFlags, ImageListFlags, ChartRefFlags {
  config?: string;
  to?: string;
  mapping?: string;
  platform: string[];
  lockOut?: string;
  shard?: string;
  dryRun?: boolean;
  output: ReportFormat;
}

export function registerSync(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('sync')
    .description('copy images registry to registry (the CI mirror job); unchanged images cost one request')
    .argument('[chart...]', `charts whose images to copy: ${CHART_ARGS_HELP}`);
  imageListOptions(chartValuesOptions(cmd), 'an image to copy');
  chartRefOptions(cmd, { credentials: true })
    .option('--config <file>', 'airlift.yaml naming charts, images, platforms, target and mapping')
    .option('--to <HOST[:PORT][/PREFIX]>', 'the mirror registry, with an optional repository prefix')
    .option('--mapping <mode>', 'default (drop the source registry), preserve-registry, or flatten')
    .option('--lock-out <file>', 'write airlift.lock.json with every image and where it landed')
    .option('--shard <I/N>', 'copy only shard I of N (0 <= I < N), split by image: N workers cover every image exactly once')
    .option('--dry-run', 'print what would be copied to where, and copy nothing')
    .addOption(new Option('-o, --output <format>', 'report format on stdout').choices(['table', 'json']).default('table'));
  platformOption(cmd).action(async (charts: string[], flags: SyncFlags, command: Command) => {
    const shard = flags.shard === undefined ? undefined : parseShard(flags.shard);
    let target!: Target;
    let mapping!: MappingMode;
    await withChartFetcher(ctx, flags, async (fetcher) => {
      const check = (cfg: Parameters<NonNullable<Parameters<typeof readInputs>[4]>>[0]) => {
        if (!(flags.to ?? cfg?.targetText)) throw new UsageError('sync needs a destination: --to HOST[:PORT][/PREFIX] (or target: in --config)');
        target = flags.to ? parseTarget(flags.to) : cfg!.target!;
        mapping = flags.mapping ? parseMappingMode(flags.mapping) : (cfg?.mapping ?? 'default');
      };
      const { abs, platforms, concurrency, collected } = await readInputs(ctx, charts, flags, command, check, fetcher);
      const input = { images: collected.images, target, mapping, platforms, concurrency, ...(shard ? { shard } : {}), ...(flags.lockOut ? { lockOut: abs(flags.lockOut) } : {}), dryRun: flags.dryRun === true };
      printMirrorReport(ctx, await withMirrorDeps(ctx, (deps) => sync(input, deps)), flags.output);
    });
  });
}
