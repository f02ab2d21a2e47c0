/** Flags several subcommands share, defined once so their names and help read the same everywhere. */
import type { ChartValueOptions } from '../src/chart/types.js';
import type { Command } from 'commander';

/** commander's accumulator for repeatable flags. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** What chartValuesOptions adds to a command's parsed flags. */
export type ChartValueFlags = ChartValueOptions;

/** What imageListOptions adds to a command's parsed flags. */
export interface ImageListFlags {
  image: string[];
  imagesFile: string[];
}

/** The chart-value flags as scan options: files resolved with `abs`, --set-file paths from the working directory `cwd`. */
export function scanValueOptions(flags: ChartValueFlags, abs: (p: string) => string, cwd: string) {
  return {
    valuesFiles: flags.values.map(abs),
    set: flags.set,
    setString: flags.setString,
    setJson: flags.setJson,
    setFile: flags.setFile,
    baseDir: cwd,
    enabledOnly: flags.enabledOnly,
    allValues: flags.allValues,
  };
}

/** Chart values, as helm takes them: -f, --set, --set-string, --set-json, --set-file, and --enabled-only for conditional subcharts. */
export function chartValuesOptions(cmd: Command): Command {
  return cmd
    .option('-f, --values <file>', 'values file for the charts, as helm -f (repeatable; later files win)', collect, [])
    .option('--set <key=value>', 'set chart values as helm --set (repeatable)', collect, [])
    .option('--set-string <key=value>', 'set chart string values as helm --set-string (repeatable)', collect, [])
    .option('--set-json <key=json>', 'set chart values to JSON values as helm --set-json (repeatable)', collect, [])
    .option('--set-file <key=path>', "set chart values to a file's content as helm --set-file (repeatable)", collect, [])
    .option('--enabled-only', 'leave out images of subcharts disabled by their condition or tags', false)
    .option(
      '--all-values',
      'also take images set in values that the templates, rendered with these values, do not use (disabled components and subcharts)',
      false,
    )
    .option('--skip-missing-deps', 'a Chart.yaml dependency that is not under charts/ and cannot be fetched is a warning (listed in the output) instead of an error', false)
    .option('--no-fetch-deps', 'fetch no dependency: read only those vendored under charts/ (the images of the others are only what the parent values set)');
}

/** Images named directly instead of (or besides) charts. */
export function imageListOptions(cmd: Command, what: string): Command {
  return cmd
    .option('--image <ref>', `${what} (repeatable)`, collect, [])
    .option('--images-file <file>', 'a file with one image reference per line (repeatable)', collect, []);
}
