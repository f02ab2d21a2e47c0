/**
 * Reading argv before commander does: which subcommand it names, whether it asks for JSON, and
 * the --version check.
 *
 * `--version` has two meanings on a command line that mixes airlift and helm habits: before any
 * subcommand it asks for airlift's own version (`airlift --version`, `-V`); after a subcommand that
 * reads charts it is helm's chart version (`helm pull CHART --version 1.2.3`). commander would answer
 * both with airlift's version and exit 0, so a CI job asking `save CHART --version 1.2.3 -o b.tar`
 * went green with no bundle. This check runs before commander sees argv, and hands a chart command's
 * `--version` on as `--chart-version` (src/cli/chart-refs.ts).
 */
import { UsageError } from '../errors.js';

/**
 * Global options that take a value (`--concurrency 4`), so their value is not read as the command
 * (src/cli/options.ts's GLOBAL_OPTIONS; test/unit/cli/startup.test.ts checks the two agree).
 */
export const GLOBAL_OPTIONS_WITH_VALUE: ReadonlySet<string> = new Set(['--concurrency', '--ca-file', '--plain-http', '--auth-from-secret', '--min-rate', '--min-rate-window']);

/** The index in argv of the subcommand, skipping global options and their values; undefined when none is named. */
export function commandIndexOf(argv: readonly string[]): number | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return undefined;
    if (a.startsWith('-')) {
      if (GLOBAL_OPTIONS_WITH_VALUE.has(a)) i++;
      continue;
    }
    return i;
  }
  return undefined;
}

/** The subcommand named by argv, skipping global options and their values; undefined when none is named. */
/**
 * Whether node was started with a flag whose name holds `name` (on its command line or in
 * NODE_OPTIONS): V8 flags airlift sets at run time are left as given there.
 */
export function nodeFlagGiven(name: string): boolean {
  return `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`.includes(name);
}

export function commandNameOf(argv: readonly string[]): string | undefined {
  const i = commandIndexOf(argv);
  return i === undefined ? undefined : argv[i];
}

/** Whether --json is among the options (before any "--"): usage errors then print as JSON too. */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * Whether airlift's own version flag (`--version`, `-V`) is among the global options, as commander
 * reads them: before any "--" and not the value of a global option that takes one
 * (`--plain-http --version` names a host).
 */
export function asksVersion(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return false;
    if (a === '--version' || a === '-V') return true;
    if (GLOBAL_OPTIONS_WITH_VALUE.has(a)) i++;
  }
  return false;
}

/** The subcommands that read charts: there `--version` selects the version of a chart reference. */
const CHART_COMMANDS = new Set(['images', 'save', 'sync', 'relocate']);

function isVersionFlag(arg: string): boolean {
  return arg === '--version' || arg.startsWith('--version=') || arg === '-V';
}

/**
 * The argv commander is to parse: after a chart command (images, save, sync, relocate) `--version V`
 * (or `--version=V`) is the chart version, passed on as `--chart-version` (commander would take
 * `--version` anywhere as airlift's own). After any other command, or `-V` after any command, it is
 * a UsageError (exit 2): it cannot mean airlift's version there.
 */
export function checkVersionFlag(argv: readonly string[]): string[] {
  const at = commandIndexOf(argv);
  if (at === undefined) return [...argv];
  const command = argv[at]!;
  const end = argv.indexOf('--');
  const stop = end === -1 ? argv.length : end;
  const rest = argv.slice(at + 1, stop);
  const chart = CHART_COMMANDS.has(command);
  const i = rest.findIndex((a) => isVersionFlag(a) && !(chart && a !== '-V'));
  if (i === -1) {
    if (!chart) return [...argv];
    return argv.map((a, j) => (j > at && j < stop ? (a === '--version' ? '--chart-version' : a.startsWith('--version=') ? `--chart-version=${a.slice('--version='.length)}` : a) : a));
  }
  const flag = rest[i]!;
  const value = flag.startsWith('--version=') ? flag.slice('--version='.length) : flag === '--version' ? rest[i + 1] : undefined;
  const shown = value !== undefined && !value.startsWith('-') && flag !== '-V' ? `${flag.split('=')[0]} ${value}` : flag;
  if (chart) {
    throw new UsageError(`-V after "${command}" is airlift's own version flag, which goes before any subcommand`, {
      hint: `a chart version is --version X.Y.Z after "${command}"; airlift's own version is "airlift --version" before any subcommand`,
    });
  }
  throw new UsageError(`${shown} after "${command}": "${command}" takes no version option`, {
    hint: 'airlift\'s own version is "airlift --version" (or -V) before any subcommand',
  });
}
