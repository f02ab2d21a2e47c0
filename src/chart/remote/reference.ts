/**
 * What a chart argument names: a local chart (directory or .tgz) or a chart to fetch.
 * `oci://HOST/PATH/CHART` is always remote; with `--repo URL` the argument is a chart name in that
 * repository; `REPO/CHART` (one slash, no leading `.` or `/`) is a repositories.yaml name only when
 * no local path of that name exists: a local path wins, as in helm.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../errors.js';
import type { ChartFetchRequest } from './types.js';

export type ChartRef = { kind: 'local'; path: string } | { kind: 'remote'; request: ChartFetchRequest };

export interface ChartRefOptions {
  /** --repo URL */
  repo?: string;
  /** --version */
  version?: string;
  /** Where relative paths start. */
  cwd: string;
  /** Whether a path exists (default: the file system). */
  exists?: (p: string) => boolean;
}

export function parseChartRef(arg: string, o: ChartRefOptions): ChartRef {
  const version = o.version?.trim() || undefined;
  const v = version ? { version } : {};
  if (o.repo) {
    if (/^oci:\/\//i.test(arg) || arg.includes('/')) {
      throw new InputError(`with --repo, the chart is a name in that repository, not ${JSON.stringify(arg)}`, { hint: `write --repo ${o.repo} CHART-NAME` });
    }
    return { kind: 'remote', request: { repository: o.repo, chart: arg, ...v } };
  }
  if (/^oci:\/\//i.test(arg)) return { kind: 'remote', request: { chart: arg, ...v } };
  const exists = o.exists ?? existsSync;
  const abs = path.resolve(o.cwd, arg);
  if (/^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/.test(arg) && !/\.tgz$/i.test(arg) && !exists(abs)) {
    return { kind: 'remote', request: { chart: arg, ...v } };
  }
  if (version) {
    throw new InputError(`--version ${version} applies to a chart from a repository, and ${JSON.stringify(arg)} is a local chart`, {
      hint: 'drop --version for a local chart, or name the chart as oci://HOST/PATH/CHART, REPO/CHART or --repo URL CHART',
    });
  }
  return { kind: 'local', path: abs };
}
