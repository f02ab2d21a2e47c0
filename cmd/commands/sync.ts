/**
 * `airlift sync (CHART... | --image REF... | --images-file FILE | --config FILE)
 *   --to HOST[:PORT][/PREFIX] [--mapping MODE] [--platform P]... [--lock-out FILE] [--dry-run] [-o table|json]`
 * Registry to registry, directly (src/mirror/sync.ts); the charts travel as OCI Helm charts, as `load` pushes them.
 */
import { Command, Option } from 'commander';
import { type ReportFormat } from '../../src/copy/report.js';
import { UsageError } from '../../src/errors.js';
import { parseMappingMode, parseTarget, type MappingMode, type Target } from '../../src/mapping/index.js';
import { sync } from '../../src/mirror/sync.js';
import { parseShard } from '../../src/shard/index.js';
import type { CommandContext } from '../context.js';
import { CHART_ARGS_HELP, chartRefOptions, type ChartRefFlags } from '../../src/cli/chart-refs.js';
import { CHART_VALUE_OPTIONS, PLATFORM_OPTION, imageListOptions, type ChartValueFlags, type ImageListFlags } from '../../src/cli/options.js';
import { referrerOptions, referrersFrom, type ReferrersFlags } from '../../src/cli/referrers.js';
import { withChartFetcher } from '../charts.js';
import { readInputs } from '../inputs.js';
import { printMirrorReport, withMirrorDeps } from '../mirror.js';
import { addOptions } from '../options.js';
import { SYNC_OPTIMIZE_AFTER_CPU_MS, deferOptimizer, resumeOptimizer } from '../jit.js';

interface SyncFlags extends ChartValueFlags, ImageListFlags, ChartRefFlags, ReferrersFlags {
  config?: string;
  to?: string;
  mapping?: string;
  platform: string[];
  lockOut?: string;
  shard?: string;
  dryRun?: boolean;
  keepGoing?: boolean;
  output: ReportFormat;
}

export function registerSync(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('sync')
    .description('copy images registry to registry (the CI mirror job), and the charts as OCI Helm charts; unchanged images cost one request')
    .argument('[chart...]', `charts whose images to copy: ${CHART_ARGS_HELP}`);
  addOptions(cmd, CHART_VALUE_OPTIONS, imageListOptions('an image to copy'), chartRefOptions({ credentials: true }))
    .option('--config <file>', 'airlift.yaml naming charts, images, platforms, target and mapping')
    .option('--to <HOST[:PORT][/PREFIX]>', 'the mirror registry, with an optional repository prefix')
    .option('--mapping <mode>', 'default (drop the source registry), preserve-registry, or flatten')
    .option('--lock-out <file>', 'write airlift.lock.json with every image and where it landed')
    .option('--shard <I/N>', 'copy only shard I of N (0 <= I < N), split by image: N workers cover every image exactly once')
    .option('--keep-going', 'copy every image that can be copied, list the failures (reference, error code, message; and under missing in --lock-out) and exit 12')
    .option('--dry-run', 'print what would be copied to where, and copy nothing')
    .addOption(new Option('-o, --output <format>', 'report format on stdout').choices(['table', 'json']).default('table'));
  addOptions(cmd, PLATFORM_OPTION, referrerOptions()).action(async (charts: string[], flags: SyncFlags, command: Command) => {
    // A no-op resync of a few hundred images (0.2-0.3 CPU-s, 30-40 ms of it on TurboFan's thread) ends
    // before TurboFan's compiles pay for themselves (cmd/jit.ts); a longer one gets it after its first
    // SYNC_OPTIMIZE_AFTER_CPU_MS, and a sync that copies as its first blob's bytes move (a sync of 200
    // small images deferred for its whole first 0.4-1 CPU-s used 0.05-0.13 CPU-s more: test/bench/README.md, p26-resync).
    deferOptimizer(SYNC_OPTIMIZE_AFTER_CPU_MS);
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
      const referrers = referrersFrom(flags);
      const input = { images: collected.images, charts: collected.charts, target, mapping, platforms, concurrency, ...(referrers ? { referrers } : {}), ...(shard ? { shard } : {}), ...(flags.lockOut ? { lockOut: abs(flags.lockOut) } : {}), dryRun: flags.dryRun === true, ...(flags.keepGoing ? { keepGoing: true } : {}) };
      printMirrorReport(ctx, await withMirrorDeps(ctx, (deps) => sync(input, deps), { onCopying: resumeOptimizer }), flags.output);
    });
  });
}
