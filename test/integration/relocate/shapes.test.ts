/**
 * One rule per construct, on fixtures/charts/relocate-shapes rendered by the
 * pinned helm: pull secrets in the shape each template consumes (toYaml →
 * {name}; "- name: {{ . }}" → strings; ".name" → {name}; a named template
 * writing "- name: {{ . | quote }}" → strings; a map of secrets to create is
 * left alone), the image gate (global.security.allowInsecureImages, said in
 * the header), a literal image listed with its template and line, a workload
 * no pull-secret value reaches, and `relocate --check` / `--strict` /
 * `--report` / no helm.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseTarget } from '../../../src/mapping/index.js';
import { checkRendered } from '../../../src/relocate/check.js';
import type { RenderedChart } from '../../../src/relocate/rendered.js';
import { helmBinary } from '../../harness/tools.js';
import { runCli } from '../../helpers/io.js';
import { helmTemplate, repoRoot } from './real-charts.js';

const chart = path.join(repoRoot, 'fixtures/charts/relocate-shapes');
const TARGET = '127.0.0.1:5000/mirror';
const SECRET = 'mirror-pull';
const work = mkdtempSync(path.join(tmpdir(), 'airlift-shapes-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const out = path.join(work, 'overrides.yaml');
const reportFile = path.join(work, 'report.json');
let overrides = '';
let rendered: RenderedChart;
let stderr = '';

beforeAll(async () => {
  const r = await runCli(['relocate', chart, '--to', TARGET, '--pull-secret', SECRET, '-o', out, '--report', reportFile]);
  expect(r.code, r.stderr).toBe(0);
  stderr = r.stderr;
  overrides = readFileSync(out, 'utf8');
  rendered = await helmTemplate(chart, [out]);
});

function podSecrets(object: string): string[] {
  const p = rendered.pods.find((x) => x.object === object);
  if (!p) throw new Error(`${object} not rendered`);
  return p.pullSecrets;
}

describe('relocate on fixtures/charts/relocate-shapes, rendered by helm', () => {
  it('writes each pull-secret list in the form its template reads, and every such pod renders with the secret', () => {
    const v = parse(overrides) as Record<string, { imagePullSecrets?: unknown }>;
    expect(v.api!.imagePullSecrets).toEqual([{ name: SECRET }]); // toYaml
    expect(v.worker!.imagePullSecrets).toEqual([SECRET]); // - name: {{ . }}
    expect(v.jobs!.imagePullSecrets).toEqual([{ name: SECRET }]); // {{ .name }}
    expect(v.cron!.imagePullSecrets).toEqual([SECRET]); // named template, {{ . | quote }}
    expect((v as { imagePullSecrets?: unknown }).imagePullSecrets, 'the map of secrets to create is left alone').toBeUndefined();
    for (const o of ['Deployment/release-api', 'StatefulSet/release-worker', 'Job/release-jobs', 'CronJob/release-cron']) expect(podSecrets(o), o).toEqual([SECRET]);
  });

  it('opens the image gate the chart checks, and says so in the header', async () => {
    expect((parse(overrides) as { global: { security: { allowInsecureImages: boolean } } }).global.security.allowInsecureImages).toBe(true);
    expect(overrides).toMatch(/^# Image check: global\.security\.allowInsecureImages set to true: .*_helpers\.tpl/m);
    // Without it the relocated chart does not render (the gate is real): helm refuses the mirror's registry.
    const closed = path.join(work, 'gate-closed.yaml');
    writeFileSync(closed, 'global:\n  security:\n    allowInsecureImages: false\n');
    await expect(helmTemplate(chart, [out, closed])).rejects.toThrow(/not an original image/);
    const images = rendered.images.filter((i) => i.kind === 'container').map((i) => i.image).sort();
    expect(images).toEqual(['127.0.0.1:5000/mirror/shapes/api:1.0.0', '127.0.0.1:5000/mirror/shapes/cron:3.0.0', '127.0.0.1:5000/mirror/shapes/jobs:2.0.0', '127.0.0.1:5000/mirror/shapes/worker:1.0.0', 'busybox:1.36']);
  });

  it('lists the literal image with its template and line, and the workload no pull-secret value reaches', () => {
    expect(overrides).toMatch(/# {3}docker\.io\/library\/busybox:1\.36 \(written literally in a chart template; .*templates\/node-agent\.yaml:15\)/);
    expect(overrides).toMatch(/# {3}DaemonSet \(relocate-shapes\): .*templates\/node-agent\.yaml/);
    expect(stderr).toMatch(/warn: not relocatable by values: docker\.io\/library\/busybox:1\.36 .*node-agent\.yaml:15/);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { notMoved: { image: string; where: string }[]; noPullSecret: { file: string }[]; gates: { values: string }[]; complete: boolean };
    expect(report.notMoved.map((u) => [u.image, path.basename(u.where)])).toEqual([
      ['docker.io/library/busybox:1.36', 'node-agent.yaml:15'],
      ['docker.io/shapes/helper:1.0.0', 'node-agent.yaml:16'],
    ]);
    expect(report.noPullSecret.map((n) => path.basename(n.file))).toEqual(['node-agent.yaml']);
    expect(report.gates.map((g) => g.values)).toEqual(['global.security.allowInsecureImages']);
    expect(report.complete).toBe(false);
    const problems = checkRendered(rendered, { target: parseTarget(TARGET), pullSecrets: [SECRET] }).problems;
    expect(problems.map((p) => `${p.where} ${p.problem}`).sort()).toEqual([
      'DaemonSet/release-node-agent containers[agent] arg --helper-image not moved',
      'DaemonSet/release-node-agent containers[agent] not moved',
      'DaemonSet/release-node-agent no pull secret',
    ]);
  });

  it('--check renders with helm, prints what is not moved and why, and exits 12 (E_INCOMPLETE)', async () => {
    const r = await runCli(['relocate', chart, '--to', TARGET, '--pull-secret', SECRET, '-o', path.join(work, 'checked.yaml'), '--check', '--helm', helmBinary()]);
    expect(r.code, r.stderr).toBe(12);
    expect(r.stderr).toMatch(/DaemonSet\/release-node-agent containers\[agent\] +busybox:1\.36 +not moved +written literally in a chart template \(.*node-agent\.yaml:15\)/);
    expect(r.stderr).toMatch(/DaemonSet\/release-node-agent +- +no pull secret +its ServiceAccount "default" is not part of the chart/);
    expect(r.stderr).toMatch(/E_INCOMPLETE/);
    expect(readFileSync(path.join(work, 'checked.yaml'), 'utf8'), 'the overrides are written all the same').toMatch(/^# Values overrides/);
  });

  it('--check passes (exit 0) when helm renders everything under the mirror with the secret', async () => {
    // The user's values leave the node agent out (helm gets the same --set): what remains is all moved.
    const r = await runCli(['relocate', chart, '--to', TARGET, '--pull-secret', SECRET, '-o', path.join(work, 'ok.yaml'), '--check', '--helm', helmBinary(), '--set', 'nodeAgent.enabled=false']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/--check: 4 image\(s\) in 4 pod spec\(s\) rendered by helm; all under the mirror, every pod with the pull secret/);
  });

  it('--check without helm says helm is needed', async () => {
    const r = await runCli(['relocate', chart, '--to', TARGET, '-o', path.join(work, 'nohelm.yaml'), '--check', '--helm', path.join(work, 'no-such-helm')]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/--check needs helm/);
  });

  it('--strict exits 12 when an image is left at its source', async () => {
    const r = await runCli(['relocate', chart, '--to', TARGET, '-o', path.join(work, 'strict.yaml'), '--strict']);
    expect(r.code).toBe(12);
    expect(r.stderr).toMatch(/--strict: 2 image\(s\) left at their source/);
  });
});
