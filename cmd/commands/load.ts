/**
 * `airlift load BUNDLE --to HOST[:PORT][/PREFIX] [--mapping MODE] [--lock-out FILE] [-o table|json]`
 * Pushes every image of a bundle (or of an OCI layout directory) and every
 * chart in it (as an OCI Helm chart at PREFIX/charts/<name>:<version>) into
 * one registry, blobs before manifests and children before indexes, and
 * reports on stdout what landed where. No network other than the target.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { MAX_CHART_BYTES, chartMetadata } from '../../src/bundle/charts.js';
import { dedupeByReference } from '../../src/bundle/conflicts.js';
import { HelmChartSource } from '../../src/bundle/helm-oci.js';
import { bundleImages, bundleLock, openBundle } from '../../src/bundle/images.js';
import { formatReport, rowFor, type ReportFormat, type ReportRow } from '../../src/copy/report.js';
import { UsageError } from '../../src/errors.js';
import { writeLock } from '../../src/lock/io.js';
import { resolveOutput } from '../../src/output/file.js';
import { formatPlan, planJobs, planLock } from '../../src/mirror/build.js';
import { planMirror, shardNote, type PlanChart } from '../../src/mirror/plan.js';
import { parseMappingMode, parseTarget } from '../../src/mapping/index.js';
import { formatShard, parseShard } from '../../src/shard/index.js';
import type { CommandContext } from '../context.js';
import { VERSION } from '../../src/version.js';
import { endpointPool, runJobs, throwIfFailed } from '../mirror.js';

interface LoadFlags {
  to?: string;
  mapping?: string;
  lockOut?: string;
  shard?: string;
  dryRun?: boolean;
  output: ReportFormat;
}

export function registerLoad(program: Command, ctx: CommandContext): void {
  program
    .command('load')
    .description('push every image and chart of a bundle into a registry (needs no other network access)')
    .argument('<bundle>', 'a bundle written by airlift save, or an OCI layout directory')
    .option('--to <HOST[:PORT][/PREFIX]>', 'the registry to push to, with an optional repository prefix')
    .option('--mapping <mode>', 'default (drop the source registry), preserve-registry, or flatten', 'default')
    .option('--lock-out <file>', 'write airlift.lock.json with every image and chart and where it landed')
    .option('--shard <I/N>', 'load only shard I of N (0 <= I < N) of the bundle, split by image; the charts go with shard 0')
    .option('--dry-run', 'print what would be pushed to where, and push nothing')
    .addOption(new Option('-o, --output <format>', 'report format on stdout').choices(['table', 'json']).default('table'))
    .action(async (bundleArg: string, flags: LoadFlags) => {
      if (!flags.to) throw new UsageError('load needs a destination: --to HOST[:PORT][/PREFIX]');
      const target = parseTarget(flags.to);
      const shard = flags.shard === undefined ? undefined : parseShard(flags.shard);
      const mapping = parseMappingMode(flags.mapping ?? 'default');
      const bundle = path.resolve(ctx.io.cwd, bundleArg);
      // refused before anything is pushed: a directory, or a missing parent directory
      if (flags.lockOut) await resolveOutput(path.resolve(ctx.io.cwd, flags.lockOut), { label: '--lock-out' });
      const source = await openBundle(bundle);
      const regs = endpointPool(ctx);
      try {
        const images = dedupeByReference(bundleImages(source, bundleArg));
        const lock = await bundleLock(source, bundleArg);
        // Charts in the bundle, as OCI Helm charts under PREFIX/charts/ (read by every shard for the conflict check).
        const charts = new HelmChartSource(`charts of ${bundleArg}`);
        const planCharts: PlanChart[] = [];
        if ('extraFiles' in source) {
          for (const file of (await source.extraFiles()).filter((f) => /^charts\/[^/]+\.tgz$/.test(f))) {
            const tgz = await source.readFile(file, MAX_CHART_BYTES);
            const art = charts.add(tgz, await chartMetadata(tgz, `${bundleArg}: ${file}`));
            planCharts.push({ file, name: art.name, version: art.version, tag: art.tag, digest: art.manifest.digest });
          }
        }
        const plan = planMirror({
          images: images.map((i) => ({ ref: i.ref, formatted: i.formatted, digest: i.descriptor.digest })),
          charts: planCharts,
          target: { kind: 'registry', target, mapping },
          ...(shard ? { shard } : {}),
          previous: lock?.images ?? [],
          where: bundleArg,
        });
        const note = shardNote(plan);
        if (note) ctx.logger().log('info', note, { shard: formatShard(shard!), images: plan.images, total: plan.total });
        if (flags.dryRun) {
          ctx.io.stdout.write(formatPlan(plan, flags.output));
          return;
        }

        const jobs = planJobs(plan, (c) => (c.kind === 'chart' ? charts : source), regs.destination(target.host));
        const results = await runJobs(ctx, jobs, { verb: 'loading', platforms: [], describeSkipped: false });
        const rows: ReportRow[] = results.map((r, i) => ({ ...rowFor(r, plan.copies[i]!.source, plan.copies[i]!.destination), kind: plan.copies[i]!.kind }));
        ctx.io.stdout.write(formatReport(rows, flags.output));
        if (flags.lockOut) {
          const chartDigests = new Map<string, string>();
          for (const c of lock?.charts ?? []) if (c.file && c.digest && !chartDigests.has(c.file)) chartDigests.set(c.file, c.digest);
          await writeLock(path.resolve(ctx.io.cwd, flags.lockOut), planLock(plan, results, { generator: `airlift ${VERSION}`, chartDigests }), '--lock-out');
        }
        if (lock?.files?.length) {
          ctx.logger().log('info', `${bundleArg} also carries ${lock.files.map((f) => f.file).join(', ')}: not pushed (airlift itself, from save --include-self; tar -xf ${bundleArg} ${lock.files[0]!.file.split('/')[0]}/ takes it out)`);
        }
        throwIfFailed(results, 'loaded');
      } finally {
        await regs.close();
        await source.close();
      }
    });
}
