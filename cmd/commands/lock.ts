/**
 * `airlift lock merge A.json B.json ... -o OUT.json`: one lock from the locks of
 * several shard workers or runs.
 * `airlift lock diff OLD NEW [-o text|json]`: images and charts added, removed and changed.
 * Both exit 0 when they could do their job, whatever the diff says; `lock diff
 * --exit-code` exits 1 when the locks differ (as `git diff --exit-code`).
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { diffLocks, diffSummary, formatDiffText, isEmptyDiff } from '../../src/lock/diff.js';
import { formatLock, readLock } from '../../src/lock/io.js';
import { mergeLockFiles } from '../../src/lock/merge-files.js';
import type { CommandContext } from '../context.js';

export function registerLock(program: Command, ctx: CommandContext): void {
  const lock = program.command('lock').description('combine and compare airlift.lock.json files');

  lock
    .command('merge')
    .description('merge lock files (e.g. one per --shard worker) into one; conflicting digests for the same image are an error')
    .argument('<lock...>', 'lock files to merge')
    .option('-o, --output <file>', 'write the merged lock here (atomically) instead of stdout')
    .action(async (files: string[], opts: { output?: string }) => {
      const file = opts.output && opts.output !== '-' ? path.resolve(ctx.io.cwd, opts.output) : undefined;
      const merged = await mergeLockFiles(files, file);
      if (file) {
        ctx.logger().log('info', `merged ${files.length} lock(s), ${merged.images.length} image(s), into ${opts.output}`, {
          files: files.length,
          images: merged.images.length,
          output: opts.output,
        });
      } else {
        ctx.io.stdout.write(formatLock(merged));
      }
    });

  lock
    .command('diff')
    .description('list images and charts added (+), removed (-) and changed (~) between two lock files')
    .argument('<old>', 'the earlier lock')
    .argument('<new>', 'the later lock')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--exit-code', 'exit 1 when the locks differ, 0 when they do not (as git diff --exit-code)', false)
    .action(async (oldFile: string, newFile: string, opts: { output: 'text' | 'json'; exitCode: boolean }) => {
      const d = diffLocks(await readLock(oldFile), await readLock(newFile));
      if (opts.output === 'json') ctx.io.stdout.write(`${JSON.stringify(d, null, 2)}\n`);
      else ctx.io.stdout.write(formatDiffText(d));
      const { message, fields } = diffSummary(d, oldFile, newFile);
      ctx.logger().log('info', message, fields);
      if (opts.exitCode && !isEmptyDiff(d)) ctx.exitCode = 1;
    });
}
