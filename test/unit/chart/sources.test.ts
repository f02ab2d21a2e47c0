import { describe, expect, it } from 'vitest';
import { evaluateHint, parseHints } from '../../../src/chart/hints.js';
import { scanManifests } from '../../../src/chart/manifests.js';
import { scanAnnotations, scanTemplateText } from '../../../src/chart/sources.js';
import { formatPath } from '../../../src/chart/values.js';
import { formatReference } from '../../../src/reference/index.js';
import { InputError } from '../../../src/errors.js';

const refs = (fs: { ref?: unknown; raw: string }[]) => fs.map((f) => (f.ref ? formatReference(f.ref as never) : `!${f.raw}`));

describe('templates', () => {
  it('reads the lines split as /\\r?\\n/ splits them, with only the lines naming image: looked at', () => {
    // the reading before: every line of the text
    const every = (text: string): string[] => {
      const seen = new Set<string>();
      const out: string[] = [];
      for (const line of text.split(/\r?\n/)) {
        const m = /^\s*(?:-\s+)?image:\s*(["']?)([A-Za-z0-9][^\s"'{}#]*)\1\s*(?:#.*)?$/.exec(line);
        if (!line.includes('{{') && m && !seen.has(m[2]!)) out.push(m[2]!), seen.add(m[2]!);
      }
      return out;
    };
    const texts = [
      'image: a:1\r\n  image: b:2\r\nimage: c:3',
      'image: a:1\rimage: b:2\n\r\nimage: c:3\r',
      'x: 1\n- image: a image: b\nimage: image:\n  image: d # image: e\nimage: f',
      '\n\nimage: a\n\nimage: a\nimage: b\n',
      'image:a\nimage: {{ x }}\nimage: "q/x:1"\r\n',
      'image: last-line-no-newline',
      '',
    ];
    for (const t of texts) expect(scanTemplateText(t, { chart: 'c', file: 'f' }).map((f) => f.raw), JSON.stringify(t)).toEqual(every(t));
  });

  it('finds literal images and skips templated ones', () => {
    const text = [
      'containers:',
      '  - name: a',
      '    image: busybox',
      '  - image: "quay.io/org/x:1.2" # pinned',
      "    image: 'alpine:3'",
      '    image: {{ .Values.image.repository }}:{{ .Values.image.tag }}',
      '    image: "{{ include "x" . }}"',
      '    imagePullPolicy: Always',
      '    image: busybox',
    ].join('\n');
    const fs = scanTemplateText(text, { chart: 'c', file: 'templates/x.yaml' });
    expect(refs(fs)).toEqual(['docker.io/library/busybox:latest', 'quay.io/org/x:1.2', 'docker.io/library/alpine:3']);
    expect(fs[0]).toMatchObject({ kind: 'template', file: 'templates/x.yaml', layout: { type: 'none' } });
  });
});

describe('annotations', () => {
  it('reads artifacthub.io/images, images and helm.sh/images', () => {
    const meta = {
      annotations: {
        'artifacthub.io/images': '- name: a\n  image: quay.io/a:1\n',
        images: '- name: b\n  image: docker.io/bitnami/b:2\n',
        'helm.sh/images': '- name: c\n  image: registry1.dso.mil/c:3\n',
        other: '- image: not/read:1',
      },
    };
    const fs = scanAnnotations(meta, { chart: 'c', file: 'Chart.yaml' });
    expect(refs(fs)).toEqual(['quay.io/a:1', 'docker.io/bitnami/b:2', 'registry1.dso.mil/c:3']);
    expect(fs[1]!.file).toBe('Chart.yaml#images');
  });
  it('reports an annotation that is not YAML', () => {
    const fs = scanAnnotations({ annotations: { images: '- [' } }, { chart: 'c', file: 'Chart.yaml' });
    expect(fs[0]!.error).toMatch(/annotation images is not valid YAML/);
  });
});

describe('hints', () => {
  const ctx = {
    chart: 'c',
    file: 'hints.yaml',
    values: { foo: { registry: 'r.io', repository: 'org/foo', tag: '1.0' }, bar: { image: 'b', version: '2' }, empty: { registry: '' , repository: 'quay.io/x', tag: '3' } },
    chartMeta: { name: 'c', version: '0.1.0', appVersion: '9.9' },
    valuesPrefix: [] as (string | number)[],
  };
  it('evaluates relok8s-style templates and maps them to the image map', () => {
    const f = evaluateHint('{{ .foo.registry }}/{{ .foo.repository }}:{{ .foo.tag }}', ctx);
    expect(formatReference(f.ref!)).toBe('r.io/org/foo:1.0');
    expect(f.path).toEqual(['foo']);
    expect(f.layout).toMatchObject({ type: 'object', registryFrom: 'self', fields: { registry: 'r.io', repository: 'org/foo', tag: '1.0' } });
  });
  it('supports .Values., .Chart.*, default and printf; other layouts keep their paths', () => {
    const f = evaluateHint('{{ .Values.bar.image }}:{{ .bar.version }}-{{ .Chart.AppVersion }}', ctx);
    expect(formatReference(f.ref!)).toBe('docker.io/library/b:2-9.9');
    expect(f.layout).toEqual({ type: 'hint', template: '{{ .Values.bar.image }}:{{ .bar.version }}-{{ .Chart.AppVersion }}', paths: [['bar', 'image'], ['bar', 'version']] });
    expect(f.path).toEqual(['bar']);
    const g = evaluateHint('{{ .nope.registry | default "docker.io" }}/x:{{ .nope.tag | default (printf "v%s" .Chart.AppVersion) }}', ctx);
    expect(formatReference(g.ref!)).toBe('docker.io/library/x:v9.9');
  });
  it('an empty registry part falls back to the repository host; an empty tag is an error', () => {
    expect(formatReference(evaluateHint('{{ .empty.registry }}/{{ .empty.repository }}:{{ .empty.tag }}', ctx).ref!)).toBe('quay.io/x:3');
    expect(evaluateHint('{{ .foo.repository }}:{{ .foo.missing }}', ctx).error).toMatch(/empty tag/);
  });
  it('rejects unsupported syntax and files that are not lists of strings', () => {
    expect(() => evaluateHint('{{ .foo.tag | upper }}', ctx)).toThrow(InputError);
    expect(() => parseHints('a: 1', 'h.yaml')).toThrow(/h.yaml: a hints file is a YAML list/);
    expect(parseHints('- "{{ .a }}"\n', 'h.yaml')).toEqual(['{{ .a }}']);
  });
});

describe('manifests', () => {
  it('reads containers, initContainers and ephemeralContainers of every workload kind', () => {
    const text = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {helm.sh/chart: web-1.0.0}}
spec:
  template:
    spec:
      initContainers: [{name: init, image: "busybox:1.36"}]
      containers: [{name: web, image: nginx:1.25}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cron}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: c, image: "quay.io/org/cron@sha256:${'c'.repeat(64)}"}]
---
apiVersion: v1
kind: Pod
metadata: {name: dbg}
spec:
  containers: [{name: a, image: alpine:3}]
  ephemeralContainers: [{name: e, image: "Bad Image"}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data: {image: "not-a-container:1"}
---
`;
    const fs = scanManifests(text);
    expect(fs.map((f) => `${formatPath(f.path)} ${f.ref ? formatReference(f.ref) : `ERR ${f.error}`}`)).toEqual([
      'Deployment/web.spec.template.spec.initContainers[0].image docker.io/library/busybox:1.36',
      'Deployment/web.spec.template.spec.containers[0].image docker.io/library/nginx:1.25',
      `CronJob/cron.spec.jobTemplate.spec.template.spec.containers[0].image quay.io/org/cron@sha256:${'c'.repeat(64)}`,
      'Pod/dbg.spec.containers[0].image docker.io/library/alpine:3',
      'Pod/dbg.spec.ephemeralContainers[0].image ERR contains whitespace',
    ]);
    expect(fs[0]).toMatchObject({ kind: 'manifest', chart: 'web-1.0.0', file: '-' });
  });
  it('names stdin in YAML errors', () => {
    expect(() => scanManifests('a: [1\n')).toThrow(/stdin: invalid YAML/);
  });
});
