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
import { checkPushConflicts, dedupeByReference, type PlannedPush } from '../../src/bundle/conflicts.js';
import { HelmChartSource } from '../../src/bundle/helm-oci.js';
import { bundleImages, bundleLock, openBundle } from '../../src/bundle/images.js';
import type { CopyJob } from '../../src/copy/index.js';
import { destinationTag } from '../../src/copy/inputs.js';
import { formatReport, rowFor, type ReportFormat, type ReportRow } from '../../src/copy/report.js';
import { UsageError } from '../../src/errors.js';
import { buildLock, lockImage, previousFromLock } from '../../src/lock/build.js';
import { writeLock } from '../../src/lock/io.js';
import { resolveOutput } from '../../src/output/file.js';
import type { LockChart, LockImage } from '../../src/lock/types.js';
import { formatTarget, mapReferences, parseMappingMode, parseTarget } from '../../src/mapping/index.js';
import { formatReference } from '../../src/reference/index.js';
import { filterShard, formatShard, parseShard } from '../../src/shard/index.js';
import type { CommandContext } from '../context.js';
import { VERSION } from '../../src/version.js';
import { endpointPool, runJobs, throwIfFailed } from '../mirror.js';

interface LoadFlags {
  to?: string;
  mapping?: string;
  lockOut?: string;
  shard?: string;
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
        const allImages = dedupeByReference(bundleImages(source, bundleArg));
        const lock = await bundleLock(source, bundleArg);
        const previous = new Map((lock?.images ?? []).map((i) => [i.source, i]));
        // Map every image, not only this shard's, so that flatten collisions across shards are still refused.
        const mapped = mapReferences(allImages.map((i) => i.ref), target, mapping);
        const images = filterShard(allImages, (i) => i.formatted, shard);
        if (shard) ctx.logger().log('info', `shard ${formatShard(shard)}: ${images.length} of ${allImages.length} images`, { shard: formatShard(shard), images: images.length, total: allImages.length });
        const dest = regs.destination(target.host);

        const jobs: CopyJob[] = [];
        const sources: string[] = [];
        const destinations: string[] = [];
        for (const img of images) {
          const d = mapped.get(img.formatted)!;
          const prev = previousFromLock(previous.get(img.formatted));
          jobs.push({
            // by digest: the bundle's index entry names exactly what was saved
            source: { store: source, repo: `${img.ref.registry}/${img.ref.repository}`, reference: img.descriptor.digest },
            dest: { store: dest, repo: d.repository, tag: destinationTag(d) },
            name: img.formatted,
            ...(prev && prev.digest === img.descriptor.digest ? { previous: prev } : {}),
          });
          sources.push(img.formatted);
          destinations.push(formatReference(d));
        }

        // Charts in the bundle, as OCI Helm charts under PREFIX/charts/ (read by every shard for the conflict check).
        const charts = new HelmChartSource(`charts of ${bundleArg}`);
        const chartRows: Array<{ file: string; name: string; version: string; destination: string }> = [];
        const pushes: PlannedPush[] = allImages.map((i) => ({ kind: 'image', source: i.formatted, destination: formatReference(mapped.get(i.formatted)!), digest: i.descriptor.digest }));
        if ('extraFiles' in source) {
          for (const file of (await source.extraFiles()).filter((f) => /^charts\/[^/]+\.tgz$/.test(f))) {
            const tgz = await source.readFile(file, MAX_CHART_BYTES);
            const art = charts.add(tgz, await chartMetadata(tgz, `${bundleArg}: ${file}`));
            const repo = [target.prefix, 'charts', art.name].filter(Boolean).join('/');
            pushes.push({ kind: 'chart', source: file, destination: `${target.host}/${repo}:${art.tag}`, digest: art.manifest.digest });
            if (shard && shard.index !== 0) continue;
            jobs.push({
              source: { store: charts, repo: '', reference: art.manifest.digest },
              dest: { store: dest, repo, tag: art.tag },
              name: `chart ${art.name}:${art.version}`,
              kind: 'chart',
            });
            const destination = `${target.host}/${repo}:${art.tag}`;
            sources.push(file);
            destinations.push(destination);
            chartRows.push({ file, name: art.name, version: art.version, destination });
          }
        }

        // Before anything is pushed: two digests for one destination tag is a conflict, not a race to win.
        checkPushConflicts(pushes, bundleArg);
        const results = await runJobs(ctx, jobs, { verb: 'loading', platforms: [], describeSkipped: false });
        const rows: ReportRow[] = results.map((r, i) => ({ ...rowFor(r, sources[i]!, destinations[i]!), kind: i < images.length ? 'image' : 'chart' }));
        ctx.io.stdout.write(formatReport(rows, flags.output));
        if (flags.lockOut) {
          const entries = results
            .slice(0, images.length)
            .map((r, i) => lockImage({ result: r, source: sources[i]!, destination: destinations[i]! }))
            .filter((e): e is LockImage => e !== undefined);
          const lockCharts: LockChart[] = chartRows
            .filter((_, i) => results[images.length + i]!.status !== 'failed')
            .map((c) => {
              const fromBundle = lock?.charts.find((x) => x.file === c.file);
              return { name: c.name, version: c.version, file: c.file, ...(fromBundle?.digest ? { digest: fromBundle.digest } : {}), destination: c.destination };
            });
          await writeLock(path.resolve(ctx.io.cwd, flags.lockOut), buildLock({ generator: `airlift ${VERSION}`, target: formatTarget(target), images: entries, charts: lockCharts }), '--lock-out');
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
