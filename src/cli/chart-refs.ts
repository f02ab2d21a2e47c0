/**
 * Chart references on the command line of images, save, sync and relocate: `oci://HOST/PATH/CHART`,
 * `REPO/CHART` (a repositories.yaml name, when no local path of that name exists) and `--repo URL
 * CHART`, with `--version` (helm's chart version: exact or a range), `--username` and
 * `--password-stdin` for an HTTP repository given by URL. `--version` after these commands reaches
 * them as `--chart-version` (argv.ts rewrites it: before a command it is airlift's own).
 */
import { UsageError } from '../errors.js';
import { parseChartRef, type ChartRef } from '../chart/remote/reference.js';
import type { ChartValueOptions } from '../chart/types.js';
import type { ChartInput } from '../copy/inputs.js';
import type { OptionSpec } from './options.js';

export interface ChartRefFlags {
  repo?: string;
  chartVersion?: string;
  /** never set (argv's --version arrives as --chart-version); declared for the help text */
  version?: string;
  username?: string;
  passwordStdin?: boolean;
}

/** --repo, --version, and (unless the command uses them for something else) --username, --password-stdin. */
export const chartRefOptions = (o: { credentials: boolean }): OptionSpec[] => [
  { flags: '--repo <url>', description: 'chart repository URL (an HTTP(S) Helm repository with index.yaml, or oci://HOST/PATH): the charts are names in it, as helm --repo' },
  { flags: '--version <version>', description: 'chart version for chart references: exact, or a range as helm takes it (1.2.x, ^1.2, >=1.2 <2); default: the newest release' },
  { flags: '--chart-version <version>' },
  ...(o.credentials
    ? [
        { flags: '--username <user>', description: 'user name for the --repo repository (basic auth)' },
        { flags: '--password-stdin', description: 'read the --repo repository password from stdin', default: false },
      ]
    : []),
];

/** The help's note on how chart arguments are read. */
export const CHART_ARGS_HELP =
  'chart directories, packaged .tgz files, oci://HOST/PATH/CHART, or REPO/CHART (a helm repo name; a local path of that name wins), or names in --repo URL';

/** The chart arguments as references; a flag that does not fit them is a usage error. */
export function chartRefs(args: string[], flags: ChartRefFlags, cwd: string): ChartRef[] {
  if (flags.username !== undefined && !flags.passwordStdin) throw new UsageError('--username needs --password-stdin', { hint: 'pipe the repository password in: echo "$PASS" | airlift … --repo URL --username U --password-stdin' });
  if (flags.passwordStdin && !flags.repo) throw new UsageError('--password-stdin is for the --repo repository', { hint: 'add --repo URL, or keep the credentials in helm repositories.yaml (helm repo add --username)' });
  if (flags.passwordStdin && flags.username === undefined) throw new UsageError('--password-stdin needs --username');
  const version = flags.chartVersion;
  const refs = args.map((a) => {
    if (a === '-') return { kind: 'local' as const, path: '-' };
    try {
      return parseChartRef(a, { cwd, ...(flags.repo ? { repo: flags.repo } : {}), ...(version ? { version } : {}) });
    } catch (err) {
      // a command-line mistake (--version on a local chart, a path given with --repo): exit 2
      throw new UsageError((err as Error).message, { ...((err as { hint?: string }).hint ? { hint: (err as { hint: string }).hint } : {}) });
    }
  });
  if (flags.repo && refs.length === 0) throw new UsageError('--repo needs a chart name', { hint: `write --repo ${flags.repo} CHART` });
  if (version && !refs.some((r) => r.kind === 'remote')) {
    throw new UsageError(`--version ${version} applies to a chart from a repository, and no chart given is one`, { hint: 'name the chart as oci://HOST/PATH/CHART, REPO/CHART or --repo URL CHART' });
  }
  return refs;
}

/** Chart arguments (paths or references) with -f/--set as inputs to collectImages (save, sync). */
export function chartInputs(charts: string[], flags: Pick<ChartValueOptions, 'values' | 'set' | 'setString' | 'setJson' | 'setFile'> & ChartRefFlags, abs: (p: string) => string): ChartInput[] {
  return chartRefs(charts, flags, abs('.')).map((r, i) => ({
    ...(r.kind === 'local' ? { path: r.path } : { path: charts[i]!, remote: r.request }),
    values: flags.values.map(abs),
    set: flags.set,
    setString: flags.setString,
    setJson: flags.setJson,
    setFile: flags.setFile,
    baseDir: abs('.'),
  }));
}
