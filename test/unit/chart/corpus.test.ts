/**
 * The corpus of real charts (../shared/corpus/charts, see its SOURCES.md):
 * with the image annotations removed from every Chart.yaml (in a temporary
 * copy; the corpus is never modified), `airlift images -o list` must contain
 * every line of expected-images.txt (both sides normalised). Extra images and
 * malformed findings are documented below, chart by chart, and checked
 * exactly, so a change in what the scanner finds shows up here. The corpus charts do not vendor
 * every dependency (kube-prometheus-stack, the Bitnami charts): they are read as they are, with
 * --no-fetch-deps (nothing is fetched; the tests stay on loopback).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { IMAGE_ANNOTATIONS } from '../../../src/chart/sources.js';
import { formatReference, parseReference } from '../../../src/reference/index.js';
import { runCli } from '../../helpers/io.js';
import { sharedPath } from '../../helpers/shared.js';

const corpus = sharedPath('corpus/charts');

/** Extra images per chart (not in expected-images.txt) and why. */
const EXTRAS: Record<string, Record<string, string>> = {
  jenkins: { 'docker.io/bats/bats:1.14.0': 'helmtest.bats.image: the helm-test image, which the annotation does not list' },
  traefik: {
    'docker.io/library/traefik:latest': 'global.azure.images.proxy and oci_meta.images.proxy: cloud-marketplace placeholders, used only when those are enabled',
    'ghcr.io/traefik/traefik-hub:latest': 'global.azure.images.hub: marketplace placeholder',
    'docker.io/library/traefik-hub:latest': 'oci_meta.images.hub: marketplace placeholder (the marketplace supplies the registry)',
  },
};

/** Findings that cannot be assembled, per chart: values path → why. Reported on stderr, not listed. */
const ERRORS: Record<string, Record<string, RegExp>> = {
  'argo-cd': { 'redis-ha.haproxy.image': /not vendored/ },
  'kube-prometheus-stack': { 'crds.upgradeJob.image.kubectl': /no appVersion/ },
};

/** Expected lines that only the built-in hints for known charts produce (src/chart/known-charts.ts). */
const FROM_BUILTIN: Record<string, string[]> = {
  sonarqube: ['docker.io/library/sonarqube:26.7.0.124771-community', 'docker.io/library/sonarqube:2026.4.0-developer', 'docker.io/library/sonarqube:2026.4.0-enterprise'],
  traefik: ['docker.io/library/traefik:v3.7.11'],
};

/**
 * Templates the real chart ships and the corpus (values only) leaves out, recreated where an expected
 * image is a literal in a template rather than a value: the scanner's template pass must find it.
 */
const TEMPLATES: Record<string, Record<string, string>> = {
  // SOURCES.md: connect's busybox:latest is hard-coded in templates/tests/test-connection.yaml as plain `busybox`.
  connect: {
    'templates/tests/test-connection.yaml': [
      'apiVersion: v1',
      'kind: Pod',
      'metadata:',
      '  name: "{{ include "redpanda-connect.fullname" . }}-test-connection"',
      '  annotations:',
      '    "helm.sh/hook": test',
      'spec:',
      '  containers:',
      '    - name: wget',
      '      image: busybox',
      "      command: ['wget']",
      '  restartPolicy: Never',
      '',
    ].join('\n'),
  },
};
/** Expected lines found only by the template pass (kind `template`). */
const FROM_TEMPLATES: Record<string, string[]> = { connect: ['docker.io/library/busybox:latest'] };

const norm = (s: string): string => formatReference(parseReference(s));
const tmp = mkdtempSync(path.join(tmpdir(), 'airlift-corpus-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function stripAnnotations(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) n += stripAnnotations(p);
    else if (e === 'Chart.yaml') {
      const doc = parseDocument(readFileSync(p, 'utf8'));
      for (const k of IMAGE_ANNOTATIONS) if (doc.hasIn(['annotations', k])) (doc.deleteIn(['annotations', k]), n++);
      writeFileSync(p, doc.toString());
    }
  }
  return n;
}

const charts = readdirSync(corpus).filter((c) => existsSync(path.join(corpus, c, 'expected-images.txt'))).sort();
const summary: string[] = [];

describe('chart corpus', () => {
  it('has charts', () => {
    expect(charts.length).toBeGreaterThanOrEqual(18);
  });

  for (const name of charts) {
    it(`${name}: every expected image is listed`, async () => {
      const copy = path.join(tmp, name);
      cpSync(path.join(corpus, name), copy, { recursive: true });
      stripAnnotations(copy);
      for (const [rel, text] of Object.entries(TEMPLATES[name] ?? {})) {
        mkdirSync(path.dirname(path.join(copy, rel)), { recursive: true });
        writeFileSync(path.join(copy, rel), text);
      }
      for (const k of IMAGE_ANNOTATIONS) expect(readFileSync(path.join(copy, 'Chart.yaml'), 'utf8')).not.toContain(`${k}:`);

      // The corpus charts are values only (no templates to render): every image values name counts, disabled subcharts' too.
      const r = await runCli(['images', copy, '-o', 'list', '--no-annotations', '--all-values', '--no-fetch-deps']);
      expect(r.code).toBe(0);
      const got = r.stdout.split('\n').filter(Boolean);
      const expected = readFileSync(path.join(corpus, name, 'expected-images.txt'), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean).map(norm);
      const missing = expected.filter((e) => !got.includes(e));
      expect(missing).toEqual([]);
      const extras = got.filter((g) => !expected.includes(g)).sort();
      expect(extras).toEqual(Object.keys(EXTRAS[name] ?? {}).sort());

      const j = await runCli(['images', copy, '-o', 'json', '--no-annotations', '--no-fetch-deps']);
      const doc = JSON.parse(j.stdout) as { images: { ref: string; sources: { kind: string; file: string }[] }[]; errors: { path: string; error: string }[] };
      const errs = ERRORS[name] ?? {};
      expect(doc.errors.map((e) => e.path).sort()).toEqual(Object.keys(errs).sort());
      for (const e of doc.errors) expect(e.error).toMatch(errs[e.path]!);
      const builtinOnly = doc.images.filter((i) => i.sources.every((s) => s.file.startsWith('builtin:'))).map((i) => i.ref).sort();
      expect(builtinOnly).toEqual((FROM_BUILTIN[name] ?? []).slice().sort());
      const templateOnly = doc.images.filter((i) => i.sources.every((s) => s.kind === 'template')).map((i) => i.ref).sort();
      expect(templateOnly).toEqual((FROM_TEMPLATES[name] ?? []).slice().sort());

      summary.push(
        `${name.padEnd(22)} expected ${String(expected.length).padStart(2)}  found ${String(got.length).padStart(2)}  extra ${extras.length}  errors ${doc.errors.length}  builtin-only ${builtinOnly.length}` +
          (extras.length ? `  (${extras.map((x) => `${x}: ${EXTRAS[name]![x]}`).join('; ')})` : ''),
      );
    });
  }

  it('summary', () => {
    console.log(`corpus scan summary (annotations removed):\n${summary.join('\n')}`);
    expect(summary).toHaveLength(charts.length);
  });
});
