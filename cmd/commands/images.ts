/**
 * `airlift images CHART... [-f VALUES]... [--set K=V]... [--set-string K=V]...
 *   [--enabled-only] [--no-annotations] [--no-templates] [--no-builtin-hints]
 *   [--hints FILE] [-o table|list|json|yaml] [--hosts] [--strict]`
 * Lists every image the charts need. CHART "-" reads rendered manifests from
 * stdin (`helm template … | airlift images -`).
 * The chart's templates are rendered with the values (as `helm template` does)
 * and are the judge: images only set in values that no rendered pod uses are
 * left out (unless --all-values), and images the templates compute are listed
 * as rendered. Malformed references and warnings (a template airlift cannot
 * render, a chart whose pods name no image found) are listed on stderr (and
 * under "errors"/"warnings" in JSON/YAML); the valid images still go to stdout
 * and the exit code is 0, unless --strict, which exits with E_INPUT's code.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { listImages } from '../../src/chart/list.js';
import { InputError, UsageError } from '../../src/errors.js';
import type { CommandContext } from '../context.js';
import { manifestsFromStdin } from '../../src/stdin.js';
import { CHART_ARGS_HELP, chartRefOptions, chartRefs, type ChartRefFlags } from '../../src/cli/chart-refs.js';
import { CHART_VALUE_OPTIONS, SCAN_OPTIONS, scanValueOptions, type ChartValueFlags } from '../../src/cli/options.js';
import { withLocalCharts } from '../charts.js';
import { addOptions } from '../options.js';

interface ImagesFlags extends ChartValueFlags, ChartRefFlags {
  annotations: boolean;
  templates: boolean;
  builtinHints: boolean;
  hints?: string;
  output?: 'table' | 'list' | 'json' | 'yaml';
  hosts: boolean;
  strict: boolean;
}

export function registerImages(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('images')
    .description('list every image the charts need, and where each is set (CHART "-" reads `helm template` output from stdin)')
    .argument('<chart...>', `${CHART_ARGS_HELP}, or - for rendered manifests on stdin`);
  addOptions(cmd, CHART_VALUE_OPTIONS, chartRefOptions({ credentials: true }), { flags: '--no-annotations', description: 'ignore the image annotations of Chart.yaml (artifacthub.io/images, images, helm.sh/images)' }, SCAN_OPTIONS)
    .addOption(new Option('-o, --output <format>', 'output format (default: table on a terminal, list otherwise)').choices(['table', 'list', 'json', 'yaml']))
    .option('--hosts', 'print only the registry hosts the images come from and the hosts airlift connects to for them (for firewall allowlists; Docker Hub: registry-1.docker.io, auth.docker.io, production.cloudflare.docker.com)', false)
    .option('--strict', 'exit with an error when any image reference is malformed, or the templates could not be checked (see the warnings)', false)
    .action(async (charts: string[], flags: ImagesFlags) => {
      const cwd = ctx.io.cwd;
      const abs = (p: string): string => (p === '-' ? p : path.resolve(cwd, p));
      if (charts.includes('-') && flags.passwordStdin) throw new UsageError('"-" and --password-stdin both read stdin', { hint: 'keep the repository credentials in helm repositories.yaml (helm repo add --username), or render the manifests into a file' });
      if (charts.includes('-') && flags.repo) throw new UsageError('"-" (rendered manifests) cannot be a chart of --repo');
      const refs = chartRefs(charts, flags, cwd);
      await withLocalCharts(ctx, flags, refs, flags, async (local, dependencies, chartLabels) => {
        const stdin = await manifestsFromStdin(charts, ctx.io.stdin, ctx.io.signal);
        // `helm template BROKEN | airlift images -`: helm's error is on stderr and stdin is empty; an empty list and exit 0 would hide it
        if (stdin !== undefined && stdin.trim() === '') {
          throw new InputError('"-": stdin is empty, there are no rendered manifests to list images from', {
            hint: 'pipe rendered manifests into it (helm template RELEASE CHART | airlift images -); if the command before the pipe failed, see its error above',
          });
        }
        const r = await listImages(
          {
            ...(dependencies ? { dependencies } : {}),
            charts: local, chartLabels,
            ...scanValueOptions(flags, abs, cwd),
            annotations: flags.annotations,
            templates: flags.templates,
            builtinHints: flags.builtinHints,
            ...(flags.hints ? { hintsFile: abs(flags.hints) } : {}),
            ...(stdin !== undefined ? { stdin } : {}),
            hosts: flags.hosts,
            format: flags.output ?? (ctx.io.stdoutIsTTY ? 'table' : 'list'),
            strict: flags.strict,
          },
          ctx.io.signal ? { signal: ctx.io.signal } : {},
        );
        ctx.io.stdout.write(r.output);
        if (r.leftOut > 0) {
          ctx.logger().log('info', `left out ${r.leftOut} image(s) set in values that the templates do not use with these values (disabled components or subcharts); --all-values lists them`);
        }
        if (r.warnings || r.errors) ctx.io.stderr.write(r.warnings + r.errors);
        if (r.error) throw r.error;
        const result = r.result;
        ctx.logger().log('debug', `${result.images.length} image(s) from ${result.charts.length} chart(s)`, {
          images: result.images.length,
          charts: result.charts.length,
          errors: result.errors.length,
        });
      });
    });
}
