/**
 * `--version` has two meanings on a command line that mixes airlift and helm habits: before any
 * subcommand it asks for airlift's own version (`airlift --version`, `-V`); after a subcommand that
 * reads charts it is helm's chart version (`helm pull CHART --version 1.2.3`). commander would answer
 * both with airlift's version and exit 0, so a CI job asking `save CHART --version 1.2.3 -o b.tar`
 * went green with no bundle. This check runs before commander sees argv.
 */
import { UsageError } from '../src/errors.js';
import { commandIndexOf } from './commands/index.js';

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
