/**
 * Reading argv before commander does: which subcommand it names, whether it asks for JSON, and
 * the --version check.
 *
 * `--version` has two meanings on a command line that mixes airlift and helm habits: before any
 * subcommand it asks for airlift's own version (`airlift --version`, `-V`); after a subcommand that
 * reads charts it is helm's chart version (`helm pull CHART --version 1.2.3`). commander would answer
 * both with airlift's version and exit 0, so a CI job asking `save CHART --version 1.2.3 -o b.tar`
 * went green with no bundle. This check runs before commander sees argv.
 */
import { UsageError } from '../errors.js';

/** Global options that take a value (`--concurrency 4`), so their value is not read as the command. */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['--concurrency', '--ca-file', '--plain-http', '--auth-from-secret']);

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
export function commandNameOf(argv: readonly string[]): string | undefined {
  const i = commandIndexOf(argv);
  return i === undefined ? undefined : argv[i];
}

/** Whether --json is among the options (before any "--"): usage errors then print as JSON too. */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** The subcommands that read charts: there `--version` will select a chart version of a chart reference. */
const CHART_COMMANDS = new Set(['images', 'save', 'sync', 'relocate']);

function isVersionFlag(arg: string): boolean {
  return arg === '--version' || arg.startsWith('--version=') || arg === '-V';
}

/**
 * Throws a UsageError (exit 2) when `--version`/`-V` follows a subcommand: there it cannot mean
 * airlift's version, and airlift cannot yet fetch a chart by reference at a version.
 */
export function checkVersionFlag(argv: readonly string[]): void {
  const at = commandIndexOf(argv);
  if (at === undefined) return;
  const command = argv[at]!;
  const end = argv.indexOf('--');
  const rest = argv.slice(at + 1, end === -1 ? undefined : end);
  const i = rest.findIndex(isVersionFlag);
  if (i === -1) return;
  const flag = rest[i]!;
  const value = flag.startsWith('--version=') ? flag.slice('--version='.length) : flag === '--version' ? rest[i + 1] : undefined;
  const shown = value !== undefined && !value.startsWith('-') && flag !== '-V' ? `${flag.split('=')[0]} ${value}` : flag;
  if (CHART_COMMANDS.has(command) && flag !== '-V') {
    throw new UsageError(
      `${shown} after "${command}" is a chart version (as in helm pull CHART --version), and airlift cannot fetch charts by reference yet, so nothing would use it`,
      {
        hint: `give the chart as a directory or packaged .tgz (for example: helm pull REPO/CHART --version ${value && !value.startsWith('-') ? value : 'X.Y.Z'}, then airlift ${command} CHART-X.Y.Z.tgz); airlift's own version is "airlift --version" before any subcommand`,
      },
    );
  }
  throw new UsageError(`${shown} after "${command}": "${command}" takes no version option`, {
    hint: 'airlift\'s own version is "airlift --version" (or -V) before any subcommand',
  });
}
