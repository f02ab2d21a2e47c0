/**
 * The merged values of every chart and subchart (I/O: reads the charts),
 * placed at their values paths, as the scan saw them. The plan needs them
 * to write below list indices (Helm replaces lists whole) and to keep the
 * entries of pull-secret lists.
 */
import { loadChart, type LoadedChart } from '../chart/load.js';
import { userLayers } from '../chart/scan.js';
import { mergeLayers, subchartValues, type Values } from '../chart/values.js';
import type { ScanOptions, ValuesPath } from '../chart/types.js';
import { chartTree, defines, imageGates, literalLine, pullSecretFormFromTemplates, shaFormFromTemplates, workloadsWithoutPullSecrets } from './template-facts.js';
import type { ChartValues, GateWrite, NoPullSecret, PullSecretForm } from './types.js';

function walk(chart: LoadedChart, values: Values, chain: string, path: ValuesPath, out: ChartValues[]): void {
  out.push({ chart: chain, path, values });
  const used = new Set<LoadedChart>();
  const instances: { sub: LoadedChart; key: string }[] = [];
  for (const dep of chart.dependencies) {
    const sub = chart.subcharts.find((s) => s.name === dep.name);
    if (!sub) continue;
    used.add(sub);
    instances.push({ sub, key: dep.alias ?? dep.name });
  }
  for (const sub of chart.subcharts) if (!used.has(sub)) instances.push({ sub, key: sub.name });
  for (const { sub, key } of instances) {
    walk(sub, subchartValues(values, key, sub.values), `${chain}/${key}`, [...path, key], out);
  }
}

/** Merged values per chart for the given top-level charts ("-" is skipped: rendered manifests have no values). */
export async function collectChartValues(paths: readonly string[], opts: Pick<ScanOptions, 'valuesFiles' | 'set' | 'setString' | 'setJson' | 'setFile' | 'baseDir'>): Promise<ChartValues[]> {
  const layers = await userLayers(opts);
  const out: ChartValues[] = [];
  for (const p of paths) {
    if (p === '-') continue;
    const chart = await loadChart(p);
    const top = mergeLayers(chart.values, [...layers].reverse().map((l) => l.values));
    walk(chart, top, chart.name, [], out);
  }
  return out;
}

/** What the templates of the given top-level charts say (see template-facts.ts), for the plan. */
export interface TemplateFacts {
  /** JSON of a values path → the form the templates read that pull-secret value in. */
  pullSecretConsumed: Map<string, PullSecretForm>;
  gates: GateWrite[];
  noPullSecret: NoPullSecret[];
  /** JSON of a `sha` field's values path → whether the templates write it as bare hex or a whole digest. */
  shaForms: Map<string, 'hex' | 'digest'>;
  /** Line of a literal image in a template file (display path as the scanner gives it). */
  lineOf(file: string, raw: string): number | undefined;
}

export async function collectTemplateFacts(paths: readonly string[], slotPaths: readonly ValuesPath[], shaPaths: readonly ValuesPath[] = []): Promise<TemplateFacts> {
  const facts: TemplateFacts = { pullSecretConsumed: new Map(), gates: [], noPullSecret: [], shaForms: new Map(), lineOf: () => undefined };
  const files = new Map<string, string>();
  for (const p of paths) {
    if (p === '-') continue;
    const tree = chartTree(await loadChart(p));
    const defs = defines(tree);
    for (const c of tree) for (const t of c.templates) files.set(`${c.dir}/${t.name}`, t.text);
    for (const sp of [...slotPaths, ['global', 'imagePullSecrets']]) {
      const k = JSON.stringify(sp);
      if (facts.pullSecretConsumed.has(k)) continue;
      const f = pullSecretFormFromTemplates(tree, defs, sp);
      if (f) facts.pullSecretConsumed.set(k, f);
    }
    for (const sp of shaPaths) {
      const f = shaFormFromTemplates(tree, sp);
      if (f && !facts.shaForms.has(JSON.stringify(sp))) facts.shaForms.set(JSON.stringify(sp), f);
    }
    for (const g of imageGates(tree)) if (!facts.gates.some((x) => JSON.stringify(x.path) === JSON.stringify(g.path))) facts.gates.push(g);
    facts.noPullSecret.push(...workloadsWithoutPullSecrets(tree, defs));
  }
  facts.lineOf = (file, raw) => {
    const text = files.get(file);
    return text === undefined ? undefined : literalLine(text, raw);
  };
  return facts;
}
