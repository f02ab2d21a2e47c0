/**
 * The one reader of rendered manifests (src/chart/rendered-objects.ts) that the scan and
 * relocation both read through: objects, pod specs with their containers, string fields.
 */
import { describe, expect, it } from 'vitest';
import { podSpecs, readObjects, walkObject } from '../../../src/chart/rendered-objects.js';

const TEXT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
  annotations:
    helm.sh/hook: pre-install
spec:
  template:
    spec:
      initContainers:
        - name: init
          image: busybox:1
      containers:
        - name: app
          image: app:1
        - image: side:2
        - not-a-container
---
kind: List
items:
  - kind: Pod
    metadata: { name: p }
    spec:
      containers: [{ name: c, image: pod:1 }]
---
apiVersion: example.com/v1
kind: Thing
spec:
  serverImage: srv:1
  nested: [{ image: n:1 }]
`;

describe('readObjects', () => {
  it('reads objects with kind, name (or position), namespace, apiVersion and hook', () => {
    const { objects } = readObjects(TEXT, 'x.yaml');
    expect(objects.map((o) => [o.kind, o.name, o.namespace, o.apiVersion, o.hook])).toEqual([
      ['Deployment', 'web', 'prod', 'apps/v1', true],
      ['List', '1', undefined, '', false],
      ['Thing', '2', undefined, 'example.com/v1', false],
    ]);
  });

  it('reads the items of a List as objects of their own when asked', () => {
    expect(readObjects(TEXT, 'x.yaml', { lists: true }).objects.map((o) => `${o.kind}/${o.name}`)).toEqual(['Deployment/web', 'Pod/p', 'Thing/2']);
  });

  it('whole: invalid YAML throws naming the file; lenient: the error is returned and the other parts are read', () => {
    const bad = `${TEXT}---\nkind: Broken\nimage: [1\n`;
    expect(() => readObjects(bad, 'x.yaml')).toThrow(/x\.yaml/);
    const r = readObjects(bad, 'x.yaml', { lenient: true });
    expect(r.objects.map((o) => o.kind)).toEqual(['Deployment', 'List', 'Thing']);
    expect(r.error).toMatch(/x\.yaml document 4/);
  });

  it('lenient: parts that name no image and CustomResourceDefinitions are not read', () => {
    const text = `kind: ConfigMap\nmetadata: {name: c}\n---\nkind: CustomResourceDefinition\nspec: {image: x:1}\n---\nkind: Pod\nspec: {containers: [{image: a:1}]}\n`;
    expect(readObjects(text, 'x', { lenient: true }).objects.map((o) => o.kind)).toEqual(['Pod']);
  });
});

describe('podSpecs and walkObject', () => {
  it('finds pod specs wherever they sit, with their map containers labelled by name or position', () => {
    const [web] = readObjects(TEXT, 'x').objects;
    const [ps] = podSpecs(web!.doc);
    expect(ps!.path).toEqual(['spec', 'template', 'spec']);
    expect(ps!.containers.map((c) => `${c.list}[${c.label}]#${c.index}`)).toEqual(['initContainers[init]#0', 'containers[app]#0', 'containers[1]#1']);
  });

  it('tells of string fields outside containers, with the map that holds them', () => {
    const thing = readObjects(TEXT, 'x').objects[2]!;
    const fields: string[] = [];
    walkObject(thing.doc, [], { field: (at, k, v, inPod) => fields.push(`${[...at, k].join('.')}=${v}${inPod ? ' (pod spec)' : ''}`) });
    expect(fields).toEqual(['apiVersion=example.com/v1', 'kind=Thing', 'spec.serverImage=srv:1', 'spec.nested.0.image=n:1']);
    const web: string[] = [];
    walkObject(readObjects(TEXT, 'x').objects[0]!.doc.spec, ['spec'], { field: (at, k, v, inPod) => web.push(`${k}${inPod ? ' (pod spec)' : ''}`) });
    // the containers' own fields are not walked
    expect(web).toEqual([]);
  });
});
