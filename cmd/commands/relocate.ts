/**
 * `airlift relocate CHART... --to HOST[:PORT][/PREFIX] [-f VALUES]... [--set K=V]...
 *   [--mapping default|preserve-registry|flatten] [--digests] [--lock FILE]
 *   [--pull-secret NAME]... [--secret-out FILE --username U --password-stdin]
 *   [--namespace NS] [--emit containerd|registries-conf] [--emit-dir DIR]
 *   [--dry-run] [-o OVERRIDES.yaml]`
 * Writes the values overrides that point the charts at the mirror (stdout
 * with `-o -` or no -o), and optionally the pull Secret and runtime mirror
 * files. Everything is computed before anything is written.
 */
import { Command, Option } from 'commander';
import { UsageError } from '../../src/errors.js';
import { checkRelocateFlags } from '../../src/relocate/check-flags.js';
import { relocate, type RelocateOptions } from '../../src/relocate/run.js';
import { readPassword } from '../../src/stdin.js';
import type { CommandContext } from '../context.js';
import { registryClientFromContext } from '../registry-client.js';
import { CHART_ARGS_HELP, chartRefOptions, chartRefs, type ChartRefFlags } from '../../src/cli/chart-refs.js';
import { CHART_VALUE_OPTIONS, SCAN_OPTIONS } from '../../src/cli/options.js';
import { withLocalCharts } from '../charts.js';
import { addOptions, collect } from '../options.js';

type RelocateFlags = RelocateOptions & ChartRefFlags;

export function registerRelocate(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('relocate')
    .description('write values overrides (and a pull Secret) that make the charts pull every image from the mirror')
    .argument('<chart...>', `${CHART_ARGS_HELP} (credentials for an HTTP repository from helm repositories.yaml: --username is the mirror's here)`);
  addOptions(cmd, CHART_VALUE_OPTIONS, chartRefOptions({ credentials: false }))
    .requiredOption('--to <target>', 'the mirror: HOST[:PORT][/PREFIX]')
    .option('--mapping <mode>', 'where images land under the target: default, preserve-registry or flatten (as used for load/sync)', 'default')
    .option('--digests', 'pin every image to the digest stored in the mirror (from --lock, else asked from the mirror)', false)
    .option('--lock <file>', 'lock written by load/sync (--lock-out): the digests to pin with --digests')
    .option('--pull-secret <name>', 'image pull Secret to set in global.imagePullSecrets and every pull-secret list the charts read (repeatable)', collect, [])
    .option('--secret-out <file>', 'write a kubernetes.io/dockerconfigjson Secret for the mirror (needs --username and --password-stdin)')
    .option('--username <user>', 'mirror user name for --secret-out')
    .option('--password-stdin', 'read the mirror password for --secret-out from stdin', false)
    .option('--namespace <ns>', 'namespace of the Secret written by --secret-out')
    .addOption(new Option('--emit <kind>', 'also write runtime mirror configuration').choices(['containerd', 'registries-conf']))
    .option('--emit-dir <dir>', 'directory for --emit files (containerd: <dir>/<source-host>/hosts.toml; registries-conf: <dir>/registries.conf)')
    .option('--dry-run', 'print the plan and write nothing', false)
    .addOption(new Option('--plan-format <format>', 'format of the --dry-run plan').choices(['text', 'yaml']).default('text'))
    .option('-o, --output <file>', 'overrides file to write ("-" or none: stdout)')
    .option('--no-annotations', 'ignore the image annotations of Chart.yaml');
  addOptions(cmd, SCAN_OPTIONS)
    .option('--check', 'render the charts with your values plus the overrides (helm template) and check that every image is under the mirror and every pod has the pull secret; exit 12 when not', false)
    .option('--helm <path>', 'helm binary for --check (default: helm on PATH)')
    .option('--kube-version <version>', 'Kubernetes version --check renders for (helm template --kube-version), e.g. v1.34.0')
    .option('--strict', 'exit 12 (E_INCOMPLETE) when an image is left at its source (not relocatable by values, or nothing relocated)', false)
    .option('--report <file>', 'write a JSON report: images relocated, images left and why, pull secrets, gates opened, --check problems ("-": stdout, when the overrides go to a file)')
    .action(async (charts: string[], flags: RelocateFlags) => {
      checkRelocateFlags(flags);
      if (charts.includes('-')) throw new UsageError('relocate needs charts, not rendered manifests ("-")', { hint: 'give chart directories or .tgz files' });
      const g = ctx.globals();
      const { repo, chartVersion, version: _unused, ...relocateFlags } = flags;
      const refs = chartRefs(charts, { ...(repo ? { repo } : {}), ...(chartVersion ? { chartVersion } : {}) }, ctx.io.cwd);
      await withLocalCharts(ctx, {}, refs, flags, async (local, dependencies, chartLabels) => {
        await relocate(
          { ...relocateFlags, charts: local, chartLabels, cwd: ctx.io.cwd, ...(g.caFile[0] !== undefined ? { caFile: g.caFile[0] } : {}), plainHttp: g.plainHttp, json: g.json },
          {
            log: ctx.logger(),
            stdout: (text) => ctx.io.stdout.write(text),
            stderr: (text) => ctx.io.stderr.write(text),
            password: () => readPassword(ctx.io.stdin, { ...(ctx.io.signal ? { signal: ctx.io.signal } : {}), hint: 'pipe the mirror password into the command' }),
            registryClient: () => registryClientFromContext(ctx),
            env: { ...process.env, ...ctx.io.env },
            ...(dependencies ? { dependencies } : {}),
            ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
          },
        );
      });
    });
}
