/** planRelocation on hand-made findings: one test per layout and per global-registry strategy. */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ImageFinding, ImageLayout, ValuesPath } from '../../../src/chart/types.js';
import { AirliftError } from '../../../src/errors.js';
import { parseReference } from '../../../src/reference/index.js';
import { planRelocation, renderOverrides, formatPlanText, type ChartValues } from '../../../src/relocate/index.js';

const D1 = `sha256:${'a'.repeat(64)}`;
const D2 = `sha256:${'b'.repeat(64)}`;

function finding(raw: string, path: ValuesPath, layout: ImageLayout, extra: Partial<ImageFinding> = {}): ImageFinding {
  return { ref: parseReference(raw), raw, kind: 'values', chart: 'app', file: 'values.yaml', path, layout, ...extra };
}

function obj(fields: Record<string, string | null>, registryFrom: 'self' | 'global' | 'repository' | 'none', extra: Record<string, unknown> = {}): ImageLayout {
  return { type: 'object', fields, registryFrom, ...extra } as ImageLayout;
}

function writes(plan: ReturnType<typeof planRelocation>): Record<string, unknown> {
  return Object.fromEntries(plan.writes.map((w) => [w.path.join('.'), w.value]));
}

describe('planRelocation: layouts', () => {
  it('object with its own registry: registry changes, the repository stays', () => {
    const f = finding('docker.io/bitnami/redis:8.2', ['image'], obj({ registry: 'docker.io', repository: 'bitnami/redis', tag: '8.2' }, 'self'));
    const plan = planRelocation([f], { target: 'mirror.local:5000/team' });
    expect(writes(plan)).toEqual({ 'image.registry': 'mirror.local:5000/team' });
    expect(plan.images[0]!.destination).toBe('mirror.local:5000/team/bitnami/redis:8.2');
  });

  it('object with a Docker Hub short name gets library/ in the mirror repository', () => {
    const f = finding('busybox:1.36', ['init', 'image'], obj({ registry: 'docker.io', repository: 'busybox', tag: '1.36' }, 'self'));
    expect(writes(planRelocation([f], { target: 'm:5000' }))).toEqual({ 'init.image.registry': 'm:5000', 'init.image.repository': 'library/busybox' });
  });

  it('preserve-registry keeps the repository and puts the source registry in the registry field', () => {
    const f = finding('quay.io/prometheus/prometheus:v3', ['prometheus', 'image'], obj({ registry: 'quay.io', repository: 'prometheus/prometheus', tag: 'v3' }, 'self'));
    expect(writes(planRelocation([f], { target: 'm:5000/p', mode: 'preserve-registry' }))).toEqual({ 'prometheus.image.registry': 'm:5000/p/quay.io' });
  });

  it('flatten rewrites the repository to its last component', () => {
    const f = finding('quay.io/prometheus/prometheus:v3', ['image'], obj({ registry: 'quay.io', repository: 'prometheus/prometheus', tag: 'v3' }, 'self'));
    expect(writes(planRelocation([f], { target: 'm:5000/p', mode: 'flatten' }))).toEqual({ 'image.registry': 'm:5000/p', 'image.repository': 'prometheus' });
  });

  it('repository that embeds the registry: the repository alone, with the mirror host', () => {
    const f = finding('registry.k8s.io/external-dns/external-dns:v0.21.0', ['image'], obj({ repository: 'registry.k8s.io/external-dns/external-dns', tag: null }, 'repository'), { tagDefaulted: 'v-appVersion' });
    // The v+appVersion tag is written out: the rule that found it went by the source registry.
    expect(writes(planRelocation([f], { target: 'm:5000' }))).toEqual({ 'image.repository': 'm:5000/external-dns/external-dns', 'image.tag': 'v0.21.0' });
  });

  it('no registry field and no host (Docker Hub by default): the full mirror repository', () => {
    const f = finding('sonarqube:10', ['image'], obj({ repository: 'sonarqube', tag: '10' }, 'none'));
    expect(writes(planRelocation([f], { target: 'm:5000' }))).toEqual({ 'image.repository': 'm:5000/library/sonarqube' });
  });

  it('an empty registry key present (jenkins agent) is filled in', () => {
    const f = finding('jenkins/inbound-agent:3385', ['agent', 'image'], obj({ registry: null, repository: 'jenkins/inbound-agent', tag: '3385' }, 'none'));
    expect(writes(planRelocation([f], { target: 'm:5000' }))).toEqual({ 'agent.image.registry': 'm:5000' });
  });

  it('string images get the full reference, tag and digest kept', () => {
    const f = finding(`quay.io/org/app:1.2@${D1}`, ['worker', 'image'], { type: 'string' });
    expect(writes(planRelocation([f], { target: 'm:5000' }))).toEqual({ 'worker.image': `m:5000/org/app:1.2@${D1}` });
  });

  it('sibling keys: the image key gets the mirror repository, the tag stays', () => {
    const f = finding('ghcr.io/oliver006/redis_exporter:v1.75.0', ['redis-ha', 'exporter'], { type: 'sibling', imageKey: 'image', tagKey: 'tag' });
    expect(writes(planRelocation([f], { target: 'm:5000' }))).toEqual({ 'redis-ha.exporter.image': 'm:5000/oliver006/redis_exporter' });
  });

  it('an image falling back to another one (argo-cd global.image) writes the fallback once', () => {
    const layout = obj({ repository: null, tag: null }, 'repository', { fallbackPath: ['global', 'image'], fallbackKeys: { repository: 'repository', tag: 'tag' } });
    const a = finding('quay.io/argoproj/argocd:v3.4.4', ['controller', 'image'], layout);
    const b = finding('quay.io/argoproj/argocd:v3.4.4', ['server', 'image'], layout);
    const g = finding('quay.io/argoproj/argocd:v3.4.4', ['global', 'image'], obj({ repository: 'quay.io/argoproj/argocd', tag: null }, 'repository'));
    expect(writes(planRelocation([a, b, g], { target: 'm:5000' }))).toEqual({ 'global.image.repository': 'm:5000/argoproj/argocd' });
  });

  it('writes below a list index copy the chart list (Helm replaces lists whole)', () => {
    const f = finding('quay.io/org/side:1', ['extraContainers', 1, 'image'], { type: 'string' });
    const chartsValues: ChartValues[] = [
      { chart: 'app', path: [], values: { extraContainers: [{ name: 'a', image: 'a:1' }, { name: 'side', image: 'quay.io/org/side:1' }] } },
    ];
    const plan = planRelocation([f], { target: 'm:5000', chartsValues });
    const doc = parse(renderOverrides(plan, chartsValues)) as { extraContainers: unknown };
    expect(doc.extraContainers).toEqual([{ name: 'a', image: 'a:1' }, { name: 'side', image: 'm:5000/org/side:1' }]);
  });
});

describe('planRelocation: global registries', () => {
  const bitnami = (raw: string, path: ValuesPath, repo: string): ImageFinding =>
    finding(raw, path, obj({ registry: 'docker.io', repository: repo, tag: '1' }, 'global', { globalPath: ['global', 'imageRegistry'] }));

  it('every reader goes to the same place: the global is set once, the maps are left alone', () => {
    const plan = planRelocation([bitnami('docker.io/bitnami/redis:1', ['image'], 'bitnami/redis'), bitnami('docker.io/bitnami/os-shell:1', ['volumePermissions', 'image'], 'bitnami/os-shell')], { target: 'm:5000/x' });
    expect(writes(plan)).toEqual({ 'global.imageRegistry': 'm:5000/x' });
    expect(plan.globals).toEqual([{ path: ['global', 'imageRegistry'], value: 'm:5000/x', readers: [['image'], ['volumePermissions', 'image']], strategy: 'shared' }]);
  });

  it('readers going to different places: a winning global is cleared and each map gets its registry', () => {
    // preserve-registry with two source registries behind one global (the user set repositories with hosts elsewhere).
    const a = bitnami('docker.io/bitnami/redis:1', ['image'], 'bitnami/redis');
    const b = finding('quay.io/org/x:1', ['other', 'image'], obj({ registry: 'docker.io', repository: 'org/x', tag: '1' }, 'global', { globalPath: ['global', 'imageRegistry'] }));
    const plan = planRelocation([a, b], { target: 'm:5000', mode: 'preserve-registry' });
    expect(writes(plan)).toEqual({
      'global.imageRegistry': '',
      'image.registry': 'm:5000/docker.io',
      'other.image.registry': 'm:5000/quay.io',
    });
    expect(plan.globals[0]!.strategy).toBe('cleared');
  });

  it('a fallback global (ingress-nginx global.image.registry) with readers without a registry key: mirror root, repositories below it', () => {
    const layout = (image: string): ImageLayout => obj({ image, tag: '1' }, 'global', { globalPath: ['global', 'image', 'registry'] });
    const a = finding('registry.k8s.io/ingress-nginx/controller:1', ['controller', 'image'], layout('ingress-nginx/controller'));
    const b = finding('quay.io/other/thing:1', ['other', 'image'], layout('other/thing'));
    const plan = planRelocation([a, b], { target: 'm:5000', mode: 'preserve-registry' });
    expect(writes(plan)).toEqual({
      'global.image.registry': 'm:5000',
      'controller.image.image': 'registry.k8s.io/ingress-nginx/controller',
      'other.image.image': 'quay.io/other/thing',
    });
  });
});

describe('planRelocation: digests', () => {
  it('pins into digest, sha (bare hex) or tag, as the map has them', () => {
    const a = finding('docker.io/bitnami/redis:1', ['a'], obj({ registry: 'docker.io', repository: 'bitnami/redis', tag: '1', digest: null }, 'self'));
    const b = finding('quay.io/prometheus/prometheus:v3', ['b'], obj({ registry: 'quay.io', repository: 'prometheus/prometheus', tag: 'v3', sha: null }, 'self'));
    const c = finding('ghcr.io/o/c:2', ['c'], obj({ registry: 'ghcr.io', repository: 'o/c', tag: '2' }, 'self'));
    const d = finding('ghcr.io/o/d:3', ['d'], { type: 'string' });
    const digests = new Map([
      ['docker.io/bitnami/redis:1', D1],
      ['quay.io/prometheus/prometheus:v3', D2],
      ['ghcr.io/o/c:2', D1],
      ['ghcr.io/o/d:3', D2],
    ]);
    const w = writes(planRelocation([a, b, c, d], { target: 'm:5000', digests }));
    expect(w['a.digest']).toBe(D1);
    expect(w['b.sha']).toBe('b'.repeat(64));
    expect(w['c.tag']).toBe(`2@${D1}`);
    expect(w.d).toBe(`m:5000/o/d:3@${D2}`);
  });

  it('an image the lock does not know is an error naming it', () => {
    const a = finding('docker.io/bitnami/redis:1', ['a'], obj({ registry: 'docker.io', repository: 'bitnami/redis', tag: '1' }, 'self'));
    expect(() => planRelocation([a], { target: 'm:5000', digests: new Map() })).toThrow(/no digest known for docker.io\/bitnami\/redis:1/);
  });
});

describe('planRelocation: what values cannot relocate', () => {
  it('lists template and annotation findings, marking those a values finding already relocates', () => {
    const v = finding('docker.io/library/nginx:1', ['image'], obj({ registry: 'docker.io', repository: 'library/nginx', tag: '1' }, 'self'));
    const ann = finding('docker.io/library/nginx:1', [], { type: 'none' }, { kind: 'annotation', file: 'Chart.yaml' });
    const tpl = finding('docker.io/library/busybox:1.36', [], { type: 'none' }, { kind: 'template', file: 'templates/test.yaml' });
    const plan = planRelocation([v, ann, tpl], { target: 'm:5000' });
    expect(plan.unrelocatable.map((u) => [u.ref, u.kind, u.covered])).toEqual([
      ['docker.io/library/nginx:1', 'annotation', true],
      ['docker.io/library/busybox:1.36', 'template', false],
    ]);
    expect(formatPlanText(plan)).toMatch(/not relocatable by values[^\n]*--emit containerd[\s\S]*busybox:1\.36  template/);
    expect(renderOverrides(plan)).toContain('#   docker.io/library/busybox:1.36 (written literally in a chart template; templates/test.yaml)');
  });

  it('two findings writing different values at one path are a conflict', () => {
    const a = finding('quay.io/a/x:1', ['image'], { type: 'string' });
    const b = finding('quay.io/b/y:1', ['image'], { type: 'string' });
    try {
      planRelocation([a, b], { target: 'm:5000' });
      expect.unreachable();
    } catch (e) {
      expect((e as AirliftError).code).toBe('E_CONFLICT');
    }
  });

  it('flatten collisions are refused by the mapping', () => {
    const a = finding('quay.io/a/x:1', ['a'], { type: 'string' });
    const b = finding('quay.io/b/x:1', ['b'], { type: 'string' });
    expect(() => planRelocation([a, b], { target: 'm:5000', mode: 'flatten' })).toThrow(/same destination repository/);
  });
});

describe('renderOverrides', () => {
  it('is deterministic: global first, keys sorted, a header naming generator, charts and mirror', () => {
    const f1 = finding('quay.io/z/app:1', ['zeta', 'image'], { type: 'string' });
    const f2 = finding('quay.io/a/app:1', ['alpha', 'image'], { type: 'string' });
    const opts = { target: 'm:5000/p', generator: 'airlift 9.9.9', charts: ['app-1.0.0'], pullSecrets: ['pull'] };
    const one = renderOverrides(planRelocation([f1, f2], opts));
    const two = renderOverrides(planRelocation([f2, f1], opts));
    expect(one).toBe(two);
    expect(one).toBe(
      [
        '# Values overrides written by airlift 9.9.9 (airlift relocate).',
        '# Charts: app-1.0.0',
        '# Mirror: m:5000/p (mapping: default)',
        '# Images relocated: 2',
        '# Use: helm install ... -f <your values> -f <this file>',
        'global:',
        '  imagePullSecrets:',
        '    - name: pull',
        'alpha:',
        '  image: m:5000/p/a/app:1',
        'zeta:',
        '  image: m:5000/p/z/app:1',
        '',
      ].join('\n'),
    );
  });
});

describe('planRelocation: what the templates say', () => {
  const cm = (name: string, p: ValuesPath): ImageFinding =>
    finding(`quay.io/jetstack/${name}:v1.0.0`, p, obj({ repository: null, name }, 'global', { globalPath: ['imageRegistry'], namespacePath: ['imageNamespace'] }));

  it('registry + namespace + name (cert-manager): the registry value alone when the mapping keeps the path', () => {
    const plan = planRelocation([cm('controller', ['image']), cm('webhook', ['webhook', 'image'])], { target: 'm:5000/p' });
    expect(writes(plan)).toEqual({ imageRegistry: 'm:5000/p' });
  });

  it('registry + namespace + name with flatten: each map gets the whole repository, which the template takes over the three', () => {
    const plan = planRelocation([cm('controller', ['image']), cm('webhook', ['webhook', 'image'])], { target: 'm:5000/p', mode: 'flatten' });
    expect(writes(plan)).toEqual({ 'image.repository': 'm:5000/p/controller', 'webhook.image.repository': 'm:5000/p/webhook' });
  });

  it('a sha field in the form the templates read it: bare hex after @sha256:, the whole digest after @', () => {
    const f = finding('quay.io/org/ksm:v2', ['ksm', 'image'], obj({ registry: 'quay.io', repository: 'org/ksm', tag: 'v2', sha: '' }, 'self'));
    const pin = new Map([['quay.io/org/ksm:v2', D1]]);
    expect(writes(planRelocation([f], { target: 'm:5000', digests: pin }))['ksm.image.sha']).toBe('a'.repeat(64));
    const whole = new Map([[JSON.stringify(['ksm', 'image', 'sha']), 'digest' as const]]);
    expect(writes(planRelocation([f], { target: 'm:5000', digests: pin, shaForms: whole }))['ksm.image.sha']).toBe(D1);
  });

  it('with --digests, an image the templates do not render is left unpinned when the mirror lacks it; a rendered one is an error', () => {
    const off = finding('docker.io/org/off:1', ['off', 'image'], obj({ registry: 'docker.io', repository: 'org/off', tag: '1' }, 'self'), { notRendered: true });
    const plan = planRelocation([off], { target: 'm:5000', digests: new Map() });
    expect(writes(plan)).toEqual({ 'off.image.registry': 'm:5000' });
    const on = { ...off, notRendered: false };
    expect(() => planRelocation([on], { target: 'm:5000', digests: new Map() })).toThrow(/no digest known for docker.io\/org\/off:1/);
  });

  it('pull-secret lists take the form the templates read, over the values and the chart habit; gates are written and reported', () => {
    const f = finding('docker.io/org/app:1', ['image'], obj({ registry: 'docker.io', repository: 'org/app', tag: '1' }, 'self'));
    const plan = planRelocation([f], {
      target: 'm:5000',
      pullSecrets: ['mp'],
      pullSecretSlots: [
        { chart: 'app', path: ['a', 'imagePullSecrets'], form: 'objects', existing: ['old'] },
        { chart: 'app', path: ['b', 'imagePullSecrets'], form: 'unknown', existing: [] },
      ],
      chartsValues: [{ chart: 'app', path: [], values: { a: { imagePullSecrets: [{ name: 'old' }] }, b: { imagePullSecrets: [] } } }],
      pullSecretConsumed: new Map([[JSON.stringify(['a', 'imagePullSecrets']), 'names' as const], [JSON.stringify(['global', 'imagePullSecrets']), 'objects' as const]]),
      gates: [{ path: ['global', 'security', 'allowInsecureImages'], value: true, why: 'set to true: the chart checks', file: 'common/_errors.tpl' }],
    });
    const w = writes(plan);
    expect(w['a.imagePullSecrets']).toEqual(['old', 'mp']);
    expect(w['b.imagePullSecrets']).toEqual([{ name: 'mp' }]);
    expect(w['global.imagePullSecrets']).toEqual([{ name: 'mp' }]);
    expect(w['global.security.allowInsecureImages']).toBe(true);
    expect(renderOverrides(plan)).toMatch(/^# Image check: global\.security\.allowInsecureImages set to true: the chart checks \(common\/_errors\.tpl\)\.$/m);
  });

  it('no gate is opened when nothing is relocated', () => {
    const plan = planRelocation([], { target: 'm:5000', gates: [{ path: ['global', 'security', 'allowInsecureImages'], value: true, why: 'x', file: 'f' }] });
    expect(plan.gates).toEqual([]);
    expect(plan.writes).toEqual([]);
  });
});

describe('planRelocation: hub + image + tag (istio)', () => {
  const pilot = (hubPath?: ValuesPath): ImageFinding =>
    finding('docker.io/istio/pilot:1.22.0-distroless', ['pilot'], { type: 'sibling', imageKey: 'image', tagKey: 'tag', ...(hubPath ? { hubPath } : {}) } as ImageLayout);

  it("writes the component's own hub when it has the key, keeping image, tag and variant", () => {
    const values: ChartValues[] = [{ chart: 'app', path: [], values: { global: { hub: 'docker.io/istio' }, pilot: { image: 'pilot', hub: '', tag: '' } } }];
    expect(writes(planRelocation([pilot(['global', 'hub'])], { target: 'm:5000/p', chartsValues: values }))).toEqual({ 'pilot.hub': 'm:5000/p/istio' });
  });

  it('writes the hub the template read (global.hub) when the component has no hub key', () => {
    const values: ChartValues[] = [{ chart: 'app', path: [], values: { global: { hub: 'docker.io/istio' }, pilot: { image: 'pilot', tag: '' } } }];
    expect(writes(planRelocation([pilot(['global', 'hub'])], { target: 'm:5000/p', chartsValues: values, mode: 'flatten' }))).toEqual({ 'global.hub': 'm:5000/p' });
  });
});
