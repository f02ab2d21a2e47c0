/**
 * Vectors ported from github.com/distribution/reference, normalize_test.go
 * (TestValidateReferenceName, TestValidateRemoteName, TestParseRepositoryInfo,
 * TestParseReferenceWithTagAndDigest, TestInvalidReferenceComponents,
 * TestParseAnyReference, TestNormalizedSplitHostname, TestParseDockerRef).
 */
import { describe, expect, it } from 'vitest';
import { InvalidReferenceError } from '../../../src/errors.js';
import {
  formatReference,
  parseReference,
  repositoryString,
  tryParseReference,
} from '../../../src/reference/index.js';

function rejects(input: string): InvalidReferenceError {
  const r = tryParseReference(input);
  expect(r.ok, `expected ${JSON.stringify(input)} to be rejected`).toBe(false);
  if (r.ok) throw new Error('unreachable');
  expect(r.error).toBeInstanceOf(InvalidReferenceError);
  expect(r.error.message).toContain(JSON.stringify(input));
  return r.error;
}

describe('normalize_test.go TestValidateReferenceName', () => {
  const valid = [
    'docker/docker',
    'library/debian',
    'debian',
    'localhost/library/debian',
    'localhost/debian',
    'LOCALDOMAIN/library/debian',
    'LOCALDOMAIN/debian',
    'docker.io/docker/docker',
    'docker.io/library/debian',
    'docker.io/debian',
    'index.docker.io/docker/docker',
    'index.docker.io/library/debian',
    'index.docker.io/debian',
    '127.0.0.1:5000/docker/docker',
    '127.0.0.1:5000/library/debian',
    '127.0.0.1:5000/debian',
    '192.168.0.1',
    '192.168.0.1:80',
    '192.168.0.1:8/debian',
    '192.168.0.2:25000/debian',
    'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
    '[fc00::1]:5000/docker',
    '[fc00::1]:5000/docker/docker',
    '[fc00:1:2:3:4:5:6:7]:5000/library/debian',
    // with a host, a 64-hex path is not mistaken for an image ID
    'docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
    'Docker/docker',
    'DOCKER/docker',
  ];
  it.each(valid)('accepts %s', (input) => {
    expect(() => parseReference(input)).not.toThrow();
  });

  const invalid: [string, RegExp][] = [
    ['https://github.com/docker/docker', /no URL scheme: remove "https:\/\/"/],
    ['docker/Docker', /repository name must be lowercase/],
    ['-docker', /invalid path component "-docker"/],
    ['-docker/docker', /invalid path component "-docker"/],
    ['-docker.io/docker/docker', /invalid registry host "-docker.io"/],
    ['docker///docker', /empty path component/],
    ['docker.io/docker/Docker', /repository name must be lowercase/],
    ['docker.io/docker///docker', /empty path component/],
    ['[fc00::1]', /registry host with no repository/],
    ['[fc00::1]:5000', /registry host with no repository/],
    ['fc00::1:5000/debian', /put an IPv6 address in brackets/],
    ['[fe80::1%eth0]:5000/debian', /not an IPv6 address/],
    ['[2001:db8:3:4::192.0.2.33]:5000/debian', /not an IPv6 address/],
    ['1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', /image ID, not a repository name/],
  ];
  it.each(invalid)('rejects %s', (input, reason) => {
    expect(rejects(input).reason).toMatch(reason);
  });
});

describe('normalize_test.go TestValidateRemoteName', () => {
  it.each([
    'docker/docker',
    'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
    'docker-rules/docker',
    'docker---rules/docker',
    'doc/docker',
    'd/docker',
    'jess/t',
    'dock__er/docker',
  ])('accepts %s', (input) => {
    expect(parseReference(input)).toEqual({ registry: 'docker.io', repository: input.includes('/') ? input : `library/${input}`, tag: 'latest' });
  });

  it.each([
    'docker/Docker',
    'docker///docker',
    '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
    '-docker/docker',
    'docker-/docker',
    '-docker-/docker',
    '____/____',
    '_docker/_docker',
    'dock..er/docker',
    'dock_.er/docker',
    'dock-.er/docker',
    'docker/',
    `${'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_'.repeat(4).slice(0, -1)}/docker`,
  ])('rejects %s', (input) => {
    rejects(input);
  });
});

describe('normalize_test.go TestParseRepositoryInfo', () => {
  // [remote name (path), familiar name, full name, ambiguous name, domain]
  const cases: [string, string, string, string, string][] = [
    ['fooo', 'localhost/fooo', 'localhost/fooo', 'localhost/fooo', 'localhost'],
    ['fooo/bar', 'localhost/fooo/bar', 'localhost/fooo/bar', 'localhost/fooo/bar', 'localhost'],
    ['fooo', 'LOCALDOMAIN/fooo', 'LOCALDOMAIN/fooo', 'LOCALDOMAIN/fooo', 'LOCALDOMAIN'],
    ['fooo/bar', 'LOCALDOMAIN/fooo/bar', 'LOCALDOMAIN/fooo/bar', 'LOCALDOMAIN/fooo/bar', 'LOCALDOMAIN'],
    ['fooo/bar', 'fooo/bar', 'docker.io/fooo/bar', 'index.docker.io/fooo/bar', 'docker.io'],
    ['library/ubuntu', 'ubuntu', 'docker.io/library/ubuntu', 'library/ubuntu', 'docker.io'],
    ['nonlibrary/ubuntu', 'nonlibrary/ubuntu', 'docker.io/nonlibrary/ubuntu', '', 'docker.io'],
    ['other/library', 'other/library', 'docker.io/other/library', '', 'docker.io'],
    ['private/moonbase', '127.0.0.1:8000/private/moonbase', '127.0.0.1:8000/private/moonbase', '', '127.0.0.1:8000'],
    ['privatebase', '127.0.0.1:8000/privatebase', '127.0.0.1:8000/privatebase', '', '127.0.0.1:8000'],
    ['private/moonbase', 'example.com/private/moonbase', 'example.com/private/moonbase', '', 'example.com'],
    ['privatebase', 'example.com/privatebase', 'example.com/privatebase', '', 'example.com'],
    ['private/moonbase', 'example.com:8000/private/moonbase', 'example.com:8000/private/moonbase', '', 'example.com:8000'],
    ['privatebasee', 'example.com:8000/privatebasee', 'example.com:8000/privatebasee', '', 'example.com:8000'],
    [
      'library/ubuntu-12.04-base',
      'ubuntu-12.04-base',
      'docker.io/library/ubuntu-12.04-base',
      'index.docker.io/library/ubuntu-12.04-base',
      'docker.io',
    ],
    ['library/foo', 'foo', 'docker.io/library/foo', 'docker.io/foo', 'docker.io'],
    ['library/foo/bar', 'library/foo/bar', 'docker.io/library/foo/bar', '', 'docker.io'],
    ['store/foo/bar', 'store/foo/bar', 'docker.io/store/foo/bar', '', 'docker.io'],
    ['bar', 'Foo/bar', 'Foo/bar', '', 'Foo'],
    ['bar', 'FOO/bar', 'FOO/bar', '', 'FOO'],
  ];
  for (const [remote, familiar, full, ambiguous, domain] of cases) {
    for (const input of [familiar, full, ambiguous].filter((s) => s !== '')) {
      it(`${input} → ${full}`, () => {
        const ref = parseReference(input, { defaultTag: null });
        expect(ref.registry).toBe(domain);
        expect(ref.repository).toBe(remote);
        expect(repositoryString(ref)).toBe(full);
        expect(formatReference(ref)).toBe(full);
      });
    }
  }
});

describe('normalize_test.go TestParseReferenceWithTagAndDigest', () => {
  it('keeps both tag and digest', () => {
    const short = 'busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa';
    const ref = parseReference(short);
    expect(formatReference(ref)).toBe(`docker.io/library/${short}`);
    expect(ref.tag).toBe('latest');
    expect(ref.digest).toBe('sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa');
  });
});

describe('normalize_test.go TestInvalidReferenceComponents', () => {
  it('rejects a leading dash in the name, the tag, and a digest without algorithm', () => {
    expect(rejects('-foo').reason).toMatch(/invalid path component "-foo"/);
    expect(rejects('busybox:-foo').reason).toMatch(/invalid tag "-foo"/);
    expect(rejects('busybox@foo').reason).toMatch(/invalid digest "foo": expected algorithm:hex/);
  });
});

describe('normalize_test.go TestParseAnyReference (name forms)', () => {
  const d = 'sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';
  // Upstream's ParseAnyReference also turns a bare 64-hex ID into a digest reference; airlift only
  // takes image references, so a bare ID is rejected (see TestValidateReferenceName above).
  it.each([
    ['redis', 'docker.io/library/redis'],
    ['redis:latest', 'docker.io/library/redis:latest'],
    ['docker.io/library/redis:latest', 'docker.io/library/redis:latest'],
    [`redis@${d}`, `docker.io/library/redis@${d}`],
    [`docker.io/library/redis@${d}`, `docker.io/library/redis@${d}`],
    ['dmcgowan/myapp', 'docker.io/dmcgowan/myapp'],
    ['dmcgowan/myapp:latest', 'docker.io/dmcgowan/myapp:latest'],
    ['docker.io/mcgowan/myapp:latest', 'docker.io/mcgowan/myapp:latest'],
    [`dmcgowan/myapp@${d}`, `docker.io/dmcgowan/myapp@${d}`],
    [`docker.io/dmcgowan/myapp@${d}`, `docker.io/dmcgowan/myapp@${d}`],
    [
      'dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9',
      'docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9',
    ],
    ['dbcc1', 'docker.io/library/dbcc1'],
  ])('%s ≡ %s', (input, equivalent) => {
    const ref = parseReference(input, { defaultTag: null });
    expect(formatReference(ref)).toBe(equivalent);
    expect(parseReference(equivalent, { defaultTag: null })).toEqual(ref);
  });
});

describe('normalize_test.go TestNormalizedSplitHostname', () => {
  it.each([
    ['test.com/foo', 'test.com', 'foo'],
    ['test_com/foo', 'docker.io', 'test_com/foo'],
    ['docker/migrator', 'docker.io', 'docker/migrator'],
    ['test.com:8080/foo', 'test.com:8080', 'foo'],
    ['test-com:8080/foo', 'test-com:8080', 'foo'],
    ['foo', 'docker.io', 'library/foo'],
    ['xn--n3h.com/foo', 'xn--n3h.com', 'foo'],
    ['xn--n3h.com:18080/foo', 'xn--n3h.com:18080', 'foo'],
    ['docker.io/foo', 'docker.io', 'library/foo'],
    ['docker.io/library/foo', 'docker.io', 'library/foo'],
    ['docker.io/library/foo/bar', 'docker.io', 'library/foo/bar'],
  ])('%s → %s + %s', (input, registry, repository) => {
    const ref = parseReference(input);
    expect([ref.registry, ref.repository]).toEqual([registry, repository]);
  });
});

describe('normalize_test.go TestParseDockerRef', () => {
  const d = 'sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582';
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:latest', 'docker.io/library/busybox:latest'],
    [`busybox@${d}`, `docker.io/library/busybox@${d}`],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox:latest', 'docker.io/library/busybox:latest'],
    ['library/busybox:latest', 'docker.io/library/busybox:latest'],
    ['docker.io/library/busybox:latest', 'docker.io/library/busybox:latest'],
    ['gcr.io/library/busybox', 'gcr.io/library/busybox:latest'],
    // Upstream's ParseDockerRef drops the tag when a digest is present; airlift keeps both (the
    // tag is what the chart asked for, the digest is what gets pulled).
    [`gcr.io/library/busybox:latest@${d}`, `gcr.io/library/busybox:latest@${d}`],
  ])('%s → %s', (input, expected) => {
    const out = formatReference(parseReference(input));
    expect(out).toBe(expected);
    expect(formatReference(parseReference(out))).toBe(out);
  });
});
