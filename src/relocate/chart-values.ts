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
import type { ChartValues } from './types.js';

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
