/**
 * `airlift verify BUNDLE [-o table|json]`: re-hashes every blob of a bundle and
 * checks that every image's manifests, children, config and layers are there
 * with the right sizes (and the charts match the lock).
 * `airlift verify --to HOST[:PORT][/PREFIX] [--mapping MODE] BUNDLE`: checks that
 * the registry holds every image of the bundle with the same digest.
 * Exits non-zero, naming the bad blobs and images, when anything is wrong.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { formatVerifyRows } from '../../src/bundle/verify-format.js';
import { verifyBundle, verifyRegistry, type VerifyReport } from '../../src/bundle/verify-run.js';
import type { CommandContext } from '../context.js';
import { boundHeapGrowth } from '../heap.js';
import { withMirrorDeps } from '../mirror.js';

interface VerifyFlags {
  to?: string;
  mapping: string;
  output: 'table' | 'json';
}

export function registerVerify(program: Command, ctx: CommandContext): void {
  program
    .command('verify')
    .description('check a bundle (every blob re-hashed, every reference present), or with --to that a registry holds its images')
    .argument('<bundle>', 'a bundle written by airlift save, or an OCI layout directory')
    .option('--to <HOST[:PORT][/PREFIX]>', 'check this registry instead of the bundle itself')
    .option('--mapping <mode>', 'the mapping the bundle was loaded with', 'default')
    .addOption(new Option('-o, --output <format>', 'report format on stdout').choices(['table', 'json']).default('table'))
    .action(async (bundleArg: string, flags: VerifyFlags) => {
      const input = { bundle: path.resolve(ctx.io.cwd, bundleArg), where: bundleArg, concurrency: ctx.globals().concurrency };
      const { to, mapping } = flags;
      boundHeapGrowth();
      const report: VerifyReport = !to
        ? await verifyBundle(input, ctx.io.signal ? { signal: ctx.io.signal } : {})
        : await withMirrorDeps(ctx, ({ pool }) => verifyRegistry({ ...input, to, mapping }, { pool }));
      ctx.io.stdout.write(formatVerifyRows(report.rows, flags.output));
      if (report.summary) ctx.logger().log('info', report.summary);
      if (report.error) throw report.error;
    });
}
