/**
 * Reading rendered manifests and checking them against the mirror (pure):
 * readRendered, checkRendered, and what relocation learns from templates.
 */
import { describe, expect, it } from 'vitest';
import { parseTarget } from '../../../src/mapping/index.js';
import { checkRendered, formatCheckTable, underMirror } from '../../../src/relocate/check.js';
import { looksLikeImage, readRendered } from '../../../src/relocate/rendered.js';
import { defines, imageGates, literalLine, pullSecretFormFromTemplates, workloadsWithoutPullSecrets, type ChartTemplates } from '../../../src/relocate/template-facts.js';

const MANIFESTS = `
apiVersion: v1
kind: ServiceAccount
metadata: {name: runner}
imagePullSecrets: [{name: mirror-pull}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          serviceAccountName: runner
          containers:
            - name: job
              image: mirror:5000/team/org/job:1.0
              args: ["--executor-image=quay.io/org/exec:2.0", "--log-level", "debug", "--helper-image", "mirror:5000/team/org/helper:1"]
              env:
                - {name: SIDECAR_IMAGE, value: "docker.io/org/sidecar:3"}
                - {name: IMAGE_PULL_POLICY, value: "IfNotPresent"}
                - {name: HOME_URL, value: "https://example.com/x:1"}
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata:
      name: test
      annotations: {helm.sh/hook: test}
    spec:
      imagePullSecrets: [{name: mirror-pull}]
      initContainers: [{name: init, image: busybox}]
      containers: [{name: main, image: mirror:5000/team/library/busybox:1.36}]
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: prom}
spec:
  image: quay.io/prometheus/prometheus:v2.50.0
  version: v2.50.0
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers: [{name: web, image: ""}]
`;

describe('readRendered', () => {
  const r = readRendered(MANIFESTS);

  it('finds containers wherever a pod spec sits, with places written as the acceptance lists write them', () => {
    expect(r.images.map((i) => `${i.kind} ${i.where} = ${i.image}`)).toEqual([
      'container CronJob/nightly containers[job] = mirror:5000/team/org/job:1.0',
      'runtime CronJob/nightly containers[job] arg --executor-image = quay.io/org/exec:2.0',
      'runtime CronJob/nightly containers[job] arg --helper-image = mirror:5000/team/org/helper:1',
      'runtime CronJob/nightly containers[job] env SIDECAR_IMAGE = docker.io/org/sidecar:3',
      'container Pod/test containers[main] (hook) = mirror:5000/team/library/busybox:1.36',
      'container Pod/test initContainers[init] (hook) = busybox',
      'resource Prometheus/prom spec.image = quay.io/prometheus/prometheus:v2.50.0',
      'container Deployment/web containers[web] = ',
    ]);
  });

  it('records each pod spec with its pull secrets and ServiceAccount, and the ServiceAccounts', () => {
    expect(r.pods.map((p) => [p.object, p.path, p.pullSecrets, p.serviceAccount ?? '-', p.hook])).toEqual([
      ['CronJob/nightly', 'spec.jobTemplate.spec.template.spec', [], 'runner', false],
      ['Pod/test', 'spec', ['mirror-pull'], '-', true],
      ['Deployment/web', 'spec.template.spec', [], '-', false],
    ]);
    expect([...r.serviceAccounts]).toEqual([['runner', ['mirror-pull']]]);
  });

  it('takes only values that read as image references from image-named args and env', () => {
    expect(looksLikeImage('quay.io/org/app:1.0')).toBe(true);
    expect(looksLikeImage('busybox:1.36')).toBe(true);
    expect(looksLikeImage('org/app@sha256:' + 'a'.repeat(64))).toBe(true);
    expect(looksLikeImage('IfNotPresent')).toBe(false);
    expect(looksLikeImage('https://example.com/x:1')).toBe(false);
    expect(looksLikeImage('/usr/bin/app')).toBe(false);
    expect(looksLikeImage('two words')).toBe(false);
  });
});

describe('checkRendered', () => {
  const target = parseTarget('mirror:5000/team');

  it('knows the mirror by host and prefix', () => {
    expect(underMirror('mirror:5000/team/org/app:1', target)).toBe(true);
    expect(underMirror('mirror:5000/other/org/app:1', target)).toBe(false);
    expect(underMirror('mirror:5000/teamx/app:1', target)).toBe(false);
    expect(underMirror('docker.io/team/app:1', target)).toBe(false);
    expect(underMirror('not a reference', target)).toBe(false);
  });

  it('reports images left at the source, empty images, and pods without the secret (a ServiceAccount that carries it counts)', () => {
    const res = checkRendered(readRendered(MANIFESTS), {
      target,
      pullSecrets: ['mirror-pull'],
      unrelocatable: [{ ref: 'docker.io/library/busybox:latest', kind: 'template', chart: 'c', file: 'c/templates/test.yaml', line: 12, path: [], reason: 'written literally in a chart template', covered: false }],
    });
    expect(res.images).toBe(8);
    expect(res.pods).toBe(3);
    expect(res.problems.map((p) => `${p.problem}: ${p.where}`)).toEqual([
      'not moved: CronJob/nightly containers[job] arg --executor-image',
      'not moved: CronJob/nightly containers[job] env SIDECAR_IMAGE',
      'not moved: Pod/test initContainers[init] (hook)',
      'not moved: Prometheus/prom spec.image',
      'no image: Deployment/web containers[web]',
      'no pull secret: Deployment/web',
    ]);
    const busybox = res.problems.find((p) => p.image === 'busybox')!;
    expect(busybox.why).toMatch(/written literally in a chart template \(c\/templates\/test\.yaml:12\).*--emit containerd/);
    expect(res.problems.find((p) => p.where.includes('--executor-image'))!.why).toMatch(/^the program pulls it at run time/);
    expect(res.problems.find((p) => p.problem === 'no pull secret')!.why).toMatch(/ServiceAccount "default" is not part of the chart/);
    const table = formatCheckTable(res);
    expect(table.split('\n')[0]).toMatch(/^WHERE +IMAGE +PROBLEM +WHY$/);
    expect(table.trimEnd().split('\n')).toHaveLength(7);
  });

  it('reports pull secrets rendered in a form Kubernetes refuses (plain names in a pod or its ServiceAccount)', () => {
    const text = `
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa}
imagePullSecrets: [mirror-pull]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: a}
spec: {template: {spec: {imagePullSecrets: [mirror-pull], containers: [{name: a, image: "mirror:5000/team/a:1"}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b}
spec: {template: {spec: {serviceAccountName: sa, containers: [{name: b, image: "mirror:5000/team/b:1"}]}}}
`;
    const res = checkRendered(readRendered(text), { target, pullSecrets: ['mirror-pull'] });
    expect(res.problems.map((p) => [p.where, p.problem, p.why.split(',')[0]])).toEqual([
      ['Deployment/a', 'bad pull secrets', 'its imagePullSecrets hold "mirror-pull"'],
      ['Deployment/b', 'bad pull secrets', 'its ServiceAccount\'s imagePullSecrets hold "mirror-pull"'],
    ]);
  });

  it('does not check pull secrets when none were asked for', () => {
    const res = checkRendered(readRendered(MANIFESTS), { target, pullSecrets: [] });
    expect(res.problems.some((p) => p.problem === 'no pull secret')).toBe(false);
  });
});

function tree(templates: Record<string, string>, sub?: Record<string, string>): ChartTemplates[] {
  const t = (m: Record<string, string>) => Object.entries(m).map(([name, text]) => ({ name, text }));
  return [
    { chain: 'app', path: [], dir: 'app', templates: t(templates) },
    ...(sub ? [{ chain: 'app/sub', path: ['sub'], dir: 'app/charts/sub', templates: t(sub) }] : []),
  ];
}

describe('what relocation learns from templates', () => {
  it('reads the form of each pull-secret value from the template that consumes it', () => {
    const t = tree(
      {
        'templates/a.yaml': '      {{- with .Values.a.imagePullSecrets }}\n      imagePullSecrets:\n        {{- toYaml . | nindent 8 }}\n      {{- end }}',
        'templates/b.yaml': '      {{- range .Values.b.imagePullSecrets }}\n        - name: {{ . }}\n      {{- end }}',
        'templates/c.yaml': '      {{- range .Values.c.imagePullSecrets }}\n        - name: {{ .name }}\n      {{- end }}',
        'templates/d.yaml': '      {{- with .Values.d.imagePullSecrets | default .Values.global.imagePullSecrets }}\n      imagePullSecrets:\n        {{- include "app.sorted" . | nindent 8 }}\n      {{- end }}',
        'templates/_helpers.tpl': '{{- define "app.sorted" -}}\n{{- range . }}{{- $s = append $s .name }}{{- end }}\n{{- end -}}',
        'templates/e.yaml': 'name: {{ .Values.e.imagePullSecretsName }}',
      },
      { 'templates/s.yaml': '{{- range .Values.pullSecrets }}\n- name: {{ . | quote }}\n{{- end }}' },
    );
    const defs = defines(t);
    expect(pullSecretFormFromTemplates(t, defs, ['a', 'imagePullSecrets'])).toBe('objects');
    expect(pullSecretFormFromTemplates(t, defs, ['b', 'imagePullSecrets'])).toBe('names');
    expect(pullSecretFormFromTemplates(t, defs, ['c', 'imagePullSecrets'])).toBe('objects');
    expect(pullSecretFormFromTemplates(t, defs, ['d', 'imagePullSecrets'])).toBe('objects');
    expect(pullSecretFormFromTemplates(t, defs, ['global', 'imagePullSecrets'])).toBe('objects');
    expect(pullSecretFormFromTemplates(t, defs, ['sub', 'pullSecrets'])).toBe('names');
    // A key no template reads (or one that only prefixes another key) says nothing.
    expect(pullSecretFormFromTemplates(t, defs, ['e', 'imagePullSecrets'])).toBeUndefined();
  });

  it('finds the image gate, the workloads no pull-secret value reaches, and the line of a literal image', () => {
    const t = tree({
      'templates/_images.tpl': '{{- if not (((.context.Values.global).security).allowInsecureImages) }}{{ fail "x" }}{{ end }}',
      'templates/agent.yaml': 'apiVersion: apps/v1\nkind: DaemonSet\nspec:\n  template:\n    spec:\n      containers:\n        - name: a\n          image: busybox:1.36\n',
      'templates/web.yaml': 'apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      {{- include "app.pullSecrets" . | nindent 6 }}\n      containers: []\n',
      'templates/_ps.tpl': '{{- define "app.pullSecrets" -}}\nimagePullSecrets: {{ toYaml .Values.imagePullSecrets }}\n{{- end -}}',
    });
    expect(imageGates(t).map((g) => [g.path.join('.'), g.value, g.file])).toEqual([['global.security.allowInsecureImages', true, 'app/templates/_images.tpl']]);
    expect(workloadsWithoutPullSecrets(t, defines(t)).map((n) => [n.workload, n.file])).toEqual([['DaemonSet (app)', 'app/templates/agent.yaml']]);
    expect(literalLine(t[0]!.templates[1]!.text, 'busybox:1.36')).toBe(8);
    expect(literalLine(t[0]!.templates[1]!.text, 'nginx')).toBeUndefined();
  });
});
