/**
 * `airlift sync (CHART... | --image REF... | --images-file FILE | --config FILE)
 *   --to HOST[:PORT][/PREFIX] [--mapping MODE] [--platform P]... [--lock-out FILE] [-o table|json]`
 * Registry to registry, directly. Idempotent: an image whose destination tag
 * already has the source digest costs one HEAD at each side.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { formatReport, rowFor, type ReportFormat } from '../../src/copy/report.js';
import { UsageError } from '../../src/errors.js';
import { formatPlan, planJobs, planLock } from '../../src/mirror/build.js';
import { planMirror, shardNote } from '../../src/mirror/plan.js';
import { readLock, writeLock } from '../../src/lock/io.js';
import { resolveOutput } from '../../src/output/file.js';
import type { LockImage } from '../../src/lock/types.js';
import { parseMappingMode, parseTarget, type MappingMode, type Target } from '../../src/mapping/index.js';
import { formatShard, parseShard } from '../../src/shard/index.js';
import type { CommandContext } from '../context.js';
import { VERSION } from '../../src/version.js';
import { readInputs } from '../inputs.js';
import { endpointPool, platformOption, runJobs, throwIfFailed } from '../mirror.js';
import { chartValuesOptions, imageListOptions, type ChartValueFlags, type ImageListFlags } from '../options.js';

interface SyncFlags extends ChartValueFlags, ImageListFlags {
  config?: string;
  to?: string;
  mapping?: string;
  platform: string[];
  lockOut?: string;
  shard?: string;
  dryRun?: boolean;
  output: ReportFormat;
}

/** The lock an earlier run wrote at --lock-out (its platforms are reused for unchanged images); ignored when unreadable. */
async function previousLock(ctx: CommandContext, file: string | undefined): Promise<LockImage[]> {
  const out: LockImage[] = [];
  if (!file) return out;
  // a device or FIFO (--lock-out /dev/stdout) holds no earlier lock, and reading a FIFO would wait for a writer
  if ((await resolveOutput(file, { label: '--lock-out' })).kind !== 'file') return out;
  try {
    out.push(...(await readLock(file)).images);
  } catch (e) {
    ctx.logger().log('warn', `ignoring the earlier lock ${file} (${(e as Error).message}); it will be written anew`);
  }
  return out;
}

export function registerSync(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('sync')
    .description('copy images registry to registry (the CI mirror job); unchanged images cost one request')
    .argument('[chart...]', 'chart directories or packaged .tgz files whose images to copy');
  imageListOptions(chartValuesOptions(cmd), 'an image to copy')
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
    const { abs, platforms, concurrency, collected } = await readInputs(ctx, charts, flags, command, (cfg) => {
      if (!(flags.to ?? cfg?.targetText)) throw new UsageError('sync needs a destination: --to HOST[:PORT][/PREFIX] (or target: in --config)');
      target = flags.to ? parseTarget(flags.to) : cfg!.target!;
      mapping = flags.mapping ? parseMappingMode(flags.mapping) : (cfg?.mapping ?? 'default');
    });
    const lockOut = flags.lockOut ? abs(flags.lockOut) : undefined;
    const plan = planMirror({ images: collected.images, target: { kind: 'registry', target, mapping }, ...(shard ? { shard } : {}), previous: await previousLock(ctx, lockOut) });
    const note = shardNote(plan);
    if (note) ctx.logger().log('info', note, { shard: formatShard(shard!), images: plan.images, total: plan.total });
    if (flags.dryRun) {
      ctx.io.stdout.write(formatPlan(plan, flags.output));
      return;
    }

    const regs = endpointPool(ctx);
    try {
      const jobs = planJobs(plan, (c) => regs.source(c.from.registry!), regs.destination(target.host));
      const results = await runJobs(ctx, jobs, { verb: 'syncing', platforms, concurrency, describeSkipped: lockOut !== undefined });
      const rows = results.map((r, i) => rowFor(r, plan.copies[i]!.source, plan.copies[i]!.destination));
      ctx.io.stdout.write(formatReport(rows, flags.output));
      if (lockOut) await writeLock(lockOut, planLock(plan, results, { generator: `airlift ${VERSION}` }), '--lock-out');
      throwIfFailed(results, 'synced');
    } finally {
      await regs.close();
    }
  });
}
