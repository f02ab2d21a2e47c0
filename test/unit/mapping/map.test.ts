import { describe, expect, it } from 'vitest';
import { ConflictError, InvalidReferenceError, UsageError } from '../../../src/errors.js';
import {
  mapReference,
  mapReferences,
  parseTarget,
  registryPathComponent,
  type MappingMode,
} from '../../../src/mapping/index.js';
import { formatReference, parseReference } from '../../../src/reference/index.js';

const D = `sha256:${'ab'.repeat(32)}`;
const map = (src: string, to: string, mode?: MappingMode): string =>
  formatReference(mapReference(parseReference(src), parseTarget(to), mode));

describe('mapReference', () => {
  it.each([
    // [source, target, mode, expected]
    ['docker.io/bitnami/nginx:1.25', 'mirror:5000/team', 'default', 'mirror:5000/team/bitnami/nginx:1.25'],
    ['docker.io/bitnami/nginx:1.25', 'mirror:5000/team', 'preserve-registry', 'mirror:5000/team/docker.io/bitnami/nginx:1.25'],
    ['docker.io/bitnami/nginx:1.25', 'mirror:5000/team', 'flatten', 'mirror:5000/team/nginx:1.25'],
    ['nginx', 'mirror:5000', 'default', 'mirror:5000/library/nginx:latest'],
    ['nginx', 'mirror:5000', 'flatten', 'mirror:5000/nginx:latest'],
    ['nginx', 'mirror:5000', 'preserve-registry', 'mirror:5000/docker.io/library/nginx:latest'],
    ['quay.io/prometheus/node-exporter:v1.8.0', 'reg.local/a/b', 'default', 'reg.local/a/b/prometheus/node-exporter:v1.8.0'],
    ['registry.k8s.io/kube-state-metrics/kube-state-metrics:v2', 'reg.local', 'flatten', 'reg.local/kube-state-metrics:v2'],
    ['localhost:5000/app:1', 'mirror.example', 'preserve-registry', 'mirror.example/localhost_5000/app:1'],
    ['127.0.0.1:5000/app:1', 'mirror.example', 'preserve-registry', 'mirror.example/127.0.0.1_5000/app:1'],
    ['LOCALDOMAIN/app:1', 'mirror.example', 'preserve-registry', 'mirror.example/localdomain/app:1'],
    // a single-component result on Docker Hub gets library/, so the result parses back to itself
    ['quay.io/app:1', 'docker.io', 'default', 'docker.io/library/app:1'],
  ] as [string, string, MappingMode, string][])('%s → %s (%s)', (src, to, mode, want) => {
    const out = map(src, to, mode);
    expect(out).toBe(want);
    expect(formatReference(parseReference(out))).toBe(out);
  });

  it('defaults to default mode', () => {
    expect(map('docker.io/bitnami/nginx:1.25', 'mirror:5000/team')).toBe('mirror:5000/team/bitnami/nginx:1.25');
  });

  it('keeps tag and digest unchanged', () => {
    const target = parseTarget('mirror:5000/p');
    for (const mode of ['default', 'preserve-registry', 'flatten'] as const) {
      expect(mapReference(parseReference(`quay.io/a/b:1.0@${D}`), target, mode)).toMatchObject({ tag: '1.0', digest: D });
      const digestOnly = mapReference(parseReference(`quay.io/a/b@${D}`), target, mode);
      expect(digestOnly.tag).toBeUndefined();
      expect(digestOnly.digest).toBe(D);
    }
  });

  it('refuses a result longer than 255 characters, naming source and target', () => {
    const target = parseTarget(`mirror:5000/${'p'.repeat(200)}`);
    const src = parseReference(`quay.io/${'a'.repeat(60)}/b:1`);
    let err: unknown;
    try {
      mapReference(src, target, 'default');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidReferenceError);
    expect((err as Error).message).toMatch(/name longer than 255 characters/);
    expect((err as Error).message).toContain(formatReference(src));
    expect(mapReference(src, target, 'flatten').repository).toBe(`${'p'.repeat(200)}/b`);
  });

  it('cannot keep an IPv6 registry as a path component', () => {
    expect(() => map('[::1]:5000/app:1', 'mirror.example', 'preserve-registry')).toThrow(UsageError);
    expect(map('[::1]:5000/app:1', 'mirror.example', 'default')).toBe('mirror.example/app:1');
  });

  it('rejects an unknown mode from untyped callers', () => {
    expect(() => mapReference(parseReference('a'), parseTarget('m:1'), 'nope' as MappingMode)).toThrow(UsageError);
  });

  it('registryPathComponent never produces something that could be a host', () => {
    expect(registryPathComponent('reg.example:5000')).toBe('reg.example_5000');
    expect(registryPathComponent('docker.io')).toBe('docker.io');
  });
});

describe('mapReferences', () => {
  const target = parseTarget('mirror:5000/team');
  const refs = (...xs: string[]) => xs.map((x) => parseReference(x));

  it('maps every source, keyed by its formatted reference', () => {
    const m = mapReferences(refs('nginx:1', 'bitnami/redis:7', `quay.io/a/b@${D}`), target);
    expect([...m]).toEqual([
      ['docker.io/library/nginx:1', parseReference('mirror:5000/team/library/nginx:1')],
      ['docker.io/bitnami/redis:7', parseReference('mirror:5000/team/bitnami/redis:7')],
      [`quay.io/a/b@${D}`, parseReference(`mirror:5000/team/a/b@${D}`)],
    ]);
  });

  it('allows many tags of one source repository and repeated references', () => {
    const m = mapReferences(refs('bitnami/nginx:1', 'bitnami/nginx:2', 'bitnami/nginx:1'), target, 'flatten');
    expect(m.size).toBe(2);
  });

  it('treats registry host names case-insensitively when looking for conflicts', () => {
    expect(mapReferences(refs('Quay.io/a/b:1', 'quay.io/a/b:2'), target).size).toBe(2);
  });

  it('refuses two repositories flattened onto one, naming both', () => {
    let err: unknown;
    try {
      mapReferences(refs('docker.io/bitnami/nginx:1.25', 'quay.io/nginx/nginx:1.25', 'redis'), target, 'flatten');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConflictError);
    const e = err as ConflictError;
    expect(e.code).toBe('E_CONFLICT');
    expect(e.message).toContain('mirror:5000/team/nginx');
    expect(e.message).toContain('docker.io/bitnami/nginx');
    expect(e.message).toContain('quay.io/nginx/nginx');
    expect(e.hint).toMatch(/--mapping default or --mapping preserve-registry/);
  });

  it('refuses the same path on two registries in default mode, and accepts it with preserve-registry', () => {
    const both = refs('quay.io/org/app:1', 'ghcr.io/org/app:1');
    expect(() => mapReferences(both, target)).toThrow(ConflictError);
    expect(() => mapReferences(both, target)).toThrow(/quay\.io\/org\/app and ghcr\.io\/org\/app/);
    expect(() => mapReferences(both, target, 'default')).toThrow(expect.objectContaining({ hint: expect.stringMatching(/preserve-registry/) }));
    const m = mapReferences(both, target, 'preserve-registry');
    expect([...m.values()].map(formatReference)).toEqual([
      'mirror:5000/team/quay.io/org/app:1',
      'mirror:5000/team/ghcr.io/org/app:1',
    ]);
  });

  it('lists every conflict, with three sources on one destination', () => {
    let err: unknown;
    try {
      mapReferences(refs('a.io/x/app', 'b.io/y/app', 'c.io/z/app', 'a.io/x/db', 'b.io/y/db'), target, 'flatten');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConflictError);
    const msg = (err as Error).message;
    expect(msg).toContain('mirror:5000/team/app ← a.io/x/app and b.io/y/app and c.io/z/app');
    expect(msg).toContain('mirror:5000/team/db ← a.io/x/db and b.io/y/db');
  });

  it('returns an empty map for no references', () => {
    expect(mapReferences([], target).size).toBe(0);
  });
});
