/**
 * Acceptance on ten whole, real charts (../shared/charts-real, see its README):
 * for the default values and each `*.scenario.yaml`, `airlift images` lists
 * exactly the images `helm template` (the pinned helm, test/harness/tools.ts)
 * puts into pod specs, custom resources, and container args/env, with the tag
 * helm renders; runtime images are reported as such with where they were found.
 * The `expected-images*.tsv` files (rendered with helm 3.13's engine) are
 * checked against live helm too: where they disagree, live helm is the judge
 * (so far they agree on all twenty renders).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatReference, parseReference } from '../../../src/reference/index.js';
import { helmBinary } from '../../harness/tools.js';
import { runCli } from '../../helpers/io.js';
import { helmTemplate, renderedImages } from './helm-images.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const real = path.resolve(repoRoot, '../shared/charts-real');
if (!existsSync(real)) throw new Error(`real charts not found at ${real}: they are required for these tests`);

const norm = (s: string): string => formatReference(parseReference(s));
const uniqueSorted = (xs: string[]): string[] => [...new Set(xs)].sort();

interface Case {
  chart: string;
  label: string;
  args: string[];
  tsv: string;
}

const cases: Case[] = [];
for (const name of readdirSync(real).filter((n) => existsSync(path.join(real, n, 'chart', 'Chart.yaml'))).sort()) {
  cases.push({ chart: name, label: `${name} (default values)`, args: [], tsv: path.join(real, name, 'expected-images.tsv') });
  for (const s of readdirSync(path.join(real, name)).filter((f) => f.endsWith('.scenario.yaml'))) {
    cases.push({ chart: name, label: `${name} (${s})`, args: ['-f', path.join(real, name, s)], tsv: path.join(real, name, 'expected-images.scenario.tsv') });
  }
}

interface JsonDoc {
  images: { ref: string; sources: { kind: string; path: string; where?: string[]; runtime?: boolean }[] }[];
  errors: unknown[];
  warnings: string[];
}

describe('airlift images on real charts, judged by helm template', () => {
  it('judges with the pinned helm (scripts/go-tools.sh), and has the ten charts and their scenarios', () => {
    // go install leaves the patch number out of helm's own version string (the module is v3.22.0)
    expect(execFileSync(helmBinary(), ['version', '--short'], { encoding: 'utf8' })).toMatch(/^v3\.22\b/);
    expect(new Set(cases.map((c) => c.chart)).size).toBe(10);
    expect(cases.length).toBeGreaterThanOrEqual(18);
  });

  for (const c of cases) {
    it(`${c.label}: exactly the images helm renders, with helm's tags`, async () => {
      const chartDir = path.join(real, c.chart, 'chart');
      const helm = renderedImages(helmTemplate(chartDir, c.args));
      const helmSet = uniqueSorted(helm.map((h) => norm(h.image)));
      expect(helmSet.length).toBeGreaterThan(0);

      // The expected-images file agrees with live helm.
      const tsv = uniqueSorted(
        readFileSync(c.tsv, 'utf8')
          .split('\n')
          .filter((l) => l.trim() && !l.startsWith('#'))
          .map((l) => norm(l.split('\t')[0]!)),
      );
      expect(tsv).toEqual(helmSet);

      const list = await runCli(['images', chartDir, ...c.args, '-o', 'list']);
      // stderr holds at most the note on values images the templates do not use
      expect(list.stderr).toMatch(/^(left out \d+ image\(s\) set in values that the templates do not use with these values \(disabled components or subcharts\); --all-values lists them\n)?$/);
      expect(list.code).toBe(0);
      expect(list.stdout.trimEnd().split('\n')).toEqual(helmSet);

      // -o json: no errors or warnings; each runtime image helm names in args/env is marked, with where.
      const j = await runCli(['images', chartDir, ...c.args, '-o', 'json', '--strict']);
      expect(j.code).toBe(0);
      const doc = JSON.parse(j.stdout) as JsonDoc;
      expect(doc.errors).toEqual([]);
      expect(doc.warnings).toEqual([]);
      for (const h of helm) {
        const img = doc.images.find((i) => i.ref === norm(h.image));
        expect(img, h.image).toBeDefined();
        const wheres = img!.sources.flatMap((s) => s.where ?? []);
        expect(wheres.some((w) => w === h.where || w === `${h.where} (hook)`), `${h.image} at ${h.where}; airlift: ${wheres.join('; ')}`).toBe(true);
        if (h.runtime) expect(img!.sources.some((s) => s.runtime || (s.where ?? []).some((w) => / (arg|env) /.test(w)))).toBe(true);
      }
    });
  }

  it('cert-manager: images built from imageRegistry + imageNamespace + <component>.image.name keep their values paths', async () => {
    const j = await runCli(['images', path.join(real, 'cert-manager', 'chart'), '-o', 'json']);
    const doc = JSON.parse(j.stdout) as JsonDoc;
    const paths = Object.fromEntries(doc.images.map((i) => [i.ref, i.sources.map((s) => `${s.kind} ${s.path}`)]));
    expect(paths).toEqual({
      'quay.io/jetstack/cert-manager-acmesolver:v0.0.0': ['values acmesolver.image'],
      'quay.io/jetstack/cert-manager-cainjector:v0.0.0': ['values cainjector.image'],
      'quay.io/jetstack/cert-manager-controller:v0.0.0': ['values image'],
      'quay.io/jetstack/cert-manager-startupapicheck:v0.0.0': ['values startupapicheck.image'],
      'quay.io/jetstack/cert-manager-webhook:v0.0.0': ['values webhook.image'],
    });
    // image.tag alone (repository empty) is completed by the template, not reported as malformed
    const chartDir = path.join(real, 'cert-manager', 'chart');
    const tagged = await runCli(['images', chartDir, '--set', 'image.tag=v1.2.3', '--set', 'imageRegistry=mirror.example:5000/x', '-o', 'list', '--strict']);
    expect(tagged.stderr).not.toContain('warning');
    expect(tagged.stdout).toContain('mirror.example:5000/x/jetstack/cert-manager-controller:v1.2.3\n');
    const helmSet = [...new Set(renderedImages(helmTemplate(chartDir, ['--set', 'image.tag=v1.2.3', '--set', 'imageRegistry=mirror.example:5000/x'])).map((h) => norm(h.image)))].sort();
    expect(tagged.stdout.trimEnd().split('\n')).toEqual(helmSet);
    const acme = doc.images.find((i) => i.ref.includes('acmesolver'))!.sources[0]!;
    expect(acme.runtime).toBe(true);
    expect(acme.where).toEqual(['Deployment/release-cert-manager containers[cert-manager-controller] arg --acme-http01-solver-image']);
  });

  it('prometheus: node-exporter has the v-prefixed tag its template computes, at its values path', async () => {
    const j = await runCli(['images', path.join(real, 'prometheus', 'chart'), '-o', 'json']);
    const doc = JSON.parse(j.stdout) as JsonDoc;
    const ne = doc.images.find((i) => i.ref.startsWith('quay.io/prometheus/node-exporter:'))!;
    expect(ne.ref).toBe('quay.io/prometheus/node-exporter:v1.12.1');
    expect(ne.sources.map((s) => `${s.kind} ${s.path}`)).toEqual(['values prometheus-node-exporter.image']);
  });

  it('kyverno: the default registry (image.defaultRegistry with registry: ~) is the one helm renders', async () => {
    const r = await runCli(['images', path.join(real, 'kyverno', 'chart'), '-o', 'json']);
    const doc = JSON.parse(r.stdout) as JsonDoc;
    const k = doc.images.find((i) => i.ref === 'reg.kyverno.io/kyverno/kyverno:latest')!;
    expect(k.sources.map((s) => `${s.kind} ${s.path}`)).toEqual(['values admissionController.container.image']);
    // --all-values also lists what values set and the templates do not use (disabled subcharts)
    const all = await runCli(['images', path.join(real, 'kyverno', 'chart'), '--all-values', '-o', 'list']);
    expect(all.stdout).toContain('docker.io/bitnamilegacy/postgresql:16.1.0-debian-11-r22\n');
  });
});
