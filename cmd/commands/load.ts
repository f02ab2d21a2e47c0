/**
 * `airlift load BUNDLE --to HOST[:PORT][/PREFIX] [--mapping MODE] [--lock-out FILE] [--dry-run] [-o table|json]`
 * Pushes every image and chart of a bundle into one registry (src/mirror/load.ts) and reports
 * on stdout what landed where.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import type { ReportFormat } from '../../src/copy/report.js';
import { UsageError } from '../../src/errors.js';
import { parseMappingMode, parseTarget } from '../../src/mapping/index.js';
import { load } from '../../src/mirror/load.js';
import { parseShard } from '../../src/shard/index.js';
import type { CommandContext } from '../context.js';
import { referrerOptions, referrersFrom, type ReferrersFlags } from '../../src/cli/referrers.js';
import { printMirrorReport, withMirrorDeps } from '../mirror.js';
import { addOptions } from '../options.js';

interface LoadFlags extends ReferrersFlags {
  to?: string;
  mapping?: string;
  lockOut?: string;
  shard?: string;
  dryRun?: boolean;
  keepGoing?: boolean;
  output: ReportFormat;
}

export function registerLoad(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('load')
    .description('push every image and chart of a bundle into a registry (needs no other network access)')
    .argument('<bundle>', 'a bundle written by airlift save, or an OCI layout directory')
    .option('--to <HOST[:PORT][/PREFIX]>', 'the registry to push to, with an optional repository prefix')
    .option('--mapping <mode>', 'default (drop the source registry), preserve-registry, or flatten', 'default')
    .option('--lock-out <file>', 'write airlift.lock.json with every image and chart and where it landed')
    .option('--shard <I/N>', 'load only shard I of N (0 <= I < N) of the bundle, split by image; the charts go with shard 0')
    .option('--keep-going', 'copy every image that can be copied, list the failures (reference, error code, message; and under missing in --lock-out) and exit 12')
    .option('--dry-run', 'print what would be pushed to where, and push nothing')
    .addOption(new Option('-o, --output <format>', 'report format on stdout').choices(['table', 'json']).default('table'));
  addOptions(cmd, referrerOptions(false)).action(async (bundle: string, flags: LoadFlags) => {
    if (!flags.to) throw new UsageError('load needs a destination: --to HOST[:PORT][/PREFIX]');
    const target = parseTarget(flags.to);
    const shard = flags.shard === undefined ? undefined : parseShard(flags.shard);
    const mapping = parseMappingMode(flags.mapping ?? 'default');
    const abs = (p: string): string => path.resolve(ctx.io.cwd, p);
    const referrers = referrersFrom(flags);
    const input = { bundle: abs(bundle), name: bundle, target, mapping, ...(referrers ? { referrers } : {}), ...(shard ? { shard } : {}), ...(flags.lockOut ? { lockOut: abs(flags.lockOut) } : {}), dryRun: flags.dryRun === true, ...(flags.keepGoing ? { keepGoing: true } : {}) };
    printMirrorReport(ctx, await withMirrorDeps(ctx, (deps) => load(input, deps)), flags.output);
  });
}
