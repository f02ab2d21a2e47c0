/**
 * Acceptance on the ten real charts (../shared/charts-real), default values
 * and each scenario, with the pinned helm as the judge:
 *  - helm's render of the untouched chart, read as `relocate --check` reads
 *    it, is exactly the chart's expected-images*.tsv (same places, images);
 *  - `airlift relocate --to HOST/PREFIX --pull-secret NAME -o overrides.yaml`,
 *    then `helm template -f <scenario> -f overrides.yaml`: the render
 *    succeeds, every container, init container and runtime image (args/env)
 *    at every place is the mirror reference with the original path and tag,
 *    unless relocate's report lists it as one values cannot move (with its
 *    template and line), and every pod carries the pull secret or its
 *    ServiceAccount does.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mapReference, parseTarget } from '../../../src/mapping/index.js';
import { checkRendered } from '../../../src/relocate/check.js';
import { formatReference, parseReference } from '../../../src/reference/index.js';
import { runCli } from '../../helpers/io.js';
import { byWhere, expectRelocated, helmTemplate, pairs, realCases, type ReportJson } from './real-charts.js';

const TARGET = '127.0.0.1:5000/airgap/mirror';
const SECRET = 'mirror-pull';
const work = mkdtempSync(path.join(tmpdir(), 'airlift-real-relocate-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.each(realCases())('$name', (c) => {
  it('helm renders what expected-images lists, read as --check reads it', async () => {
    // The list gives each image once per kind (container, runtime) at one of its places: every
    // row is in the render, and the render holds no other image.
    const before = pairs(byWhere(await helmTemplate(c.chart, c.values)));
    const expected = pairs(c.expected);
    expect(expected.filter((p) => !before.includes(p)), 'listed but not read from the render').toEqual([]);
    expect([...new Set(before.map((p) => p.split('\t')[0]))].sort()).toEqual([...new Set(expected.map((p) => p.split('\t')[0]))].sort());
  });

  it('relocated with --pull-secret: every image at the mirror under its path and tag, every pod with the secret', async () => {
    const slug = c.name.replace(/\W+/g, '-');
    const out = path.join(work, `${slug}.yaml`);
    const reportFile = path.join(work, `${slug}.report.json`);
    const r = await runCli(['relocate', c.chart, ...c.values.flatMap((v) => ['-f', v]), '--to', TARGET, '--pull-secret', SECRET, '-o', out, '--report', reportFile]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as ReportJson;
    expect(readFileSync(out, 'utf8')).toMatch(/^# Values overrides written by airlift/);

    const before = byWhere(await helmTemplate(c.chart, c.values));
    const after = await helmTemplate(c.chart, [...c.values, out]);
    const target = parseTarget(TARGET);
    expectRelocated(c.name, before, byWhere(after), report, (i) => formatReference(mapReference(parseReference(i), target)));

    const secrets = checkRendered(after, { target, pullSecrets: [SECRET] }).problems.filter((p) => p.problem === 'no pull secret' || p.problem === 'bad pull secrets');
    expect(secrets, `${c.name}: pods without the pull secret`).toEqual([]);
  });
});

describe.each(realCases().filter((c) => c.values.length === 0))('$name with the other mappings', (c) => {
  it.each(['preserve-registry', 'flatten'] as const)('--mapping %s: every image at its mapped path', async (mode) => {
    const slug = `${c.name.replace(/\W+/g, '-')}-${mode}`;
    const out = path.join(work, `${slug}.yaml`);
    const reportFile = path.join(work, `${slug}.report.json`);
    const r = await runCli(['relocate', c.chart, '--to', TARGET, '--mapping', mode, '-o', out, '--report', reportFile]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as ReportJson;
    const before = byWhere(await helmTemplate(c.chart, []));
    const after = byWhere(await helmTemplate(c.chart, [out]));
    const target = parseTarget(TARGET);
    expectRelocated(`${c.name} (${mode})`, before, after, report, (i) => formatReference(mapReference(parseReference(i), target, mode)));
  });
});
