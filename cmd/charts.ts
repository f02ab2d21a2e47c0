/**
 * Chart references on the command line of images, save, sync and relocate: `oci://HOST/PATH/CHART`,
 * `REPO/CHART` (a repositories.yaml name, when no local path of that name exists) and `--repo URL
 * CHART`, with `--version` (helm's chart version: exact or a range), `--username` and
 * `--password-stdin` for an HTTP repository given by URL. `--version` after these commands reaches
 * them as `--chart-version` (version-flag.ts rewrites it: before a command it is airlift's own).
 * The fetcher is made only when a chart is remote, and closed (its temporary files removed) after
 * the command.
 */
import { Option, type Command } from 'commander';
import { UsageError } from '../src/errors.js';
import type { ChartFetcher } from '../src/chart/remote/types.js';
import { parseChartRef, type ChartRef } from '../src/chart/remote/reference.js';
import { readPassword } from '../src/stdin.js';
import type { CommandContext } from './context.js';
import { registryOptionsFromContext } from './registry-client.js';

export interface ChartRefFlags {
  repo?: string;
  chartVersion?: string;
  /** never set (argv's --version arrives as --chart-version); declared for the help text */
  version?: string;
  username?: string;
  passwordStdin?: boolean;
}

/** --repo, --version, and (unless the command uses them for something else) --username, --password-stdin. */
export function chartRefOptions(cmd: Command, o: { credentials: boolean }): Command {
  cmd
    .option('--repo <url>', 'chart repository URL (an HTTP(S) Helm repository with index.yaml, or oci://HOST/PATH): the charts are names in it, as helm --repo')
    .addOption(new Option('--version <version>', 'chart version for chart references: exact, or a range as helm takes it (1.2.x, ^1.2, >=1.2 <2); default: the newest release'))
    .addOption(new Option('--chart-version <version>').hideHelp());
  if (o.credentials) {
    cmd
      .option('--username <user>', 'user name for the --repo repository (basic auth)')
      .option('--password-stdin', 'read the --repo repository password from stdin', false);
  }
  return cmd;
}

/** The help's note on how chart arguments are read. */
export const CHART_ARGS_HELP =
  'chart directories, packaged .tgz files, oci://HOST/PATH/CHART, or REPO/CHART (a helm repo name; a local path of that name wins), or names in --repo URL';

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

/**
 * Runs `fn` with a fetcher made on first use (from the global registry options, --ca-file,
 * --insecure-skip-tls-verify and --username/--password-stdin), closed afterwards.
 */
export async function withChartFetcher<T>(ctx: CommandContext, flags: ChartRefFlags, fn: (fetcher: () => Promise<ChartFetcher>) => Promise<T>): Promise<T> {
  let made: Promise<ChartFetcher> | undefined;
  const get = (): Promise<ChartFetcher> =>
    (made ??= (async () => {
      const { createChartFetcher } = await import('../src/chart/remote/index.js');
      const password = flags.passwordStdin ? await readPassword(ctx.io.stdin, { ...(ctx.io.signal ? { signal: ctx.io.signal } : {}), hint: 'pipe the repository password in: echo "$PASS" | airlift … --password-stdin' }) : undefined;
      const g = ctx.globals();
      return createChartFetcher({
        registry: registryOptionsFromContext(ctx),
        env: ctx.io.env,
        logger: ctx.logger(),
        caFiles: g.caFile,
        insecureSkipTlsVerify: g.insecureSkipTlsVerify,
        ...(flags.username !== undefined ? { username: flags.username, ...(flags.repo ? { credentialsUrl: flags.repo } : {}) } : {}),
        ...(password !== undefined ? { password } : {}),
        ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
      });
    })());
  try {
    return await fn(get);
  } finally {
    if (made) await (await made.catch(() => undefined))?.close();
  }
}

/** Local paths for chart arguments: remote ones fetched (once) and written to the fetcher's temporary directory. */
export async function localChartPaths(refs: ChartRef[], fetcher: () => Promise<ChartFetcher>): Promise<string[]> {
  const out: string[] = [];
  for (const r of refs) {
    if (r.kind === 'local') out.push(r.path);
    else {
      const f = await fetcher();
      out.push(await f.localPath(await f.fetch(r.request)));
    }
  }
  return out;
}
