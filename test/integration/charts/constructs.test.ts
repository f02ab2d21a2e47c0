/**
 * One small chart per construct (fixtures/charts/constructs/, and the
 * K8ssandra-style fixture), rendered by the pinned helm: `airlift images`
 * lists exactly what helm renders, with helm's tags, and says which values
 * path drives each image (what relocate overrides) or that a template does.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../../src/cli/exit-codes.js';
import { scanCharts } from '../../../src/chart/index.js';
import { formatReference, parseReference } from '../../../src/reference/index.js';
import { runCli } from '../../helpers/io.js';
import { helmTemplate, renderedImages } from './helm-images.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const constructs = path.join(repoRoot, 'fixtures/charts/constructs');
const norm = (s: string): string => formatReference(parseReference(s));

interface Doc {
  images: { ref: string; sources: { kind: string; path: string; where?: string[]; runtime?: boolean; computed?: boolean }[] }[];
  warnings: string[];
}

async function check(chart: string, args: string[] = []): Promise<Record<string, string[]>> {
  const helm = [...new Set(renderedImages(helmTemplate(chart, args)).map((h) => norm(h.image)))].sort();
  const r = await runCli(['images', chart, ...args, '-o', 'json']);
  expect(r.code).toBe(0);
  const doc = JSON.parse(r.stdout) as Doc;
  expect(doc.images.map((i) => i.ref)).toEqual(helm);
  expect(doc.warnings).toEqual([]);
  return Object.fromEntries(doc.images.map((i) => [i.ref, i.sources.map((s) => `${s.kind} ${s.path || '-'}${s.runtime ? ' runtime' : ''}`)]));
}

describe('constructs, rendered by helm', () => {
  it('split registry / namespace / name (cert-manager: imageRegistry + imageNamespace + image.name, tag printf "v%s" appVersion)', async () => {
    expect(await check(path.join(constructs, 'split-registry-namespace'))).toEqual({
      'quay.io/example/app-controller:v1.15.0': ['values controller.image'],
      'quay.io/example/app-webhook:v1.15.0': ['values webhook.image'],
    });
    // the registry can be moved through imageRegistry
    expect(await check(path.join(constructs, 'split-registry-namespace'), ['--set', 'imageRegistry=mirror.example:5000/team'])).toEqual({
      'mirror.example:5000/team/example/app-controller:v1.15.0': ['values controller.image'],
      'mirror.example:5000/team/example/app-webhook:v1.15.0': ['values webhook.image'],
    });
  });

  it('default registry with registry: ~ (kyverno: image.defaultRegistry), tag defaulting to appVersion in a helper', async () => {
    expect(await check(path.join(constructs, 'default-registry'))).toEqual({
      'ghcr.io/example/cleanup:2.0.1': ['values cleanup.image'],
      'reg.example.io/example/admission:2.0.0': ['values admission.image'],
    });
  });

  it('hub + image + tag + variant (istio), and a runtime image in env', async () => {
    expect(await check(path.join(constructs, 'hub-tag-variant'))).toEqual({
      'docker.io/istio/pilot:1.22.0-distroless': ['values pilot'],
      'gcr.io/other/proxyv2:1.22.0': ['values proxy.image runtime'],
    });
    expect(await check(path.join(constructs, 'hub-tag-variant'), ['--set', 'pilot.hub=quay.io/mine', '--set', 'pilot.tag=1.23.0', '--set', 'global.variant='])).toEqual({
      'quay.io/mine/pilot:1.23.0': ['values pilot'],
      'gcr.io/other/proxyv2:1.22.0': ['values proxy.image runtime'],
    });
    // the layout says which value holds the hub the template put before the image
    const hubOf = async (set: string[]) =>
      (await scanCharts([path.join(constructs, 'hub-tag-variant')], { set })).findings.find((f) => f.path.join('.') === 'pilot')!.layout;
    expect(await hubOf([])).toEqual({ type: 'sibling', imageKey: 'image', tagKey: 'tag', hubPath: ['global', 'hub'] });
    expect(await hubOf(['pilot.hub=quay.io/mine'])).toMatchObject({ hubPath: ['pilot', 'hub'] });
  });

  it('{repository, name, tag} maps: the image is repository/name:tag', async () => {
    expect(await check(path.join(constructs, 'repository-name-tag'))).toEqual({
      'quay.io/example/operator:3.1.0': ['values operator.image'],
    });
  });

  it('tags computed in templates: printf "v%s" appVersion, default appVersion, trimPrefix and ternary in a helper, printf of a values version, index of a literal map, a hook, a runtime arg', async () => {
    expect(await check(path.join(constructs, 'computed-tags'))).toEqual({
      'docker.io/example/app:v2.4.0': ['template -'],
      'docker.io/example/helper:5.0.1': ['values helper.image'],
      'docker.io/example/helper:v5.0.1': ['values helper.image runtime'],
      'docker.io/example/migrate:1.0': ['template -'],
      // printf "v%s" on quay.io: the v the template adds, no registry rule
      'quay.io/example/agent:v1.30.2': ['values appVersionV.image'],
      // plain appVersion on registry.k8s.io: no v, whatever the registry
      'registry.k8s.io/example/plain:1.30.2': ['values noV.image'],
    });
    // the digest branch of the ternary
    const digest = `sha256:${'a'.repeat(64)}`;
    const withDigest = await check(path.join(constructs, 'computed-tags'), ['--set', `helper.image.digest=${digest}`]);
    expect(withDigest[`docker.io/example/helper@${digest}`]).toEqual(['values helper.image']);
  });

  it('an image chosen from a version map (K8ssandra: index .Values.cassandra.versionImageMap .Values.cassandra.version)', async () => {
    const chart = path.join(repoRoot, 'fixtures/charts/k8ssandra');
    // Its subcharts carry values only (no templates: helm renders nothing for them, airlift lists their values): off here.
    const parentOnly = ['--set', 'cass-operator.enabled=false', '--set', 'kube-prometheus-stack.enabled=false', '--set', 'tags.backup=false'];
    const byDefault = await check(chart, parentOnly);
    expect(byDefault['docker.io/k8ssandra/cass-management-api:4.0.1']).toEqual(['values cassandra.image', 'annotation -']);
    const fromMap = await check(chart, [...parentOnly, '--set', 'cassandra.image.tag=', '--set', 'cassandra.version=3.11.11']);
    expect(fromMap['docker.io/k8ssandra/cass-management-api:3.11.11-v0.1.33']).toEqual(['values cassandra.versionImageMap.3\\.11\\.11']);
  });

  it('templates that run containers but render none with these values: a warning on stderr and in JSON; --strict fails', async () => {
    const chart = path.join(constructs, 'nothing-rendered');
    expect(renderedImages(helmTemplate(chart))).toEqual([]);
    const r = await runCli(['images', chart, '-o', 'json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Doc).warnings).toEqual(['nothing-rendered: the templates run containers, but none is rendered with these values and no image was found']);
    expect(r.stderr).toContain('warning: nothing-rendered: the templates run containers');
    const strict = await runCli(['images', chart, '--strict']);
    expect(strict.code).toBe(EXIT_CODES.E_INPUT);
    // with the component enabled, the image is found
    expect(await check(chart, ['--set', 'enabled=true'])).toEqual({ 'docker.io/example/app:1.0': ['values image'] });
  });
});
