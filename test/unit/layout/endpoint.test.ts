import { describe, expect, it } from 'vitest';
import { layoutImage, parseEndpoint } from '../../../src/endpoint/index.js';
import { findEntry, refNameFor, splitRefName } from '../../../src/layout/index-json.js';
import { buildCatalog, paginate } from '../../../src/serve/catalog.js';
import { parseRange } from '../../../src/serve/handler.js';
import { parseListen } from '../../../src/serve/server.js';

describe('parseEndpoint', () => {
  it('splits at the first colon after the transport, like skopeo', () => {
    expect(parseEndpoint('docker://docker.io/library/nginx:1.25')).toEqual({ kind: 'registry', ref: 'docker.io/library/nginx:1.25' });
    expect(parseEndpoint('oci:/tmp/dir')).toEqual({ kind: 'oci-dir', path: '/tmp/dir' });
    expect(parseEndpoint('oci:/tmp/dir:latest')).toEqual({ kind: 'oci-dir', path: '/tmp/dir', ref: 'latest' });
    expect(parseEndpoint('oci:dir:docker.io/library/nginx:1.25')).toEqual({ kind: 'oci-dir', path: 'dir', ref: 'docker.io/library/nginx:1.25' });
    expect(parseEndpoint('oci-archive:b.tar:127.0.0.1:5000/app@sha256:' + 'a'.repeat(64))).toEqual({
      kind: 'oci-archive',
      path: 'b.tar',
      ref: '127.0.0.1:5000/app@sha256:' + 'a'.repeat(64),
    });
    expect(parseEndpoint('oci-archive:b.tar:')).toEqual({ kind: 'oci-archive', path: 'b.tar' });
  });
  it('rejects unknown transports, missing paths and bare references with a usage error', () => {
    expect(() => parseEndpoint('dir:/tmp/x')).toThrow(/unknown transport "dir"/);
    expect(() => parseEndpoint('nginx')).toThrow(/has no transport prefix/);
    expect(() => parseEndpoint('oci::tag')).toThrow(/names no path/);
    expect(() => parseEndpoint('docker://')).toThrow(/names no image/);
    try {
      parseEndpoint('docker-archive:x.tar');
    } catch (e) {
      expect((e as { code: string }).code).toBe('E_USAGE');
    }
  });
  it('maps layout refs to repo and tag', () => {
    expect(layoutImage('docker.io/library/nginx:1.25')).toEqual({ repo: 'docker.io/library/nginx', reference: '1.25' });
    expect(layoutImage('latest')).toEqual({ repo: '', reference: 'latest' });
    expect(layoutImage(undefined)).toEqual({ repo: '', reference: '' });
    expect(splitRefName('127.0.0.1:5000/a/b')).toEqual({ repo: '127.0.0.1:5000/a/b', reference: 'latest' });
    expect(splitRefName('x.io/a@sha256:' + 'b'.repeat(64))).toEqual({ repo: 'x.io/a', reference: 'sha256:' + 'b'.repeat(64) });
    expect(refNameFor('x.io/a', 'sha256:' + 'b'.repeat(64))).toBe('x.io/a@sha256:' + 'b'.repeat(64));
    expect(refNameFor('', 'v1')).toBe('v1');
  });
});

const d = (digest: string, name?: string, ctd?: string) => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest,
  size: 10,
  ...(name || ctd
    ? { annotations: { ...(name ? { 'org.opencontainers.image.ref.name': name } : {}), ...(ctd ? { 'io.containerd.image.name': ctd } : {}) } }
    : {}),
});
const D1 = 'sha256:' + '1'.repeat(64);
const D2 = 'sha256:' + '2'.repeat(64);
const D3 = 'sha256:' + '3'.repeat(64);

describe('index lookups', () => {
  it('finds full names, containerd names, plain tags and digests', () => {
    const index = { schemaVersion: 2 as const, manifests: [d(D1, 'docker.io/library/nginx:1.25'), d(D2, 'v2'), d(D3, '1.0', 'quay.io/x/y:1.0')] };
    expect(findEntry(index, 'docker.io/library/nginx', '1.25')?.digest).toBe(D1);
    expect(findEntry(index, 'docker.io/library/nginx', 'v2')).toBeUndefined();
    expect(findEntry(index, '', 'v2')?.digest).toBe(D2);
    expect(findEntry(index, 'quay.io/x/y', '1.0')?.digest).toBe(D3);
    expect(findEntry(index, 'anything', D2)?.digest).toBe(D2);
    expect(findEntry(index, '', '')).toBeUndefined(); // three images: no implicit choice
    expect(findEntry({ schemaVersion: 2, manifests: [d(D1)] }, '', '')?.digest).toBe(D1);
  });
});

describe('serve catalog and helpers', () => {
  it('serves names without the registry host and with it; first sorted host wins a collision', () => {
    const cat = buildCatalog([
      { refName: 'docker.io/library/nginx:1.25', descriptor: d(D1) },
      { refName: 'quay.io/library/nginx:1.25', descriptor: d(D2) },
      { refName: 'fixtures/alpha:1.0', descriptor: d(D3) },
      { refName: 'latest', descriptor: d(D3) },
      { refName: 'docker.io/library/nginx@' + D3, descriptor: d(D3) },
    ]);
    expect([...cat.repositories.keys()].sort()).toEqual(['docker.io/library/nginx', 'fixtures/alpha', 'library/nginx', 'quay.io/library/nginx']);
    expect(cat.repositories.get('library/nginx')!.tags.get('1.25')!.digest).toBe(D1);
    expect(cat.repositories.get('quay.io/library/nginx')!.tags.get('1.25')!.digest).toBe(D2);
    expect([...cat.repositories.get('docker.io/library/nginx')!.tags.keys()]).toEqual(['1.25']);
    expect(cat.skipped.some((s) => s.startsWith('quay.io/library/nginx:1.25'))).toBe(true);
    expect(cat.skipped.some((s) => s.startsWith('latest'))).toBe(true);
  });
  it('paginates with n and last', () => {
    expect(paginate(['c', 'a', 'b'], 2, undefined)).toEqual({ page: ['a', 'b'], more: true });
    expect(paginate(['c', 'a', 'b'], 2, 'b')).toEqual({ page: ['c'], more: false });
    expect(paginate(['a'], undefined, 'z')).toEqual({ page: [], more: false });
  });
  it('parses ranges and listen addresses', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=50-500', 100)).toEqual({ start: 50, end: 99 });
    expect(parseRange('bytes=100-', 100)).toBe('bad');
    expect(parseRange('bytes=5-2', 100)).toBe('bad');
    expect(parseRange('items=0-1', 100)).toBe('bad');
    expect(parseListen('127.0.0.1:5000')).toEqual({ host: '127.0.0.1', port: 5000 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListen(':8080')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(() => parseListen('localhost')).toThrow(/invalid --listen/);
    expect(() => parseListen('h:70000')).toThrow(/invalid --listen/);
  });
});
