/**
 * The js-yaml fast path against the yaml package on rendered output: every file airlift's template
 * engine renders from the ten real charts (default values and their scenarios) and the corpus
 * charts, and what `helm template` renders from the real charts, parsed both ways and compared
 * with types and key order (yaml-judge.ts).
 */
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { RenderedFile, RenderUnit } from '../../../src/chart/render.js';
import { helmTemplate } from './helm-images.js';
import { agree } from '../../unit/chart/yaml-judge.js';

const rendered: string[] = [];
vi.mock('../../../src/chart/render-cache.js', async (original) => {
  const m = await original<typeof import('../../../src/chart/render-cache.js')>();
  return {
    ...m,
    renderChartsKept: (units: RenderUnit[]): RenderedFile[] => {
      const files = m.renderChartsKept(units);
      for (const f of files) if (f.text !== undefined) rendered.push(f.text);
      return files;
    },
  };
});
const { scanCharts } = await import('../../../src/chart/index.js');

const SHARED = path.resolve(import.meta.dirname, '../../../../shared');
const REAL = path.join(SHARED, 'charts-real');
const CORPUS = path.join(SHARED, 'corpus', 'charts');
const realCharts = () => readdirSync(REAL).filter((n) => existsSync(path.join(REAL, n, 'chart', 'Chart.yaml'))).sort();

function judge(texts: string[], what: string): void {
  let taken = 0;
  for (const [i, t] of texts.entries()) if (agree(t, `${what} #${i}`)) taken++;
  // the fast path must carry rendered output too, not decline its way to agreement
  expect(taken, what).toBeGreaterThan(texts.length * 0.95);
}

describe('js-yaml fast path on rendered output', () => {
  it("airlift's renders of the real charts (and scenarios) and the corpus charts", async () => {
    for (const name of realCharts()) {
      const chart = path.join(REAL, name, 'chart');
      await scanCharts([chart], { keepCharts: false });
      const scenario = readdirSync(path.join(REAL, name)).find((f) => f.endsWith('.scenario.yaml'));
      if (scenario) await scanCharts([chart], { keepCharts: false, valuesFiles: [path.join(REAL, name, scenario)] });
    }
    for (const name of readdirSync(CORPUS).sort()) {
      if (existsSync(path.join(CORPUS, name, 'Chart.yaml'))) await scanCharts([path.join(CORPUS, name)], { keepCharts: false }).catch(() => undefined);
    }
    expect(rendered.length).toBeGreaterThan(300);
    judge(rendered, 'airlift render');
  }, 120_000);

  it('helm template of the real charts (and scenarios)', () => {
    const texts: string[] = [];
    for (const name of realCharts()) {
      const chart = path.join(REAL, name, 'chart');
      texts.push(helmTemplate(chart));
      const scenario = readdirSync(path.join(REAL, name)).find((f) => f.endsWith('.scenario.yaml'));
      if (scenario) texts.push(helmTemplate(chart, ['-f', path.join(REAL, name, scenario)]));
    }
    expect(realCharts().length).toBeGreaterThanOrEqual(10);
    judge(texts, 'helm template');
  }, 120_000);
});
