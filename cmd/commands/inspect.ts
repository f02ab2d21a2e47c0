/**
 * `airlift inspect BUNDLE [-o table|json|yaml]`: what a bundle holds (src/bundle/inspect.ts), read
 * from its index, manifests and lock, never its layers.
 */
import path from 'node:path';
import { Option, type Command } from 'commander';
import { stringify } from 'yaml';
import { inspectBundle, inspectTable } from '../../src/bundle/inspect.js';
import type { CommandContext } from '../context.js';

export function registerInspect(program: Command, ctx: CommandContext): void {
  program
    .command('inspect')
    .description('list what a bundle holds: images (platforms, sizes, attachments), charts, totals and shared blobs, how it is stored; reads no layer')
    .argument('<bundle>', 'a bundle (tar, .parts or part .000, .tar.gz / .tar.zst) or an OCI layout directory')
    .addOption(new Option('-o, --output <format>', 'report format on stdout').choices(['table', 'json', 'yaml']).default('table'))
    .action(async (bundle: string, flags: { output: 'table' | 'json' | 'yaml' }) => {
      const report = await inspectBundle({ bundle: path.resolve(ctx.io.cwd, bundle), where: bundle });
      ctx.io.stdout.write(flags.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : flags.output === 'yaml' ? stringify(report) : inspectTable(report));
    });
}
