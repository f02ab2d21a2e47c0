/**
 * The real-chart acceptance cases (../shared/charts-real: ten whole charts,
 * default values and each `*.scenario.yaml`), what helm renders from them
 * (the pinned helm of test/harness/tools.ts, the judge), and the checks
 * both relocation suites make on the relocated render.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { readRendered, type RenderedChart } from '../../../src/relocate/rendered.js';
import { formatReference, parseReference } from '../../../src/reference/index.js';
import { helmBinary } from '../../harness/tools.js';

const run = promisify(execFile);

export const repoRoot = path.resolve(import.meta.dirname, '../../..');
export const realCharts = path.resolve(repoRoot, '../shared/charts-real');
if (!existsSync(realCharts)) throw new Error(`real charts not found at ${realCharts}: they are required for these tests`);

export interface RealCase {
  /** "velero" or "velero (scenario)". */
  name: string;
  chart: string;
  /** The scenario values file, when any. */
  values: string[];
  /** where → images (normalised) that helm renders there, from the expected-images*.tsv. */
  expected: Map<string, string[]>;
}

const RUNTIME_NOTE = ' (image named in args/env: runtime image)';

function readExpected(file: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [image, where] = line.split('\t');
    if (!image || !where) throw new Error(`${file}: malformed line ${JSON.stringify(line)}`);
    const w = where.endsWith(RUNTIME_NOTE) ? where.slice(0, -RUNTIME_NOTE.length) : where;
    out.set(w, [...(out.get(w) ?? []), formatReference(parseReference(image))]);
  }
  return out;
}

export function realCases(): RealCase[] {
  const out: RealCase[] = [];
  const names = readdirSync(realCharts).filter((n) => existsSync(path.join(realCharts, n, 'chart', 'Chart.yaml'))).sort();
  if (names.length !== 10) throw new Error(`expected the ten real charts under ${realCharts}, found ${names.length}`);
  for (const n of names) {
    const dir = path.join(realCharts, n);
    out.push({ name: n, chart: path.join(dir, 'chart'), values: [], expected: readExpected(path.join(dir, 'expected-images.tsv')) });
    const scenario = path.join(dir, `${n}.scenario.yaml`);
    if (existsSync(scenario)) {
      out.push({ name: `${n} (scenario)`, chart: path.join(dir, 'chart'), values: [scenario], expected: readExpected(path.join(dir, 'expected-images.scenario.tsv')) });
    }
  }
  return out;
}

/** `helm template release CHART --namespace default --kube-version v1.34.0 -f ...`, as the expected lists were made. */
export async function helmTemplate(chart: string, values: readonly string[]): Promise<RenderedChart> {
  const args = ['template', 'release', chart, '--namespace', 'default', '--kube-version', 'v1.34.0', ...values.flatMap((v) => ['-f', v])];
  const { stdout } = await run(helmBinary(), args, { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, HELM_CACHE_HOME: '/nonexistent-airlift-helm-cache' } });
  return readRendered(stdout, `helm template ${chart}`);
}

/** where → normalised images, as read from a render (empty images kept as ""). */
export function byWhere(r: RenderedChart): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const i of r.images) {
    let img = i.image;
    try {
      img = formatReference(parseReference(i.image));
    } catch {
      // left as rendered: the comparison shows it
    }
    out.set(i.where, [...(out.get(i.where) ?? []), img]);
  }
  for (const v of out.values()) v.sort();
  return out;
}

/** "image\twhere" for every image at every place, sorted. */
export function pairs(m: Map<string, string[]>): string[] {
  return [...m.entries()].flatMap(([w, is]) => is.map((i) => `${i}\t${w}`)).sort();
}

export interface ReportJson {
  notMoved: { image: string; where: string; reason: string }[];
  invalid: { values: string; reason: string }[];
  gates: { values: string }[];
  noPullSecret: { workload: string }[];
}

/**
 * The relocated render against the original one, place by place: each image
 * is `expectedAt(original)` at the same place, unless relocate's report
 * lists it as one values cannot move (with its template and line).
 */
export function expectRelocated(
  name: string,
  before: Map<string, string[]>,
  after: Map<string, string[]>,
  report: ReportJson,
  expectedAt: (original: string) => string,
): void {
  expect([...after.keys()].sort(), `${name}: the relocated render has the same containers and runtime images`).toEqual([...before.keys()].sort());
  const wrong: string[] = [];
  for (const [where, imgs] of before) {
    const got = after.get(where) ?? [];
    const want = imgs.map((i) => (report.notMoved.some((u) => u.image === i) ? i : expectedAt(i))).sort();
    if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`${where}: rendered ${got.join(', ')}; expected ${want.join(', ')}`);
  }
  expect(wrong, `${name}: images not relocated as expected`).toEqual([]);
  for (const u of report.notMoved) {
    if (!u.where.includes('templates/')) continue;
    expect(u.where, `${name}: ${u.image} is listed with its template and line`).toMatch(/:\d+$/);
  }
}
