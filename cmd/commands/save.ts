/**
 * `airlift save [CHART...] [--image REF]... [--images-file FILE]... [-f VALUES]...
 *   [--set K=V]... [--platform P]... [--config airlift.yaml] -o BUNDLE.tar`
 * Copies every image the charts need into one bundle (src/mirror/save.ts): an OCI image layout in a
 * tar (each blob once), each image named by its full source reference, plus
 * the charts as packaged .tgz and airlift.lock.json. The bundle is staged next
 * to the output and renamed into place when complete; an interrupted run,
 * run again, reuses what was fetched.
 */
import path from 'node:path';
import { Option, type Command } from 'commander';
import { releaseDir } from '../../src/bundle/self.js';
import { UsageError } from '../../src/errors.js';
import { parseSplitSize } from '../../src/layout/parts.js';
import { resolveOutput } from '../../src/output/file.js';
import { save } from '../../src/mirror/save.js';
import { parseShard } from '../../src/shard/index.js';
import type { CommandContext } from '../context.js';
import { CHART_ARGS_HELP, chartRefOptions, type ChartRefFlags } from '../../src/cli/chart-refs.js';
import { CHART_VALUE_OPTIONS, PLATFORM_OPTION, imageListOptions, type ChartValueFlags, type ImageListFlags } from '../../src/cli/options.js';
import { referrerOptions, referrersFrom, type ReferrersFlags } from '../../src/cli/referrers.js';
import { withChartFetcher } from '../charts.js';
import { readInputs } from '../inputs.js';
import { printMirrorReport, withMirrorDeps } from '../mirror.js';
import { deferOptimizer } from '../jit.js';
import { addOptions } from '../options.js';
import { namesStdout, readerGone, watchStdoutReader } from '../stdout-reader.js';

interface SaveFlags extends ChartValueFlags, ImageListFlags, ChartRefFlags, ReferrersFlags {
  config?: string;
  platform: string[];
  output?: string;
  shard?: string;
  includeSelf?: boolean;
  dryRun?: boolean;
  splitSize?: string;
  compress?: 'gzip' | 'zstd';
  since?: string;
  keepGoing?: boolean;
}

export function registerSave(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('save')
    .description('copy every image of the charts (and --image) into one bundle tarball with the charts and a lock file')
    .argument('[chart...]', CHART_ARGS_HELP);
  addOptions(cmd, CHART_VALUE_OPTIONS, imageListOptions('an extra image to save'), chartRefOptions({ credentials: true }))
    .option('--config <file>', 'airlift.yaml naming charts, images and platforms')
    .option('-o, --output <bundle.tar>', 'the bundle to write (- for stdout; a FIFO or device is written into)')
    .option('--shard <I/N>', 'save only shard I of N (0 <= I < N), split by image; the charts go into shard 0')
    .option('--split-size <size>', 'write the bundle as parts of at most this size (BUNDLE.000, .001, … and BUNDLE.parts; 4GiB, 700MiB, 650MB; at least 1MiB)')
    .addOption(new Option('--compress <kind>', 'compress the bundle (seekable: load, verify, serve and inspect read it in place)').choices(['gzip', 'zstd']))
    .option('--since <bundle.tar|lock.json>', 'write a differential bundle: leave out the layers this earlier bundle (or its airlift.lock.json) and its own bases carried; load it where they were loaded')
    .option('--keep-going', 'save every image that can be saved, write the bundle of those, list the others in its lock and exit 12')
    .option('--dry-run', 'print what would be saved (the chart images, each under its full reference), and write nothing')
    .option('--include-self', 'also put airlift itself into the bundle (airlift/: airlift.mjs, the single executables, SHA256SUMS from `npm run release`; or from $AIRLIFT_RELEASE_DIR), so the bundle carries its own importer (with --shard: in shard 0, as the charts)');
  addOptions(cmd, PLATFORM_OPTION, referrerOptions()).action(async (charts: string[], flags: SaveFlags, command: Command) => {
    // a save of a few hundred small images ends before TurboFan's compiles pay for themselves (cmd/jit.ts)
    deferOptimizer();
    if (!flags.output) throw new UsageError('save needs -o BUNDLE.tar (a file; the bundle is renamed into place when complete; - writes it to stdout)');
    // -o /dev/stdout (/dev/fd/1, /proc/self/fd/1) into a pipe or file is stdout: written as - is
    const toStdout = flags.output === '-' || namesStdout(flags.output, ctx.io.stdout);
    if (toStdout && ctx.io.stdoutIsTTY) {
      throw new UsageError('save -o - would write a tar archive to the terminal', { hint: 'redirect it (> bundle.tar) or pipe it into another command, or give -o BUNDLE.tar' });
    }
    const shard = flags.shard === undefined ? undefined : parseShard(flags.shard);
    const output = flags.output;
    // a dry run refuses the output the real run would refuse (a directory, a missing parent) before saying all is well
    if (flags.dryRun && !toStdout) await resolveOutput(path.resolve(ctx.io.cwd, output));
    await withChartFetcher(ctx, flags, async (fetcher) => {
      const { abs, platforms, concurrency, collected } = await readInputs(ctx, charts, flags, command, undefined, fetcher);
      const referrers = referrersFrom(flags);
      const input = {
        images: collected.images,
        ...(referrers ? { referrers } : {}),
        charts: collected.charts,
        output: toStdout ? '-' : abs(output),
        outputName: output,
        platforms,
        concurrency,
        ...(shard ? { shard } : {}),
        ...(flags.includeSelf ? { releaseDir: releaseDir(ctx.io.env, ctx.io.cwd) } : {}),
        dryRun: flags.dryRun === true,
        ...(flags.splitSize !== undefined || flags.compress ? { packaging: { ...(flags.splitSize !== undefined ? { splitSize: parseSplitSize(flags.splitSize) } : {}), ...(flags.compress ? { compress: flags.compress } : {}) } } : {}),
        ...(flags.since ? { since: { path: abs(flags.since), name: flags.since } } : {}),
        ...(flags.keepGoing ? { keepGoing: true } : {}),
      };
      // the bundle goes to stdout once it is complete: a reader gone before that stops the run now
      const unwatch = toStdout && !flags.dryRun ? watchStdoutReader(ctx.io.stdout, () => readerGone(ctx.io.stdout)) : undefined;
      const report = await withMirrorDeps(ctx, (deps) => save(input, deps)).finally(() => unwatch?.());
      // with the bundle on stdout, the report would corrupt it: stdout carries the bundle alone
      if (report.dryRun || !toStdout) printMirrorReport(ctx, report, 'table');
    });
  });
}
