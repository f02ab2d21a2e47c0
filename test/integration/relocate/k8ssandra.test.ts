/**
 * The K8ssandra-style fixture relocated and rendered by helm: every image of
 * every pod and of the CassandraDatacenter (its `serverImage` chosen from
 * `cassandra.versionImageMap` by `cassandra.version`, `configBuilderImage`)
 * is the mirror reference with its original path and tag, except the literal
 * test-hook image, which the report lists with its template and line; and
 * --check names the pods no pull-secret value reaches.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mapReference, parseTarget } from '../../../src/mapping/index.js';
import { formatReference, parseReference } from '../../../src/reference/index.js';
import { helmBinary } from '../../harness/tools.js';
import { runCli } from '../../helpers/io.js';
import { byWhere, expectRelocated, helmTemplate, repoRoot, type ReportJson } from './real-charts.js';

const chart = path.join(repoRoot, 'fixtures/charts/k8ssandra');
const TARGET = '127.0.0.1:5000/airgap';
const work = mkdtempSync(path.join(tmpdir(), 'airlift-k8ssandra-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('relocate fixtures/charts/k8ssandra, rendered by helm', () => {
  it('moves every image values control, the version-map image included', async () => {
    const before = byWhere(await helmTemplate(chart, []));
    expect(before.get('CassandraDatacenter/dc1 spec.serverImage')).toEqual(['docker.io/k8ssandra/cass-management-api:4.0.1']);
    const out = path.join(work, 'overrides.yaml');
    const reportFile = path.join(work, 'report.json');
    const r = await runCli(['relocate', chart, '--to', TARGET, '--pull-secret', 'mirror-pull', '-o', out, '--report', reportFile]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as ReportJson;
    expect(report.notMoved.map((u) => [u.image, path.basename(u.where)])).toEqual([['docker.io/library/busybox:1.36', 'smoke.yaml:10']]);
    const after = byWhere(await helmTemplate(chart, [out]));
    const target = parseTarget(TARGET);
    expectRelocated('k8ssandra', before, after, report, (i) => formatReference(mapReference(parseReference(i), target)));
    expect(after.get('CassandraDatacenter/dc1 spec.serverImage')).toEqual([`${TARGET}/k8ssandra/cass-management-api:4.0.1`]);
  });

  it('--check names what is left: the literal hook image and the pods no pull-secret value reaches', async () => {
    const r = await runCli(['relocate', chart, '--to', TARGET, '--pull-secret', 'mirror-pull', '-o', path.join(work, 'checked.yaml'), '--check', '--helm', helmBinary(), '--kube-version', 'v1.34.0']);
    expect(r.code).toBe(12);
    const rows = r.stderr.split('\n').filter((l) => / (not moved|no pull secret) /.test(l)).map((l) => l.split(/\s{2,}/).slice(0, 3).join(' | '));
    expect(rows.sort()).toEqual([
      'CassandraDatacenter/dc1 | - | no pull secret',
      'Deployment/release-stargate | - | no pull secret',
      'Job/release-cleaner (hook) | - | no pull secret',
      'Job/release-client | - | no pull secret',
      'Pod/release-smoke (hook) | - | no pull secret',
      'Pod/release-smoke containers[smoke] (hook) | busybox:1.36 | not moved',
    ]);
  });
});
