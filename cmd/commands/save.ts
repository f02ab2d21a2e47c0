/**
 * `airlift save [CHART...] [--image REF]... [--images-file FILE]... [-f VALUES]...
 *   [--set K=V]... [--platform P]... [--config airlift.yaml] -o BUNDLE.tar`
 * Copies every image the charts need into one bundle: an OCI image layout in a
 * tar (each blob once), each image named by its full source reference, plus
 * the charts as packaged .tgz and airlift.lock.json. The bundle is staged next
 * to the output and renamed into place when complete; an interrupted run,
 * run again, reuses what was fetched.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { chartFileName, packageChartDir } from '../../src/bundle/charts.js';
import { lockFiles, readRelease, releaseDir } from '../../src/bundle/self.js';
import { formatReport, rowFor } from '../../src/copy/report.js';
import { sha256 } from '../../src/digest/index.js';
import { openOciArchiveDestination } from '../../src/endpoint/oci-archive.js';
import { InterruptedError, UsageError, toAirliftError, withHint } from '../../src/errors.js';
import { formatLock } from '../../src/lock/io.js';
import { formatPlan, planJobs, planLock } from '../../src/mirror/build.js';
import { planMirror, shardNote } from '../../src/mirror/plan.js';
import type { LockChart } from '../../src/lock/types.js';
import { formatShard, parseShard } from '../../src/shard/index.js';
import type { CommandContext } from '../context.js';
import { VERSION } from '../../src/version.js';
import { readInputs } from '../inputs.js';
import { endpointPool, platformOption, runJobs, throwIfFailed } from '../mirror.js';
import { chartValuesOptions, imageListOptions, type ChartValueFlags, type ImageListFlags } from '../options.js';

interface SaveFlags extends ChartValueFlags, ImageListFlags {
  config?: string;
  platform: string[];
  output?: string;
  shard?: string;
  includeSelf?: boolean;
  dryRun?: boolean;
}

export function registerSave(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('save')
    .description('copy every image of the charts (and --image) into one bundle tarball with the charts and a lock file')
    .argument('[chart...]', 'chart directories or packaged .tgz files');
  imageListOptions(chartValuesOptions(cmd), 'an extra image to save')
    .option('--config <file>', 'airlift.yaml naming charts, images and platforms')
    .option('-o, --output <bundle.tar>', 'the bundle to write (- for stdout; a FIFO or device is written into)')
    .option('--shard <I/N>', 'save only shard I of N (0 <= I < N), split by image; the charts go into shard 0')
    .option('--dry-run', 'print what would be saved (the chart images, each under its full reference), and write nothing')
    .option('--include-self', 'also put airlift itself into the bundle (airlift/: airlift.mjs, the single executables, SHA256SUMS from `npm run release`; or from $AIRLIFT_RELEASE_DIR), so the bundle carries its own importer (with --shard: in shard 0, as the charts)');
  platformOption(cmd).action(async (charts: string[], flags: SaveFlags, command: Command) => {
    if (!flags.output) throw new UsageError('save needs -o BUNDLE.tar (a file; the bundle is renamed into place when complete; - writes it to stdout)');
    const toStdout = flags.output === '-';
    if (toStdout && ctx.io.stdoutIsTTY) {
      throw new UsageError('save -o - would write a tar archive to the terminal', { hint: 'redirect it (> bundle.tar) or pipe it into another command, or give -o BUNDLE.tar' });
    }
    const shard = flags.shard === undefined ? undefined : parseShard(flags.shard);
    const { abs, platforms, concurrency, collected } = await readInputs(ctx, charts, flags, command);
    const out = toStdout ? '-' : abs(flags.output);
    // The release files are checked before any image is fetched: a missing one fails at once.
    // With --shard they go into shard 0, as the charts do.
    const self = flags.includeSelf && (!shard || shard.index === 0) ? await readRelease(releaseDir(ctx.io.env, ctx.io.cwd), ctx.io.signal) : [];
    const plan = planMirror({ images: collected.images, target: { kind: 'bundle', name: `oci-archive:${flags.output}` }, ...(shard ? { shard } : {}) });
    const note = shardNote(plan);
    if (note) ctx.logger().log('info', note, { shard: formatShard(shard!), images: plan.images, total: plan.total });
    if (flags.dryRun) {
      ctx.io.stdout.write(formatPlan(plan, 'table'));
      return;
    }

    const regs = endpointPool(ctx);
    const dest = await openOciArchiveDestination(out, { stdout: ctx.io.stdout });
    try {
      const jobs = planJobs(plan, (c) => regs.source(c.from.registry!), dest);
      const results = await runJobs(ctx, jobs, { verb: 'saving', platforms, concurrency });
      throwIfFailed(results, 'saved');

      // Charts, packaged; the same chart named twice is stored once.
      const lockCharts = new Map<string, LockChart>();
      for (const ch of shard && shard.index !== 0 ? [] : collected.charts) {
        const file = chartFileName(ch.name, ch.version);
        if (lockCharts.has(file)) continue;
        const tgz = ch.packaged ? await readFile(ch.path) : await packageChartDir(ch.path, ch.name);
        dest.addFile(file, tgz);
        lockCharts.set(file, { name: ch.name, version: ch.version, file, digest: sha256(tgz) });
      }
      for (const f of self) dest.addFile(f.file, f.path, { executable: f.executable });
      const lock = planLock(plan, results, { generator: `airlift ${VERSION}`, charts: [...lockCharts.values()], files: lockFiles(self) });
      dest.addFile('airlift.lock.json', Buffer.from(formatLock(lock), 'utf8'));
      ctx.io.signal?.throwIfAborted();
      await dest.commit(ctx.io.signal);
      const rows = results.map((r, i) => rowFor(r, plan.copies[i]!.source, plan.copies[i]!.destination));
      // with the bundle on stdout, the report would corrupt it: stdout carries the bundle alone
      if (!toStdout) ctx.io.stdout.write(formatReport(rows, 'table'));
      ctx.logger().log('info', `wrote ${toStdout ? 'the bundle to stdout' : flags.output}: ${lock.images.length} images, ${lockCharts.size} charts${self.length ? `, airlift itself (${self.map((f) => f.file).join(', ')})` : ''}`);
    } catch (err) {
      // Nothing is at the output path; say where the fetched blobs wait for a re-run, and how to drop them.
      const staging = dest.stagingDir;
      const kept = await stat(staging).then(
        (s) => s.isDirectory(),
        () => false,
      );
      const resume = `what was fetched stays in ${staging}: run the same save again to resume, or remove it with rm -r ${staging}`;
      const stopped = err instanceof InterruptedError ? err : ctx.io.signal?.aborted ? ctx.io.signal.reason : undefined;
      if (stopped instanceof InterruptedError) {
        throw new InterruptedError(stopped.signal, {
          cause: err,
          hint: `no bundle was written at ${flags.output}; ${resume}`,
        });
      }
      if (kept) throw withHint(toAirliftError(err), `no bundle was written at ${flags.output}; ${resume}`);
      throw err;
    } finally {
      await dest.close();
      await regs.close();
    }
  });
}
