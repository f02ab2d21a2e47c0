/**
 * airlift.yaml: what a save or sync run copies, for CI jobs. Every field is
 * validated with an InputError naming the file and the field; relative paths
 * are resolved against the file's directory.
 *
 *   target: mirror.internal:5000/platform
 *   mapping: default              # default | preserve-registry | flatten
 *   platforms: [linux/amd64]
 *   concurrency: 8
 *   charts:
 *     - chart: oci://registry.example.com/charts/app   # a chart to fetch (an oci:// reference, or REPO/CHART)
 *       version: "1.2.x"                               # exact, or a range as helm takes it; default the newest release
 *     - repo: https://charts.example.com               # an HTTP(S) Helm repository (or oci://HOST/PATH)
 *       chart: redis
 *     - path: ./charts/app        # a chart directory or .tgz (or just the path as a string)
 *       values: [prod.yaml]
 *       set: [image.tag=1.2]
 *       setString: []
 *       setJson: []              # key=<JSON>, as helm --set-json
 *       setFile: []              # key=PATH (relative to this file), as helm --set-file
 *   images: [docker.io/library/nginx:1.25]
 *   imagesFile: images.txt
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ValueFlags } from '../chart/types.js';
import { parseYamlMap } from '../chart/yaml.js';
import { AirliftError, InputError, NotFoundError } from '../errors.js';
import { parsePlatform, type PlatformFilter } from '../oci/platform.js';
import { parseMappingMode, parseTarget, type MappingMode, type Target } from '../mapping/index.js';
import { parseReference } from '../reference/index.js';

export interface ConfigChart extends ValueFlags {
  /** A chart directory or .tgz; for a chart to fetch, the reference as written (for messages). */
  path: string;
  /** A chart to fetch (chart: with repo: and version:). */
  remote?: { repository?: string; chart: string; version?: string };
  /** Relative --set-file paths start at the config file's directory (baseDir). */
  baseDir: string;
}

export interface AirliftConfig {
  file: string;
  charts: ConfigChart[];
  images: string[];
  imagesFile?: string;
  platforms: PlatformFilter[];
  target?: Target;
  /** The target as written, for messages and locks. */
  targetText?: string;
  mapping?: MappingMode;
  concurrency?: number;
}

const KNOWN = ['charts', 'images', 'imagesFile', 'platforms', 'target', 'mapping', 'concurrency'];
const CHART_KNOWN = ['path', 'chart', 'repo', 'version', 'values', 'set', 'setString', 'setJson', 'setFile'];

class Fields {
  constructor(readonly file: string) {}
  fail(field: string, problem: string): never {
    throw new InputError(`${this.file}: ${field}: ${problem}`, { hint: `fix ${field} in ${this.file} (see manifests/airlift-config.schema.json)` });
  }
  strings(v: unknown, field: string): string[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(field, 'expected a list of strings');
    return v.map((s, i) => {
      if (typeof s !== 'string' || s.trim() === '') this.fail(`${field}[${i}]`, 'expected a non-empty string');
      return s;
    });
  }
  /** Runs a parser and turns its error into one naming the field. */
  wrap<T>(field: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      this.fail(field, e instanceof AirliftError ? e.message : String(e));
    }
  }
}

/** `chart:` (with `repo:` and `version:`): a chart to fetch; undefined for a `path:` entry. */
function remoteChart(f: Fields, o: Record<string, unknown>, at: string): ConfigChart['remote'] {
  if (o.chart === undefined) {
    for (const k of ['repo', 'version']) if (o[k] !== undefined) f.fail(`${at}.${k}`, 'goes with chart: (a chart to fetch), not with path:');
    return undefined;
  }
  if (o.path !== undefined) f.fail(at, 'give either path: (a local chart) or chart: (a chart to fetch), not both');
  if (typeof o.chart !== 'string' || o.chart.trim() === '') f.fail(`${at}.chart`, 'expected oci://HOST/PATH/CHART, REPO/CHART, or a chart name with repo:');
  const chart = o.chart.trim();
  let repository: string | undefined;
  if (o.repo !== undefined) {
    if (typeof o.repo !== 'string' || o.repo.trim() === '') f.fail(`${at}.repo`, 'expected a repository URL (https://…, oci://HOST/PATH) or a helm repo name');
    repository = o.repo.trim();
    if (chart.includes('/')) f.fail(`${at}.chart`, `with repo:, chart: is a chart name in that repository, not ${JSON.stringify(chart)}`);
  } else if (!/^oci:\/\//i.test(chart) && !/^[^/]+\/[^/]+$/.test(chart)) {
    f.fail(`${at}.chart`, `${JSON.stringify(chart)} names no repository: write oci://HOST/PATH/CHART, REPO/CHART, or add repo: URL`);
  }
  let version: string | undefined;
  if (o.version !== undefined && o.version !== null) {
    if (typeof o.version !== 'string' && typeof o.version !== 'number') f.fail(`${at}.version`, 'expected a version or a range, e.g. "1.2.3" or "1.2.x" (quote it)');
    version = String(o.version).trim();
  }
  return { chart, ...(repository ? { repository } : {}), ...(version ? { version } : {}) };
}

/** Validates a parsed config document; `file` is its path (relative paths resolve against its directory). */
export function validateConfig(doc: Record<string, unknown>, file: string): AirliftConfig {
  const f: Fields = new Fields(file);
  const dir = path.dirname(path.resolve(file));
  const abs = (p: string): string => path.resolve(dir, p);
  for (const k of Object.keys(doc)) {
    if (!KNOWN.includes(k)) f.fail(k, `unknown field; expected one of ${KNOWN.join(', ')}`);
  }
  const cfg: AirliftConfig = { file, charts: [], images: [], platforms: [] };

  if (doc.charts !== undefined && doc.charts !== null) {
    if (!Array.isArray(doc.charts)) f.fail('charts', 'expected a list of charts (a path, or {path | chart, repo, version, values, set, setString, setJson, setFile})');
    cfg.charts = doc.charts.map((c, i) => {
      const at = `charts[${i}]`;
      if (typeof c === 'string' && /^oci:\/\//i.test(c.trim())) return { path: c.trim(), remote: { chart: c.trim() }, values: [], set: [], setString: [], setJson: [], setFile: [], baseDir: path.dirname(file) };
      if (typeof c === 'string' && c.trim() !== '') return { path: abs(c), values: [], set: [], setString: [], setJson: [], setFile: [], baseDir: path.dirname(file) };
      if (typeof c !== 'object' || c === null || Array.isArray(c)) f.fail(at, 'expected a path or a map with "path" or "chart"');
      const o = c as Record<string, unknown>;
      for (const k of Object.keys(o)) if (!CHART_KNOWN.includes(k)) f.fail(`${at}.${k}`, `unknown field; expected one of ${CHART_KNOWN.join(', ')}`);
      const remote = remoteChart(f, o, at);
      if (!remote && (typeof o.path !== 'string' || o.path.trim() === '')) f.fail(`${at}.path`, 'expected the path of a chart directory or .tgz (or chart: with a reference to fetch)');
      return {
        ...(remote ? { path: remote.repository ? `${remote.repository} ${remote.chart}` : remote.chart, remote } : { path: abs(o.path as string) }),
        values: f.strings(o.values, `${at}.values`).map(abs),
        set: f.strings(o.set, `${at}.set`),
        setString: f.strings(o.setString, `${at}.setString`),
        setJson: f.strings(o.setJson, `${at}.setJson`),
        setFile: f.strings(o.setFile, `${at}.setFile`),
        baseDir: path.dirname(file),
      };
    });
  }
  cfg.images = f.strings(doc.images, 'images');
  cfg.images.forEach((s, i) => f.wrap(`images[${i}]`, () => parseReference(s)));
  if (doc.imagesFile !== undefined && doc.imagesFile !== null) {
    if (typeof doc.imagesFile !== 'string' || doc.imagesFile === '') f.fail('imagesFile', 'expected a file path');
    cfg.imagesFile = abs(doc.imagesFile);
  }
  cfg.platforms = f.strings(doc.platforms, 'platforms').map((p, i) => f.wrap(`platforms[${i}]`, () => parsePlatform(p)));
  if (doc.target !== undefined && doc.target !== null) {
    if (typeof doc.target !== 'string') f.fail('target', 'expected HOST[:PORT][/PREFIX]');
    cfg.target = f.wrap('target', () => parseTarget(doc.target as string));
    cfg.targetText = doc.target;
  }
  if (doc.mapping !== undefined && doc.mapping !== null) {
    if (typeof doc.mapping !== 'string') f.fail('mapping', 'expected default, preserve-registry or flatten');
    cfg.mapping = f.wrap('mapping', () => parseMappingMode(doc.mapping as string));
  }
  if (doc.concurrency !== undefined && doc.concurrency !== null) {
    const n = doc.concurrency;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1024) f.fail('concurrency', 'expected a whole number from 1 to 1024');
    cfg.concurrency = n;
  }
  if (cfg.charts.length === 0 && cfg.images.length === 0 && cfg.imagesFile === undefined) {
    f.fail('(top level)', 'names nothing to copy: give charts, images or imagesFile');
  }
  return cfg;
}

/** Reads and validates airlift.yaml. */
export async function readConfig(file: string): Promise<AirliftConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`config file ${file} does not exist`, { hint: 'check the path given to --config' });
    throw new InputError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  return validateConfig(parseYamlMap(text, file, 'an airlift config file'), file);
}
