/**
 * Flags several commands share, declared once as data so their names, defaults and help read the
 * same everywhere; cmd/options.ts adds them to a commander command in the order given. A `parse`
 * throws an Error whose message commander reports as the flag's invalid argument.
 */
import { DEFAULT_MIN_RATE, DEFAULT_RATE_WINDOW_MS } from '../copy/stall.js';
import type { ChartValueOptions } from '../chart/types.js';
import { parseConcurrency, parsePlainHttpHost, parseRate, parseWindow } from './units.js';

export interface OptionSpec {
  /** commander's flags text: `-f, --values <file>`, `--no-referrers`, `--dry-run`. */
  flags: string;
  /** Absent: hidden from the help. */
  description?: string;
  default?: string | number | boolean;
  /** How the help shows the default (`1KiB` for a rate held in bytes). */
  defaultText?: string;
  /** Repeatable: every value collected into a list (default: an empty one). */
  repeatable?: boolean;
  choices?: readonly string[];
  parse?: (value: string) => unknown;
  required?: boolean;
}

/** The global options every command honours (src/cli/globals.ts reads them back). */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { flags: '--concurrency <n>', description: 'parallel transfers', parse: parseConcurrency, default: 8 },
  { flags: '-q, --quiet', description: 'print only errors on stderr', default: false },
  { flags: '--json', description: 'machine-readable progress: one JSON event per line on stderr', default: false },
  { flags: '-v, --verbose', description: 'print debug logs', default: false },
  { flags: '--ca-file <file>', description: 'trust this CA bundle (PEM) for TLS registries (repeatable)', repeatable: true },
  { flags: '--insecure-skip-tls-verify', description: 'do not verify registry TLS certificates', default: false },
  { flags: '--plain-http <host>', description: 'talk plain HTTP to this registry host (repeatable); loopback hosts may always fall back', parse: parsePlainHttpHost, repeatable: true },
  { flags: '--auth-from-secret <file>', description: 'read registry credentials from a kubernetes.io/dockerconfigjson Secret manifest (repeatable)', repeatable: true },
  {
    flags: '--min-rate <bytes/s>',
    description: 'fail a blob transfer that moves less than this per second over --min-rate-window (e.g. 1KiB, 512, 2MB; 0: never)',
    parse: parseRate,
    default: DEFAULT_MIN_RATE,
    defaultText: '1KiB',
  },
  { flags: '--min-rate-window <duration>', description: 'how long --min-rate is measured over (e.g. 120, 90s, 5m)', parse: parseWindow, default: DEFAULT_RATE_WINDOW_MS, defaultText: '120s' },
];

/** What CHART_VALUE_OPTIONS adds to a command's parsed flags. */
export type ChartValueFlags = ChartValueOptions;

/** Chart values, as helm takes them: -f, --set, --set-string, --set-json, --set-file, --enabled-only for conditional subcharts, and the dependency flags. */
export const CHART_VALUE_OPTIONS: readonly OptionSpec[] = [
  { flags: '-f, --values <file>', description: 'values file for the charts, as helm -f (repeatable; later files win)', repeatable: true },
  { flags: '--set <key=value>', description: 'set chart values as helm --set (repeatable)', repeatable: true },
  { flags: '--set-string <key=value>', description: 'set chart string values as helm --set-string (repeatable)', repeatable: true },
  { flags: '--set-json <key=json>', description: 'set chart values to JSON values as helm --set-json (repeatable)', repeatable: true },
  { flags: '--set-file <key=path>', description: "set chart values to a file's content as helm --set-file (repeatable)", repeatable: true },
  { flags: '--enabled-only', description: 'leave out images of subcharts disabled by their condition or tags', default: false },
  { flags: '--all-values', description: 'also take images set in values that the templates, rendered with these values, do not use (disabled components and subcharts)', default: false },
  { flags: '--skip-missing-deps', description: 'a Chart.yaml dependency that is not under charts/ and cannot be fetched is a warning (listed in the output) instead of an error', default: false },
  { flags: '--no-fetch-deps', description: 'fetch no dependency: read only those vendored under charts/ (the images of the others are only what the parent values set)' },
];

/** What imageListOptions adds to a command's parsed flags. */
export interface ImageListFlags {
  image: string[];
  imagesFile: string[];
}

/** Images named directly instead of (or besides) charts; `what` is --image's help. */
export const imageListOptions = (what: string): OptionSpec[] => [
  { flags: '--image <ref>', description: `${what} (repeatable)`, repeatable: true },
  { flags: '--images-file <file>', description: 'a file with one image reference per line (repeatable)', repeatable: true },
];

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

/** --platform, for every copying command. */
export const PLATFORM_OPTION: OptionSpec = { flags: '--platform <os/arch[/variant]>', description: 'copy only this platform of multi-platform images (repeatable)', repeatable: true };

/** How the scan reads a chart beyond its values (images, relocate). */
export const SCAN_OPTIONS: readonly OptionSpec[] = [
  { flags: '--no-templates', description: 'do not look for literal images in templates' },
  { flags: '--no-builtin-hints', description: 'do not apply the hints airlift ships for known charts' },
  { flags: '--hints <file>', description: 'YAML list of image templates such as "{{ .foo.registry }}/{{ .foo.repository }}:{{ .foo.tag }}"' },
];
