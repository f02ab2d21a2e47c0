/**
 * The scan: load charts, merge values the way Helm does, walk every chart
 * and subchart, and collect findings from values, templates, annotations,
 * hints and rendered manifests. `scanCharts` is the one entry point.
 */
import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, NotFoundError, TooLargeError } from '../errors.js';
import { formatReference } from '../reference/index.js';
import { scanValues } from './detect.js';
import { evaluateHint, parseHints } from './hints.js';
import { KNOWN_CHARTS } from './known-charts.js';
import { resolveDependencies, type DependencyResult } from './deps/resolve.js';
import { loadChart, type ChartDependency, type LoadedChart } from './load.js';
import { scanManifests } from './manifests.js';
import type { RenderUnit } from './render.js';
import { renderChartsKept } from './render-cache.js';
import { reconcile } from './reconcile.js';
import { scanAnnotations, scanTemplateText, templateRunsContainers } from './sources.js';
import { findPullSecretSlots, type PullSecretSlot } from './pull-secrets.js';
import { parseSetFileValues, parseSetJsonValues, parseSetValues } from './strvals.js';
import { getPath, hasPath, mergeLayers, subchartValues, type Values, type ValuesLayer } from './values.js';
import { isMap, parseYamlMap } from './yaml.js';
import type { ChartInfo, ChartValuesEntry, ImageFinding, ScanOptions, ScanResult, ScannedImage, ValuesPath } from './types.js';
import { appendAll } from '../output/table.js';

/** The largest file --set-file reads. */
const MAX_SET_FILE = 1024 * 1024;

export interface ScanInputs extends ScanOptions {
  /** Rendered manifests for the chart argument "-" (the command reads stdin). */
  stdin?: string;
  /** Stops the scan between charts (its reason is thrown). */
  signal?: AbortSignal;
  /**
   * Keep every loaded chart and chart's merged values in the result (`loaded`, `chartValues`:
   * relocate plans from them). Default true; false (`images`) lets each chart go once it is
   * scanned, and both stay empty.
   */
  keepCharts?: boolean;
}

async function readValuesFile(file: string): Promise<Values> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new NotFoundError(`values file ${file} cannot be read`, { hint: 'check the path given to -f' });
  }
  return parseYamlMap(text, file);
}

/** A --set-file value: the file's text (at most MAX_SET_FILE bytes). */
function readSetFile(base: string, file: string): string {
  const p = path.resolve(base, file);
  let text: Buffer;
  try {
    if (statSync(p).size > MAX_SET_FILE) throw new TooLargeError(`--set-file ${file} is over ${MAX_SET_FILE} bytes`, { hint: 'values this large do not belong in a chart value' });
    text = readFileSync(p);
  } catch (err) {
    if (err instanceof TooLargeError) throw err;
    throw new NotFoundError(`--set-file ${file} cannot be read (${p})`, { hint: 'check the path after "=" in --set-file key=PATH' });
  }
  return text.toString('utf8');
}

/**
 * The user's overriding layers, highest precedence first (as `originOf` wants them). Helm's
 * order, lowest first: -f files, --set-json, --set, --set-string, --set-file.
 */
export async function userLayers(opts: ScanOptions): Promise<ValuesLayer[]> {
  const layers: ValuesLayer[] = [];
  for (const f of opts.valuesFiles ?? []) layers.unshift({ file: f, values: await readValuesFile(f), prefix: [] });
  if (opts.setJson?.length) layers.unshift({ file: '--set-json', values: parseSetJsonValues(opts.setJson), prefix: [] });
  if (opts.set?.length) layers.unshift({ file: '--set', values: parseSetValues(opts.set, { typed: true }), prefix: [] });
  if (opts.setString?.length) layers.unshift({ file: '--set-string', values: parseSetValues(opts.setString, { typed: false }), prefix: [] });
  if (opts.setFile?.length) {
    const base = opts.baseDir ?? process.cwd();
    layers.unshift({ file: '--set-file', values: parseSetFileValues(opts.setFile, (f) => readSetFile(base, f)), prefix: [] });
  }
  return layers;
}

/**
 * Helm's rule: the first path in `condition` that resolves to a boolean in
 * the parent's values decides; otherwise `tags` (top-level `tags.<name>`): any
 * true tag enables, all false disables; otherwise enabled.
 */
export function dependencyEnabled(dep: ChartDependency, parentValues: Values, topValues: Values): boolean {
  if (dep.condition) {
    for (const c of dep.condition.split(',').map((s) => s.trim()).filter(Boolean)) {
      const v = getPath(parentValues, c.split('.'));
      if (typeof v === 'boolean') return v;
    }
  }
  if (dep.tags?.length) {
    const tags = isMap(topValues.tags) ? topValues.tags : {};
    const set = dep.tags.map((t) => tags[t]).filter((v): v is boolean => typeof v === 'boolean');
    if (set.length > 0) return set.some((v) => v);
  }
  return true;
}

interface Walk {
  opts: ScanInputs;
  findings: ImageFinding[];
  pullSecrets: PullSecretSlot[];
  charts: ChartInfo[];
  /** Every chart's merged values at its values path, disabled subcharts included (for relocate). */
  chartValues: ChartValuesEntry[];
  topValues: Values;
  /** Top-level values with every subchart's merged values placed at its path (for hints). */
  coalesced: Values;
  /** Enabled charts to render, in walk order (values are filled in from `coalesced` after the walk). */
  units: (RenderUnit & { prefix: ValuesPath })[];
}

function setAt(root: Values, path: ValuesPath, v: Values): void {
  let cur: Values = root;
  for (const [i, k] of path.entries()) {
    if (i === path.length - 1) {
      cur[String(k)] = v;
      return;
    }
    if (!isMap(cur[String(k)])) cur[String(k)] = {};
    cur = cur[String(k)] as Values;
  }
}

function walkChart(
  w: Walk,
  chart: LoadedChart,
  values: Values,
  layers: ValuesLayer[],
  info: { chain: string; prefix: ValuesPath; disabled: boolean; depth: number; alias?: string },
): void {
  const instances: { sub: LoadedChart; key: string; dep?: ChartDependency; enabled: boolean }[] = [];
  const missing = new Map<string, boolean>();
  const used = new Set<LoadedChart>();
  for (const dep of chart.dependencies) {
    const key = dep.alias ?? dep.name;
    const enabled = dependencyEnabled(dep, values, w.topValues);
    const sub = chart.subcharts.find((s) => s.name === dep.name);
    if (!sub) missing.set(key, !enabled || info.disabled);
    else {
      used.add(sub);
      instances.push({ sub, key, dep, enabled });
    }
  }
  for (const sub of chart.subcharts) if (!used.has(sub)) instances.push({ sub, key: sub.name, enabled: true });

  const ci: ChartInfo = {
    name: chart.name,
    version: chart.version,
    type: chart.type,
    chart: info.chain,
    valuesPath: info.prefix,
    path: chart.path,
    packaged: chart.packaged,
    depth: info.depth,
    disabled: info.disabled,
    missingDependencies: [...missing.keys()],
  };
  if (chart.appVersion) ci.appVersion = chart.appVersion;
  if (info.alias) ci.alias = info.alias;
  w.charts.push(ci);
  w.chartValues.push({ chart: info.chain, path: info.prefix, values });
  if (!info.disabled) {
    const parent = w.units.find((u) => u.chain === info.chain.split('/').slice(0, -1).join('/'));
    w.units.push({
      chart: info.alias ? { ...chart, metadata: { ...chart.metadata, name: info.alias } } : chart,
      values: {},
      chain: info.chain,
      tplPrefix: parent ? `${parent.tplPrefix}/charts/${info.alias ?? chart.name}` : chart.name,
      depth: info.depth,
      prefix: info.prefix,
    });
  }

  const rendered = w.opts.templates !== false && chart.templates.some((t) => !/(^|\/)_[^/]*$/.test(t.name));
  const origin = (paths: ValuesPath[]): string => {
    for (const l of layers) if (paths.some((p) => l.prefix.every((x, i) => x === p[i]) && hasPath(l.values, p.slice(l.prefix.length)))) return l.file;
    return chart.valuesFile;
  };
  const own: ImageFinding[] = scanValues(values, {
    chart: info.chain,
    ...(chart.appVersion ? { appVersion: chart.appVersion } : {}),
    valuesPrefix: info.prefix,
    origin,
    disabled: info.disabled,
    skipKeys: new Set(instances.map((i) => i.key)),
    missingDeps: missing,
    scanGlobal: info.depth === 0,
    guessTags: !rendered,
  });

  // Built-in hints stand in for templates airlift does not have; when the chart's templates are
  // rendered, they say what the pods run.
  if (w.opts.builtinHints !== false && !rendered) {
    for (const known of KNOWN_CHARTS) {
      if (known.name !== chart.name || !known.match(values)) continue;
      for (const r of known.replaces ?? []) {
        const full = [...info.prefix, ...r];
        for (let i = own.length - 1; i >= 0; i--) {
          const f = own[i]!;
          if (f.path.length === full.length && f.path.every((x, j) => x === full[j])) own.splice(i, 1);
        }
      }
      for (const h of known.hints) {
        own.push(
          evaluateHint(h, {
            chart: info.chain,
            file: `builtin:${known.name}`,
            values,
            chartMeta: { name: chart.name, version: chart.version, ...(chart.appVersion ? { appVersion: chart.appVersion } : {}) },
            valuesPrefix: info.prefix,
            disabled: info.disabled,
            builtin: true,
          }),
        );
      }
    }
  }
  appendAll(w.findings, own);
  w.pullSecrets.push(
    ...findPullSecretSlots(values, {
      chart: info.chain,
      valuesPrefix: info.prefix,
      skipKeys: new Set(instances.map((i) => i.key)),
      scanGlobal: info.depth === 0,
      disabled: info.disabled,
    }),
  );

  if (w.opts.templates !== false) {
    for (const t of chart.templates) {
      const file = chart.packaged ? `${chart.path}!/${t.name}` : `${chart.path}/${t.name}`;
      appendAll(w.findings, scanTemplateText(t.text, { chart: info.chain, file, disabled: info.disabled }));
    }
  }
  if (w.opts.annotations !== false) {
    w.findings.push(...scanAnnotations(chart.metadata, { chart: info.chain, file: chart.chartFile, disabled: info.disabled }));
  }

  for (const inst of instances) {
    const subVals = subchartValues(values, inst.key, inst.sub.values);
    const prefix = [...info.prefix, inst.key];
    setAt(w.coalesced, prefix, subVals);
    walkChart(w, inst.sub, subVals, [...layers, { file: inst.sub.valuesFile, values: inst.sub.values, prefix }], {
      chain: `${info.chain}/${inst.key}`,
      prefix,
      disabled: info.disabled || !inst.enabled,
      depth: info.depth + 1,
      ...(inst.key !== inst.sub.name ? { alias: inst.key } : {}),
    });
  }
}

/** Groups valid findings by reference, sorted. */
export function groupImages(findings: ImageFinding[]): ScannedImage[] {
  const byRef = new Map<string, ScannedImage>();
  for (const f of findings) {
    if (!f.ref) continue;
    const key = formatReference(f.ref);
    let img = byRef.get(key);
    if (!img) {
      img = { ref: f.ref, formatted: key, sources: [], disabled: true };
      byRef.set(key, img);
    }
    img.sources.push(f);
    if (!f.disabled) img.disabled = false;
  }
  return [...byRef.values()].sort((a, b) => (a.formatted < b.formatted ? -1 : a.formatted > b.formatted ? 1 : 0));
}

/** Scans charts (directories, `.tgz`, or "-" for rendered manifests in `opts.stdin`). */
export async function scanCharts(paths: string[], opts: ScanInputs = {}): Promise<ScanResult & { pullSecrets: PullSecretSlot[] }> {
  // (the charts are loaded once here; relocate reads their values and templates from the result)
  if (paths.length === 0) throw new InputError('no chart given', { hint: 'give a chart directory, a .tgz, or - for rendered manifests on stdin' });
  opts.signal?.throwIfAborted();
  const layers = await userLayers(opts);
  const hints = opts.hintsFile ? parseHints(await readFile(opts.hintsFile, 'utf8').catch(() => {
    throw new NotFoundError(`hints file ${opts.hintsFile} cannot be read`, { hint: 'check the path given to --hints' });
  }), opts.hintsFile) : [];
  const findings: ImageFinding[] = [];
  const charts: ChartInfo[] = [];
  const pullSecrets: PullSecretSlot[] = [];
  const warnings: string[] = [];
  const chartValues: ChartValuesEntry[] = [];
  const loaded: LoadedChart[] = [];
  const keep = opts.keepCharts !== false;
  const dependencies: DependencyResult[] = [];
  for (const p of paths) {
    opts.signal?.throwIfAborted();
    if (p === '-') {
      const seen = { kinds: 0 };
      appendAll(findings, scanManifests(opts.stdin ?? '', '-', seen));
      // `helm template BROKEN | airlift images -`: helm fails on stderr, stdin is empty; never a silent empty list
      if (seen.kinds === 0) warnings.push('stdin: no Kubernetes object in the rendered manifests (empty input: did the command before the pipe, such as helm template, fail?)');
      continue;
    }
    const chart = await loadChart(p);
    if (keep) loaded.push(chart);
    if (opts.dependencies) {
      const deps = await resolveDependencies(chart, opts.dependencies);
      dependencies.push(deps);
      for (const d of deps.skipped) warnings.push(`${d.reason} (left out: --skip-missing-deps)`);
    } else dependencies.push({ resolved: [], skipped: [] });
    opts.signal?.throwIfAborted();
    const top = mergeLayers(chart.values, [...layers].reverse().map((l) => l.values));
    const first = findings.length;
    const w: Walk = { opts, findings, pullSecrets, charts, chartValues: keep ? chartValues : [], topValues: top, coalesced: structuredClone(top), units: [] };
    walkChart(w, chart, top, [...layers, { file: chart.valuesFile, values: chart.values, prefix: [] }], {
      chain: chart.name,
      prefix: [],
      disabled: false,
      depth: 0,
    });
    if (opts.templates !== false) {
      // (views into coalesced: renderChartsKept copies them before rendering, where a render runs)
      for (const u of w.units) u.values = ((u.prefix.length ? getPath(w.coalesced, u.prefix) : w.coalesced) as Values | undefined) ?? {};
      const files = renderChartsKept(w.units);
      const r = reconcile({
        findings: findings.slice(first),
        files,
        renderedChains: new Set(w.units.map((u) => u.chain)),
        values: new Map(w.units.map((u) => [u.chain, { prefix: u.prefix, values: u.values, file: u.chart.valuesFile }])),
      });
      appendAll(findings, r.added);
      warnings.push(...r.warnings);
      // (the templates and their output are searched only for a chart that found no image)
      const found = findings.slice(first).some((f) => f.ref && !f.notRendered);
      if (!found && w.units.some((u) => u.chart.templates.some((t) => templateRunsContainers(t.text)))) {
        const pods = files.some((f) => f.text !== undefined && /^\s*(containers|initContainers):/m.test(f.text));
        warnings.push(
          pods
            ? `${chart.name}: the rendered templates run containers, but no image was found in them`
            : `${chart.name}: the templates run containers, but none is rendered with these values and no image was found`,
        );
      }
    }
    for (const h of hints) {
      findings.push(
        evaluateHint(h, {
          chart: chart.name,
          file: opts.hintsFile!,
          values: w.coalesced,
          chartMeta: { name: chart.name, version: chart.version, ...(chart.appVersion ? { appVersion: chart.appVersion } : {}) },
          valuesPrefix: [],
        }),
      );
    }
  }
  const kept = opts.enabledOnly ? findings.filter((f) => !f.disabled) : findings;
  return {
    findings: kept,
    images: groupImages(opts.allValues ? kept : kept.filter((f) => !f.notRendered)),
    warnings,
    errors: kept.filter((f) => f.error !== undefined),
    charts: opts.enabledOnly ? charts.filter((c) => !c.disabled) : charts,
    pullSecrets: opts.enabledOnly ? pullSecrets.filter((s) => !s.disabled) : pullSecrets,
    chartValues,
    loaded,
    dependencies,
  };
}
