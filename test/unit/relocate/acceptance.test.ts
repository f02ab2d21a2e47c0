/**
 * Relocation acceptance, through the CLI in-process: for every chart of the
 * corpus (../shared/corpus/charts; required) and the K8ssandra-style fixture,
 * `airlift relocate` writes overrides, then `airlift images CHART -f
 * OVERRIDES -o json` must yield only references under the mirror, exactly
 * one for each original image, at the mapped path below the prefix, with the
 * same tag and digest.
 *
 * Both scans read values only (`--no-annotations`): the corpus expected lists
 * were derived with annotations, but an annotation (like a literal image in a
 * template) cannot be rewritten by values, so findings of kind template and
 * annotation are left out on both sides. They are what `--emit containerd`
 * is for. The corpus charts do not vendor every dependency: both read them as they are
 * (--no-fetch-deps; nothing is fetched, the tests stay on loopback).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { mapReference, parseTarget, type MappingMode } from '../../../src/mapping/index.js';
import { formatReference, parseReference } from '../../../src/reference/index.js';
import { runCli } from '../../helpers/io.js';
import { sharedPath } from '../../helpers/shared.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const corpus = sharedPath('corpus/charts');
const corpusCharts = readdirSync(corpus).filter((n) => existsSync(path.join(corpus, n, 'Chart.yaml'))).sort();
if (corpusCharts.length === 0) throw new Error(`no charts under ${corpus}`);
const k8ssandra = path.join(repoRoot, 'fixtures/charts/k8ssandra');
if (!existsSync(path.join(k8ssandra, 'Chart.yaml'))) throw new Error(`K8ssandra fixture missing at ${k8ssandra}`);

const work = mkdtempSync(path.join(tmpdir(), 'airlift-relocate-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const TARGET = '127.0.0.1:5000/airgap/mirror';

function writeUserValues(name: string, text: string): string {
  const file = path.join(work, `${name}-user-values.yaml`);
  writeFileSync(file, text);
  return file;
}

interface JsonImages {
  images: { ref: string; sources: { kind: string; path: string }[] }[];
}

/** The references values (and hints) set, as `airlift images -o json` lists them. */
async function valuesImages(chart: string, values: string[] = [], extra: string[] = []): Promise<string[]> {
  const r = await runCli(['images', chart, '--no-annotations', '--no-fetch-deps', ...extra, ...values.flatMap((v) => ['-f', v]), '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout) as JsonImages;
  return doc.images
    .filter((i) => i.sources.some((s) => s.kind === 'values' || s.kind === 'hints'))
    .map((i) => formatReference(parseReference(i.ref)))
    .sort();
}

async function relocate(chart: string, out: string, extra: string[] = []): Promise<string> {
  const r = await runCli(['relocate', chart, '--to', TARGET, '--no-annotations', '--no-fetch-deps', '-o', out, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return readFileSync(out, 'utf8');
}

/** `user`: the user's own values file (given to relocate and to both scans, before the overrides). */
async function checkRoundTrip(chart: string, name: string, mode: MappingMode, user?: string): Promise<string> {
  const userFiles = user === undefined ? [] : [writeUserValues(name, user)];
  const before = await valuesImages(chart, userFiles);
  expect(before.length, `${name}: no images found in values`).toBeGreaterThan(0);
  const overrides = path.join(work, `${name}-${mode}-${userFiles.length}.yaml`);
  const text = await relocate(chart, overrides, ['--mapping', mode, ...userFiles.flatMap((f) => ['-f', f])]);
  expect(text.startsWith('# Values overrides written by airlift')).toBe(true);
  const after = await valuesImages(chart, [...userFiles, overrides]);

  const target = parseTarget(TARGET);
  const outside = after.filter((r) => !r.startsWith(`${TARGET}/`));
  expect(outside, `${name}: references not under the mirror after relocation`).toEqual([]);
  const expected = [...new Set(before.map((r) => formatReference(mapReference(parseReference(r), target, mode))))].sort();
  // One for each original image, same path below the prefix, same tag and digest.
  expect(after, `${name} (${mode})`).toEqual(expected);
  return text;
}

describe('relocate: corpus charts scan back to the mirror only (default mapping)', () => {
  for (const name of corpusCharts) {
    it(name, async () => {
      await checkRoundTrip(path.join(corpus, name), name, 'default');
    });
  }
});

describe('relocate: other mappings', () => {
  for (const name of ['kube-prometheus-stack', 'postgresql', 'ingress-nginx', 'argo-cd']) {
    it(`${name} with --mapping preserve-registry`, async () => {
      await checkRoundTrip(path.join(corpus, name), name, 'preserve-registry');
    });
  }
  for (const name of ['kube-prometheus-stack', 'redis', 'ingress-nginx', 'airflow']) {
    it(`${name} with --mapping flatten`, async () => {
      await checkRoundTrip(path.join(corpus, name), name, 'flatten');
    });
  }
  for (const mode of ['default', 'preserve-registry', 'flatten'] as const) {
    it(`K8ssandra fixture with --mapping ${mode}`, async () => {
      await checkRoundTrip(k8ssandra, 'k8ssandra', mode);
    });
  }
});

/** Every place the K8ssandra fixture reads pull secrets (fixtures/charts/README.md), and the form used there. */
const K8SSANDRA_PULL_SECRET_PLACES: Record<string, unknown> = {
  'global.imagePullSecrets': [{ name: 'mirror-pull' }],
  'cassandra.imagePullSecrets': [{ name: 'mirror-pull' }],
  'stargate.imagePullSecrets': [{ name: 'stargate-pull' }, { name: 'mirror-pull' }],
  'client.imagePullSecrets': ['tools-pull', 'mirror-pull'],
  'cleaner.serviceAccount.imagePullSecrets': [{ name: 'mirror-pull' }],
  'cass-operator.imagePullSecrets': [{ name: 'mirror-pull' }],
  'cass-operator.serviceAccount.imagePullSecrets': [{ name: 'mirror-pull' }],
  'reaper.imagePullSecrets': [{ name: 'mirror-pull' }],
  'medusa-operator.imagePullSecrets': [{ name: 'mirror-pull' }],
};

function pullSecretLists(node: unknown, prefix: string[] = [], out: Record<string, unknown> = {}): Record<string, unknown> {
  if (node && typeof node === 'object' && !Array.isArray(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'imagePullSecrets' || k === 'pullSecrets') out[[...prefix, k].join('.')] = v;
      else pullSecretLists(v, [...prefix, k], out);
    }
  }
  return out;
}

describe('relocate: global registries the chart reads', () => {
  it('global.imageRegistry set by the user (Bitnami: it wins over every image registry) is overridden once', async () => {
    const text = await checkRoundTrip(path.join(corpus, 'postgresql'), 'postgresql-global', 'default', 'global:\n  imageRegistry: docker.io\n');
    const doc = parse(text) as { global: { imageRegistry: string }; image?: { registry?: string } };
    expect(doc.global.imageRegistry).toBe(TARGET);
    // The per-image registry would be ignored by the chart: it is not written.
    expect(doc.image?.registry).toBeUndefined();
  });
  it('global.imageRegistry with preserve-registry and flatten (kube-prometheus-stack, grafana)', async () => {
    await checkRoundTrip(path.join(corpus, 'kube-prometheus-stack'), 'kps-global', 'preserve-registry', 'global:\n  imageRegistry: quay.io\n');
    await checkRoundTrip(path.join(corpus, 'grafana'), 'grafana-global', 'flatten', 'global:\n  imageRegistry: docker.io\n');
  });
  it('global.image.registry (ingress-nginx) is set once to the mirror', async () => {
    const text = await checkRoundTrip(path.join(corpus, 'ingress-nginx'), 'ingress-nginx-g', 'default');
    const doc = parse(text) as { global: { image: { registry: string } } };
    expect(doc.global.image.registry).toBe(TARGET);
  });
});

describe('relocate: K8ssandra pull secrets', () => {
  it('sets the pull secret at every place the chart reads pull secrets, in the form used there', async () => {
    const out = path.join(work, 'k8ssandra-secrets.yaml');
    const text = await relocate(k8ssandra, out, ['--pull-secret', 'mirror-pull']);
    const doc = parse(text) as Record<string, unknown>;
    expect(pullSecretLists(doc)).toEqual(K8SSANDRA_PULL_SECRET_PLACES);
    // The header names the chart and the mirror.
    expect(text).toMatch(/^# Charts: k8ssandra-/m);
    expect(text).toContain(`# Mirror: ${TARGET} (mapping: default)`);
  });
});
