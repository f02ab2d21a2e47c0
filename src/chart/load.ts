/**
 * Chart loading (the I/O shell of the scanner): a chart directory or a
 * packaged `.tgz`, with its subcharts under `charts/` (directories and
 * `.tgz`, to any depth). Only what the scanner needs is read: Chart.yaml,
 * values.yaml, templates/ and charts/.
 */
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError, NotFoundError, TooLargeError } from '../errors.js';
import { ARCHIVE_LIMITS, readTgz, type FileTree } from './archive.js';
import { decodeFile } from './text-cache.js';
import { isMap, parseYamlMap } from './yaml.js';

export interface ChartDependency {
  name: string;
  version?: string;
  repository?: string;
  alias?: string;
  condition?: string;
  tags?: string[];
}

export interface TemplateFile {
  /** Path inside the chart: "templates/deployment.yaml". */
  name: string;
  text: string;
  /** The sha256 (base64) of the file's bytes, when read from a file: `text` is their UTF-8 decoding. */
  digest?: string;
}

/** Chart.lock as `helm dependency update` writes it (only what dependency resolution reads). */
export interface ChartLock {
  /** Display path of the file. */
  file: string;
  digest?: string;
  /** The entries as written (name, version, repository). */
  dependencies: Array<{ name: string; version: string; repository: string }>;
  /** `dependencies` as parsed, for helm's digest. */
  raw: unknown;
}

export interface LoadedChart {
  name: string;
  version: string;
  appVersion?: string;
  /** "application" (default) or "library". */
  type: string;
  /** Chart.yaml as parsed (frozen: shared with every chart of the same Chart.yaml text). */
  metadata: Record<string, unknown>;
  dependencies: ChartDependency[];
  /** Chart.lock, when the chart has one. */
  lock?: ChartLock;
  /** values.yaml as parsed ({} when absent; frozen: shared with every chart of the same values.yaml text). */
  values: Record<string, unknown>;
  /** Display paths, for findings and errors. */
  chartFile: string;
  valuesFile: string;
  templates: TemplateFile[];
  subcharts: LoadedChart[];
  /** The directory or `.tgz` on disk; inside an archive: "outer.tgz!/outer/charts/sub.tgz". */
  path: string;
  packaged: boolean;
}

const MAX_DEPTH = 32;
const TEMPLATE_EXT = /\.(ya?ml|tpl|txt)$/i;

/** Loads a chart directory or packaged `.tgz` (with its subcharts). */
export async function loadChart(chartPath: string): Promise<LoadedChart> {
  // (synchronous calls, as for a directory's files below: each asynchronous one is a round trip
  // through the thread pool, which on a busy machine waits for a core once per chart)
  let st;
  try {
    st = statSync(chartPath);
  } catch {
    throw new NotFoundError(`chart ${chartPath} does not exist`, { hint: 'give a chart directory or a packaged .tgz' });
  }
  if (st.isDirectory()) {
    const tree: FileTree = new Map();
    readChartDir(chartPath, '', tree, 0, { total: 0 });
    return buildChart(tree, '', chartPath, false, 0);
  }
  if (st.size > ARCHIVE_LIMITS.maxTotalBytes) {
    throw new TooLargeError(`${chartPath}: ${st.size} bytes is too large for a chart archive`);
  }
  return loadChartArchive(readFileSync(chartPath), chartPath);
}

/** Loads a packaged chart from bytes; `label` is how errors name it. */
export async function loadChartArchive(data: Buffer, label: string, depth = 0): Promise<LoadedChart> {
  const tree = await readTgz(data, label);
  const roots = new Set<string>();
  for (const name of tree.keys()) {
    const parts = name.split('/');
    if (parts.length === 2 && parts[1] === 'Chart.yaml') roots.add(parts[0]!);
  }
  if (roots.size !== 1) {
    throw new InputError(`${label}: expected one <name>/Chart.yaml at the top of the archive, found ${roots.size}`, {
      hint: 'package the chart with `helm package`',
    });
  }
  const root = [...roots][0]!;
  return buildChart(tree, `${root}/`, label, true, depth, true);
}

/**
 * A chart directory's files, read with the synchronous calls: a chart is hundreds of small files,
 * and the asynchronous ones take four round trips through the thread pool each (open, stat, read,
 * close), which on a busy machine left the scan of 200 charts waiting more than it computed.
 */
function readChartDir(dir: string, rel: string, tree: FileTree, depth: number, budget: { total: number }): void {
  if (depth > MAX_DEPTH) throw new InputError(`${dir}: directories nested deeper than ${MAX_DEPTH} levels`, { hint: 'check for symlink loops' });
  const entries = readdirSync(dir, { withFileTypes: true });
  for (const e of entries) {
    const full = path.join(dir, e.name);
    const relName = rel + e.name;
    const isTop = rel === '';
    const inTemplates = relName.startsWith('templates/');
    const inCharts = relName.startsWith('charts/');
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      const s = statOrUndefined(full);
      isDir = s?.isDirectory() ?? false;
      isFile = s?.isFile() ?? false;
    }
    if (isDir) {
      if ((isTop && (e.name === 'templates' || e.name === 'charts')) || inTemplates || inCharts) {
        readChartDir(full, `${relName}/`, tree, depth + 1, budget);
      }
      continue;
    }
    if (!isFile) continue;
    const wanted =
      (isTop && (e.name === 'Chart.yaml' || e.name === 'values.yaml' || e.name === 'Chart.lock')) ||
      (inTemplates && TEMPLATE_EXT.test(e.name)) ||
      (inCharts && (e.name === 'Chart.yaml' || e.name === 'values.yaml' || /\.tgz$/i.test(e.name) || TEMPLATE_EXT.test(e.name)));
    if (!wanted) continue;
    tree.set(relName, readBounded(full, budget));
  }
}

/** A file's bytes, its size checked (on the open file: one stat less) before any is read. */
function readBounded(file: string, budget: { total: number }): Buffer {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > ARCHIVE_LIMITS.maxEntryBytes || budget.total + size > ARCHIVE_LIMITS.maxTotalBytes) {
      throw new TooLargeError(`${file}: ${size} bytes is too large for a chart file`, { hint: 'a Helm chart does not carry files this large' });
    }
    budget.total += size;
    const buf = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, buf, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    return got < size ? buf.subarray(0, got) : buf;
  } finally {
    closeSync(fd);
  }
}

function statOrUndefined(p: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

function parseDependencies(meta: Record<string, unknown>, file: string): ChartDependency[] {
  const deps = meta.dependencies;
  if (deps === undefined || deps === null) return [];
  if (!Array.isArray(deps)) throw new InputError(`${file}: dependencies must be a list`, { hint: 'fix Chart.yaml' });
  return deps.map((d, i) => {
    if (!isMap(d) || typeof d.name !== 'string' || d.name === '') {
      throw new InputError(`${file}: dependencies[${i}] has no name`, { hint: 'every dependency needs name and version' });
    }
    const dep: ChartDependency = { name: d.name };
    const version = str(d.version);
    if (version !== undefined) dep.version = version;
    if (typeof d.repository === 'string') dep.repository = d.repository;
    if (typeof d.alias === 'string' && d.alias !== '') dep.alias = d.alias;
    if (typeof d.condition === 'string' && d.condition !== '') dep.condition = d.condition;
    if (Array.isArray(d.tags)) dep.tags = d.tags.filter((t): t is string => typeof t === 'string');
    return dep;
  });
}

/** Builds a chart from the files under `prefix` in `tree`. */
async function buildChart(
  tree: FileTree,
  prefix: string,
  origin: string,
  packaged: boolean,
  depth: number,
  archiveRoot = false,
): Promise<LoadedChart> {
  if (depth > MAX_DEPTH) throw new InputError(`${origin}: subcharts nested deeper than ${MAX_DEPTH} levels`);
  const display = (rel: string): string => (packaged ? `${origin}!/${prefix}${rel}` : path.join(origin, prefix, rel));
  const chartFile = display('Chart.yaml');
  const chartBytes = tree.get(`${prefix}Chart.yaml`);
  if (!chartBytes) {
    throw new InputError(`${packaged ? origin : path.join(origin, prefix)}: no Chart.yaml`, {
      hint: 'give the directory that contains Chart.yaml, or a .tgz made by `helm package`',
    });
  }
  const metadata = parseYamlMap(decodeFile(chartBytes).text, chartFile, 'Chart.yaml', true);
  const name = str(metadata.name);
  if (!name) throw new InputError(`${chartFile}: no chart name`, { hint: 'Chart.yaml needs name and version' });
  const valuesFile = display('values.yaml');
  const valuesBytes = tree.get(`${prefix}values.yaml`);
  const values = valuesBytes ? parseYamlMap(decodeFile(valuesBytes).text, valuesFile, 'a values file', true) : {};

  const templates: TemplateFile[] = [];
  const subDirs = new Set<string>();
  const subTgz: string[] = [];
  for (const [key, bytes] of tree) {
    if (!key.startsWith(prefix)) continue;
    const rel = key.slice(prefix.length);
    if (rel.startsWith('templates/') && TEMPLATE_EXT.test(rel)) {
      const { text, digest } = decodeFile(bytes);
      templates.push({ name: rel, text, digest });
    } else if (rel.startsWith('charts/')) {
      const parts = rel.split('/');
      if (parts.length === 2 && /\.tgz$/i.test(parts[1]!)) subTgz.push(key);
      else if (parts.length === 3 && parts[2] === 'Chart.yaml') subDirs.add(parts[1]!);
    }
  }
  templates.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const subcharts: LoadedChart[] = [];
  for (const dir of [...subDirs].sort()) {
    subcharts.push(await buildChart(tree, `${prefix}charts/${dir}/`, origin, packaged, depth + 1));
  }
  for (const key of subTgz.sort()) {
    const label = packaged ? `${origin}!/${key}` : path.join(origin, key);
    subcharts.push(await loadChartArchive(tree.get(key)!, label, depth + 1));
  }

  const chart: LoadedChart = {
    name,
    version: str(metadata.version) ?? '',
    type: typeof metadata.type === 'string' && metadata.type !== '' ? metadata.type : 'application',
    metadata,
    dependencies: parseDependencies(metadata, chartFile),
    values,
    chartFile,
    valuesFile,
    templates,
    subcharts,
    path: archiveRoot ? origin : packaged ? `${origin}!/${prefix.replace(/\/$/, '')}` : path.join(origin, prefix).replace(/\/$/, '') || origin,
    packaged,
  };
  const appVersion = str(metadata.appVersion);
  if (appVersion !== undefined && appVersion !== '') chart.appVersion = appVersion;
  // Chart.lock matters only to a chart with dependencies to fetch (src/chart/deps/): read only then
  const lockBytes = tree.get(`${prefix}Chart.lock`);
  if (lockBytes && chart.dependencies.some((d) => !subcharts.some((s) => s.name === d.name))) chart.lock = parseChartLock(lockBytes.toString('utf8'), display('Chart.lock'));
  return chart;
}

/** Chart.lock as parsed; `file` names it in errors. */
export function parseChartLock(text: string, file: string): ChartLock {
  const doc = parseYamlMap(text, file, 'Chart.lock');
  const raw = doc.dependencies;
  if (raw !== undefined && raw !== null && !Array.isArray(raw)) throw new InputError(`${file}: dependencies must be a list`, { hint: 'run helm dependency update to write Chart.lock again' });
  const dependencies = (Array.isArray(raw) ? raw : []).map((d, i) => {
    if (!isMap(d) || typeof d.name !== 'string') throw new InputError(`${file}: dependencies[${i}] has no name`, { hint: 'run helm dependency update to write Chart.lock again' });
    return { name: d.name, version: str(d.version) ?? '', repository: typeof d.repository === 'string' ? d.repository : '' };
  });
  return { file, ...(typeof doc.digest === 'string' ? { digest: doc.digest } : {}), dependencies, raw };
}
