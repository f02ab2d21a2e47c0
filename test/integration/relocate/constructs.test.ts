/**
 * Relocation on each construct chart of fixtures/charts/constructs (one way
 * real charts build image references per chart: split registry/namespace/name,
 * a default registry, hub + tag + variant, {repository, name, tag}, tags
 * computed in templates), rendered by helm before and after: every image values
 * control is the mirror reference at its mapped path with its tag; the rest is
 * listed by the report as not movable. `nothing-rendered` renders no pod: the
 * relocation says what it wrote and --check finds nothing to object to.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mapReference, parseTarget } from '../../../src/mapping/index.js';
import { formatReference, parseReference } from '../../../src/reference/index.js';
import { runCli } from '../../helpers/io.js';
import { byWhere, expectRelocated, helmTemplate, repoRoot, type ReportJson } from './real-charts.js';

const dir = path.join(repoRoot, 'fixtures/charts/constructs');
const charts = readdirSync(dir).filter((n) => existsSync(path.join(dir, n, 'Chart.yaml'))).sort();
if (charts.length < 5) throw new Error(`construct charts missing under ${dir}`);
const TARGET = '127.0.0.1:5000/airgap';
const work = mkdtempSync(path.join(tmpdir(), 'airlift-constructs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.each(charts.filter((c) => c !== 'nothing-rendered'))('%s', (name) => {
  it.each(['default', 'flatten'] as const)('--mapping %s: every image values control at its mapped path, as helm renders it', async (mode) => {
    const chart = path.join(dir, name);
    const out = path.join(work, `${name}-${mode}.yaml`);
    const reportFile = path.join(work, `${name}-${mode}.json`);
    const r = await runCli(['relocate', chart, '--to', TARGET, '--mapping', mode, '-o', out, '--report', reportFile]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as ReportJson;
    const before = byWhere(await helmTemplate(chart, []));
    expect(before.size, `${name} renders images`).toBeGreaterThan(0);
    const after = byWhere(await helmTemplate(chart, [out]));
    const target = parseTarget(TARGET);
    expectRelocated(`${name} (${mode})`, before, after, report, (i) => formatReference(mapReference(parseReference(i), target, mode)));
    const moved = [...after.values()].flat().filter((i) => i.startsWith(`${TARGET}/`));
    expect(moved.length, `${name}: at least one image moved`).toBeGreaterThan(0);
  });
});
