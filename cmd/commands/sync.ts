/**
 * `airlift sync (CHART... | --image REF... | --images-file FILE | --config FILE)
 *   --to HOST[:PORT][/PREFIX] [--mapping MODE] [--platform P]... [--lock-out FILE] [-o table|json]`
 * Registry to registry, directly. Idempotent: an image whose destination tag
 * already has the source digest costs one HEAD at each side.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import type { CopyJob } from '../../src/copy/index.js';
import { destinationTag, sourceReference } from '../../src/copy/inputs.js';
import { formatReport, rowFor, type ReportFormat } from '../../src/copy/report.js';
import { UsageError } from '../../src/errors.js';
import { buildLock, lockImage, previousFromLock } from '../../src/lock/build.js';
import { readLock, writeLock } from '../../src/lock/io.js';
import { resolveOutput } from '../../src/output/file.js';
import type { LockImage } from '../../src/lock/types.js';
import { formatTarget, mapReferences, parseMappingMode, parseTarget, type MappingMode, type Target } from '../../src/mapping/index.js';
import { formatReference } from '../../src/reference/index.js';
import { filterShard, formatShard, parseShard } from '../../src/shard/index.js';
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
  output: ReportFormat;
}

/** The lock an earlier run wrote at --lock-out (its platforms are reused for unchanged images); ignored when unreadable. */
async function previousLock(ctx: CommandContext, file: string | undefined): Promise<Map<string, LockImage>> {
  const out = new Map<string, LockImage>();
  if (!file) return out;
  // a device or FIFO (--lock-out /dev/stdout) holds no earlier lock, and reading a FIFO would wait for a writer
  if ((await resolveOutput(file, { label: '--lock-out' })).kind !== 'file') return out;
  try {
    for (const img of (await readLock(file)).images) out.set(`${img.source} ${img.destination ?? ''}`, img);
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
    const allImages = collected.images;
    // Map every image, not only this shard's, so that flatten collisions across shards are still refused.
    const mapped = mapReferences(allImages.map((i) => i.ref), target, mapping);
    const images = filterShard(allImages, (i) => i.formatted, shard);
    if (shard) ctx.logger().log('info', `shard ${formatShard(shard)}: ${images.length} of ${allImages.length} images`, { shard: formatShard(shard), images: images.length, total: allImages.length });
    const lockOut = flags.lockOut ? abs(flags.lockOut) : undefined;
    const previous = await previousLock(ctx, lockOut);

    const regs = endpointPool(ctx);
    try {
      const destStore = regs.destination(target.host);
      const jobs: CopyJob[] = [];
      const destNames: string[] = [];
      for (const img of images) {
        const d = mapped.get(img.formatted)!;
        const destName = formatReference(d);
        destNames.push(destName);
        const prev = previousFromLock(previous.get(`${img.formatted} ${destName}`));
        jobs.push({
          source: { store: regs.source(img.ref.registry), repo: img.ref.repository, reference: sourceReference(img.ref) },
          dest: { store: destStore, repo: d.repository, tag: destinationTag(d) },
          name: img.formatted,
          ...(prev ? { previous: prev } : {}),
        });
      }
      const results = await runJobs(ctx, jobs, { verb: 'syncing', platforms, concurrency, describeSkipped: lockOut !== undefined });
      const rows = results.map((r, i) => rowFor(r, images[i]!.formatted, destNames[i]!));
      ctx.io.stdout.write(formatReport(rows, flags.output));
      if (lockOut) {
        const entries = results
          .map((r, i) => lockImage({ result: r, source: images[i]!.formatted, destination: destNames[i]! }))
          .filter((e): e is LockImage => e !== undefined);
        await writeLock(lockOut, buildLock({ generator: `airlift ${VERSION}`, target: formatTarget(target), images: entries }), '--lock-out');
      }
      throwIfFailed(results, 'synced');
    } finally {
      await regs.close();
    }
  });
}
