import { describe, expect, it } from 'vitest';
import { scanValues, type ScanContext } from '../../../src/chart/detect.js';
import { formatPath } from '../../../src/chart/values.js';
import { formatReference } from '../../../src/reference/index.js';
import type { ImageFinding } from '../../../src/chart/types.js';

const ctx = (over: Partial<ScanContext> = {}): ScanContext => ({
  chart: 'c',
  appVersion: '1.2.3',
  valuesPrefix: [],
  origin: () => 'values.yaml',
  ...over,
});

/** path → formatted reference (or "ERROR: …") */
function scan(values: Record<string, unknown>, over: Partial<ScanContext> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of scanValues(values, ctx(over))) out[formatPath(f.path)] = f.ref ? formatReference(f.ref) : `ERROR: ${f.error}`;
  return out;
}
function one(values: Record<string, unknown>, over: Partial<ScanContext> = {}): ImageFinding {
  const fs = scanValues(values, ctx(over));
  expect(fs).toHaveLength(1);
  return fs[0]!;
}

describe('scanValues: image objects', () => {
  it('registry/repository/tag/digest', () => {
    const f = one({ image: { registry: 'docker.io', repository: 'bitnami/redis', tag: '8.2', digest: '' } });
    expect(formatReference(f.ref!)).toBe('docker.io/bitnami/redis:8.2');
    expect(f.layout).toMatchObject({ type: 'object', registryFrom: 'self', fields: { registry: 'docker.io', repository: 'bitnami/redis', tag: '8.2', digest: null } });
  });
  it('image instead of repository, sha instead of digest (bare hex gets sha256:)', () => {
    const hex = 'a'.repeat(64);
    expect(scan({ x: { image: { registry: 'r.io', image: 'org/app', tag: '1' } }, y: { image: { repository: 'q.io/a', tag: '2', sha: hex } } })).toEqual({
      'x.image': 'r.io/org/app:1',
      'y.image': `q.io/a:2@sha256:${hex}`,
    });
  });
  it('name instead of repository only under an image-like key', () => {
    expect(scan({ image: { name: 'app', tag: '1' }, serviceAccount: { name: 'sa', tag: 'x' } })).toEqual({ image: 'docker.io/library/app:1' });
  });
  it('a tag carrying @sha256 is split into tag and digest', () => {
    const d = `sha256:${'b'.repeat(64)}`;
    expect(scan({ image: { repository: 'nginx', tag: `1.25@${d}` } })).toEqual({ image: `docker.io/library/nginx:1.25@${d}` });
  });
  it('repository embedding a registry host; registry carrying a path', () => {
    const f = one({ image: { repository: 'quay.io/prometheus/prometheus', tag: 'v2' } });
    expect(f.layout).toMatchObject({ registryFrom: 'repository' });
    expect(formatReference(f.ref!)).toBe('quay.io/prometheus/prometheus:v2');
    expect(scan({ image: { registry: 'docker.io/library', image: 'traefik', tag: 'latest' } })).toEqual({ image: 'docker.io/library/traefik:latest' });
  });
  it('maps not under an image key need a companion field', () => {
    expect(scan({ runners: { job: { registry: 'r1.io', repository: 'ubi9', tag: '9.7' } }, git: { repository: 'org/repo' } })).toEqual({ 'runners.job': 'r1.io/ubi9:9.7' });
  });
  it('global.imageRegistry wins over the per-image registry (Bitnami rule)', () => {
    const f = scanValues({ global: { imageRegistry: 'mirror:5000' }, image: { registry: 'docker.io', repository: 'bitnami/pg', tag: '1' }, other: { image: { repository: 'x/y', tag: '1' } } }, ctx());
    const byPath = Object.fromEntries(f.map((x) => [formatPath(x.path), x]));
    expect(formatReference(byPath['image']!.ref!)).toBe('mirror:5000/bitnami/pg:1');
    expect(byPath['image']!.layout).toMatchObject({ registryFrom: 'global', globalPath: ['global', 'imageRegistry'] });
    // a map without a `registry` key does not use it
    expect(formatReference(byPath['other.image']!.ref!)).toBe('docker.io/x/y:1');
  });
  it('global.image.registry is the default registry (ingress-nginx rule); the own registry wins', () => {
    expect(scan({ global: { image: { registry: 'registry.k8s.io' } }, controller: { image: { image: 'ingress-nginx/controller', tag: 'v1' } }, b: { image: { registry: 'own.io', image: 'x', tag: '1' } } })).toEqual({
      'controller.image': 'registry.k8s.io/ingress-nginx/controller:v1',
      'b.image': 'own.io/x:1',
    });
  });
  it('empty or null tags come from appVersion and are marked', () => {
    const f = one({ image: { repository: 'org/app', tag: null } });
    expect(formatReference(f.ref!)).toBe('docker.io/org/app:1.2.3');
    expect(f.tagDefaulted).toBe('appVersion');
  });
  it('registry.k8s.io images get v + bare-semver appVersion', () => {
    const f = one({ image: { repository: 'registry.k8s.io/external-dns/external-dns', tag: '' } }, { appVersion: '0.21.0' });
    expect(formatReference(f.ref!)).toBe('registry.k8s.io/external-dns/external-dns:v0.21.0');
    expect(f.tagDefaulted).toBe('v-appVersion');
    const g = one({ image: { repository: 'registry.k8s.io/x', tag: '' } }, { appVersion: 'v1.0.0' });
    expect(formatReference(g.ref!)).toBe('registry.k8s.io/x:v1.0.0');
  });
  it('tagLabel is appended to the appVersion (jenkins)', () => {
    const f = one({ controller: { image: { registry: 'docker.io', repository: 'jenkins/jenkins', tag: null, tagLabel: 'jdk21' } } }, { appVersion: '2.568.2' });
    expect(formatReference(f.ref!)).toBe('docker.io/jenkins/jenkins:2.568.2-jdk21');
  });
  it('no tag and no appVersion is an error finding with its path', () => {
    const f = one({ job: { image: { registry: 'registry.k8s.io', repository: 'kubectl', tag: '' } } }, { appVersion: undefined, chart: 'p/crds' });
    expect(f.ref).toBeUndefined();
    expect(f.error).toMatch(/no appVersion/);
    expect(f.path).toEqual(['job', 'image']);
    expect(f.file).toBe('values.yaml');
  });
  it('an empty tag under a dependency that is not vendored is an error', () => {
    const f = one({ 'redis-ha': { haproxy: { image: { repository: 'haproxy' } } } }, { missingDeps: new Map([['redis-ha', true]]) });
    expect(f.error).toMatch(/subchart redis-ha, which is not vendored/);
    expect(f.disabled).toBe(true);
  });
  it('malformed references are findings with an error, not dropped', () => {
    const f = one({ image: { repository: 'Org/App', tag: '1' } });
    expect(f.ref).toBeUndefined();
    expect(f.raw).toBe('Org/App:1');
    expect(f.error).toMatch(/lowercase/);
  });
  it('a tag without repository is reported; an all-empty image object is not an image', () => {
    expect(scan({ image: { repository: '', tag: '1' } })).toEqual({ image: expect.stringMatching(/^ERROR: repository is empty/) });
    expect(scan({ provider: { webhook: { image: { repository: null, tag: null } } } })).toEqual({});
  });
});

describe('scanValues: fallbacks and siblings', () => {
  it('components with an empty repository fall back to global.image (argo-cd)', () => {
    const fs = scanValues(
      { global: { image: { repository: 'quay.io/argoproj/argocd', tag: '' } }, server: { image: { repository: '', tag: '' } }, dex: { initImage: { repository: '', tag: 'v9' } } },
      ctx({ appVersion: 'v3.4.4' }),
    );
    const m = Object.fromEntries(fs.map((f) => [formatPath(f.path), f]));
    expect(formatReference(m['global.image']!.ref!)).toBe('quay.io/argoproj/argocd:v3.4.4');
    expect(formatReference(m['server.image']!.ref!)).toBe('quay.io/argoproj/argocd:v3.4.4');
    expect(m['server.image']!.layout).toMatchObject({ fallbackPath: ['global', 'image'] });
    expect(formatReference(m['dex.initImage']!.ref!)).toBe('quay.io/argoproj/argocd:v9');
  });
  it('default*Repository + default*Tag at the top (airflow)', () => {
    expect(
      scan({ defaultAirflowRepository: 'apache/airflow', defaultAirflowTag: '3.0.2', images: { airflow: { repository: null, tag: null, digest: null }, redis: { repository: 'redis', tag: '7' } } }),
    ).toEqual({ '': 'docker.io/apache/airflow:3.0.2', 'images.airflow': 'docker.io/apache/airflow:3.0.2', 'images.redis': 'docker.io/library/redis:7' });
  });
  it('sibling keys foo.image + foo.tag', () => {
    const f = one({ exporter: { enabled: true, image: 'ghcr.io/oliver006/redis_exporter', tag: 'v1.75.0' } });
    expect(formatReference(f.ref!)).toBe('ghcr.io/oliver006/redis_exporter:v1.75.0');
    expect(f.layout).toEqual({ type: 'sibling', imageKey: 'image', tagKey: 'tag' });
    expect(f.path).toEqual(['exporter']);
  });
});

describe('scanValues: strings and precision', () => {
  it('plain strings under image keys, in lists and containers', () => {
    expect(
      scan({
        image: 'quay.io/org/app:1.2',
        sidecars: [{ name: 's', image: 'busybox' }],
        extraContainers: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
        curlContainerImage: 'curlimages/curl:8',
        images: ['a/b:1'],
      }),
    ).toEqual({
      image: 'quay.io/org/app:1.2',
      'sidecars[0].image': 'docker.io/library/busybox:latest',
      'extraContainers.containers[0].image': 'docker.io/library/nginx:1.25',
      curlContainerImage: 'docker.io/curlimages/curl:8',
      'images[0]': 'docker.io/a/b:1',
    });
  });
  it('ignores pull policies, pull secrets, labels, URLs, templates and empty strings', () => {
    expect(
      scan({
        imagePullPolicy: 'IfNotPresent',
        image: { pullPolicy: 'Always', pullSecrets: ['x'] },
        imagePullSecrets: [{ name: 'a' }],
        labels: { 'example.com/image': 'nginx' },
        chart: { repository: 'https://charts.example.com', tag: '1' },
        config: { worker: { image: '{{ .Values.images.airflow.repository }}' } },
        tests: { image: '' },
        registry: 'txt',
      }),
    ).toEqual({});
  });
  it('skips subchart keys and, in subcharts, global; prefixes paths', () => {
    const v = { global: { image: { repository: 'g/x', tag: '1' } }, sub: { image: 'a:1' }, own: { image: 'b:1' } };
    expect(scan(v, { skipKeys: new Set(['sub']), scanGlobal: false, valuesPrefix: ['parent'] })).toEqual({ 'parent.own.image': 'docker.io/library/b:1' });
  });
});

describe('transport-prefixed images', () => {
  it('reports docker:// and oci:// values as malformed findings with their values path, never drops them', async () => {
    const findings = scanValues(
      { app: { image: 'docker://quay.io/org/app:1.2' }, side: { image: { repository: 'oci://ghcr.io/org/side', tag: '1' } }, logo: { image: 'https://example.com/logo.png' } },
      ctx(),
    );
    const errors = findings.filter((f) => f.error).map((f) => [f.path.join('.'), f.error]);
    expect(errors).toEqual([
      ['app.image', expect.stringContaining('docker:// prefix')],
      ['side.image', expect.stringContaining('oci:// prefix')],
    ]);
    // An http(s) URL under an image key is something else (a logo), not an image.
    expect(findings.filter((f) => f.path.join('.') === 'logo.image')).toEqual([]);
  });
});
