/**
 * Vectors ported from github.com/distribution/reference, reference_test.go
 * (TestReferenceParse, TestWithNameFailure, TestDomainAndPath,
 * TestSerialization, TestWithTag, TestWithDigest, TestParseNamed).
 *
 * Upstream's Parse does not normalise; airlift's parser always does (as
 * upstream's ParseNormalizedNamed), so each expectation is written in its
 * normalised form: a name without a registry lands on docker.io, and a
 * single-component Docker Hub name under library/. Validity is unchanged
 * except where noted.
 */
import { describe, expect, it } from 'vitest';
import { InvalidReferenceError } from '../../../src/errors.js';
import { formatReference, parseReference, type Reference } from '../../../src/reference/index.js';

const F64 = 'f'.repeat(64);
const F128 = 'f'.repeat(128);

interface Valid {
  input: string;
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}
interface Invalid {
  input: string;
  reason: RegExp;
}

const parseNoDefaultTag = (s: string): Reference => parseReference(s, { defaultTag: null });

function expectRef(input: string, ref: Reference, want: Omit<Valid, 'input'>): void {
  expect(ref, input).toEqual({
    registry: want.registry,
    repository: want.repository,
    ...(want.tag !== undefined ? { tag: want.tag } : {}),
    ...(want.digest !== undefined ? { digest: want.digest } : {}),
  });
}

function expectInvalid(input: string, reason: RegExp): void {
  let caught: unknown;
  try {
    parseNoDefaultTag(input);
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${JSON.stringify(input)} to be rejected`).toBeInstanceOf(InvalidReferenceError);
  const e = caught as InvalidReferenceError;
  expect(e.code).toBe('E_REFERENCE');
  expect(e.input).toBe(input);
  expect(e.reason).toMatch(reason);
}

describe('reference_test.go TestReferenceParse', () => {
  const valid: Valid[] = [
    { input: 'test_com', registry: 'docker.io', repository: 'library/test_com' },
    { input: 'test.com:tag', registry: 'docker.io', repository: 'library/test.com', tag: 'tag' },
    { input: 'test.com:5000', registry: 'docker.io', repository: 'library/test.com', tag: '5000' },
    { input: 'test.com/repo:tag', registry: 'test.com', repository: 'repo', tag: 'tag' },
    { input: 'test:5000/repo', registry: 'test:5000', repository: 'repo' },
    { input: 'test:5000/repo:tag', registry: 'test:5000', repository: 'repo', tag: 'tag' },
    { input: `test:5000/repo@sha256:${F64}`, registry: 'test:5000', repository: 'repo', digest: `sha256:${F64}` },
    {
      input: `test:5000/repo:tag@sha256:${F64}`,
      registry: 'test:5000',
      repository: 'repo',
      tag: 'tag',
      digest: `sha256:${F64}`,
    },
    // Upstream rejects sha512 only because its test binary does not register the algorithm; airlift verifies sha512.
    { input: `validname@sha512:${F128}`, registry: 'docker.io', repository: 'library/validname', digest: `sha512:${F128}` },
    { input: 'lowercase:Uppercase', registry: 'docker.io', repository: 'library/lowercase', tag: 'Uppercase' },
    {
      // upstream reads "a" as the domain; normalised it is a Docker Hub path of exactly 255 characters
      input: `${'a/'.repeat(127)}a:tag-puts-this-over-max`,
      registry: 'docker.io',
      repository: `${'a/'.repeat(127)}a`,
      tag: 'tag-puts-this-over-max',
    },
    { input: 'sub-dom1.foo.com/bar/baz/quux', registry: 'sub-dom1.foo.com', repository: 'bar/baz/quux' },
    {
      input: 'sub-dom1.foo.com/bar/baz/quux:some-long-tag',
      registry: 'sub-dom1.foo.com',
      repository: 'bar/baz/quux',
      tag: 'some-long-tag',
    },
    {
      input: 'b.gcr.io/test.example.com/my-app:test.example.com',
      registry: 'b.gcr.io',
      repository: 'test.example.com/my-app',
      tag: 'test.example.com',
    },
    { input: 'xn--n3h.com/myimage:xn--n3h.com', registry: 'xn--n3h.com', repository: 'myimage', tag: 'xn--n3h.com' },
    {
      input: `xn--7o8h.com/myimage:xn--7o8h.com@sha256:${F64}`,
      registry: 'xn--7o8h.com',
      repository: 'myimage',
      tag: 'xn--7o8h.com',
      digest: `sha256:${F64}`,
    },
    { input: 'foo_bar.com:8080', registry: 'docker.io', repository: 'library/foo_bar.com', tag: '8080' },
    { input: 'foo/foo_bar.com:8080', registry: 'docker.io', repository: 'foo/foo_bar.com', tag: '8080' },
    { input: '192.168.1.1', registry: 'docker.io', repository: 'library/192.168.1.1' },
    { input: '192.168.1.1:tag', registry: 'docker.io', repository: 'library/192.168.1.1', tag: 'tag' },
    { input: '192.168.1.1:5000', registry: 'docker.io', repository: 'library/192.168.1.1', tag: '5000' },
    { input: '192.168.1.1/repo', registry: '192.168.1.1', repository: 'repo' },
    { input: '192.168.1.1:5000/repo', registry: '192.168.1.1:5000', repository: 'repo' },
    { input: '192.168.1.1:5000/repo:5050', registry: '192.168.1.1:5000', repository: 'repo', tag: '5050' },
    { input: '[2001:db8::1]/repo', registry: '[2001:db8::1]', repository: 'repo' },
    { input: '[2001:db8:1:2:3:4:5:6]/repo:tag', registry: '[2001:db8:1:2:3:4:5:6]', repository: 'repo', tag: 'tag' },
    { input: '[2001:db8::1]:5000/repo', registry: '[2001:db8::1]:5000', repository: 'repo' },
    { input: '[2001:db8::1]:5000/repo:tag', registry: '[2001:db8::1]:5000', repository: 'repo', tag: 'tag' },
    {
      input: `[2001:db8::1]:5000/repo@sha256:${F64}`,
      registry: '[2001:db8::1]:5000',
      repository: 'repo',
      digest: `sha256:${F64}`,
    },
    {
      input: `[2001:db8::1]:5000/repo:tag@sha256:${F64}`,
      registry: '[2001:db8::1]:5000',
      repository: 'repo',
      tag: 'tag',
      digest: `sha256:${F64}`,
    },
    { input: '[2001:db8::]:5000/repo', registry: '[2001:db8::]:5000', repository: 'repo' },
    { input: '[::1]:5000/repo', registry: '[::1]:5000', repository: 'repo' },
    { input: `example.com/${'a'.repeat(255)}:tag`, registry: 'example.com', repository: 'a'.repeat(255), tag: 'tag' },
  ];
  it.each(valid)('accepts $input', ({ input, ...want }) => {
    const ref = parseNoDefaultTag(input);
    expectRef(input, ref, want);
    // what upstream checks as repo.String() == input, for inputs that are already canonical
    if (input.includes('/') && !input.startsWith('foo/') && !/^a\//.test(input)) expect(formatReference(ref)).toBe(input);
  });

  const invalid: Invalid[] = [
    { input: '', reason: /^empty reference$/ },
    { input: ':justtag', reason: /missing repository name/ },
    { input: `@sha256:${F64}`, reason: /missing repository name/ },
    { input: `repo@sha256:${'f'.repeat(34)}`, reason: /^digest: sha256 needs 64 hex characters, got 34$/ },
    { input: `validname@invaliddigest:${F64}`, reason: /unsupported algorithm "invaliddigest"/ },
    { input: 'Uppercase:tag', reason: /^repository name must be lowercase/ },
    // Upstream leaves "Uppercase/lowercase:tag" valid (the uppercase first component is read as a host); so does airlift.
    { input: 'test:5000/Uppercase/lowercase:tag', reason: /^repository name must be lowercase/ },
    { input: `domain/${'a'.repeat(256)}:tag`, reason: /^name longer than 255 characters/ },
    { input: 'aa/asdf$$^/aa', reason: /invalid path component "asdf\$\$\^"/ },
    { input: '[2001:db8::1]', reason: /looks like a registry host with no repository/ },
    { input: '[2001:db8::1]:5000', reason: /looks like a registry host with no repository/ },
    { input: '[2001:db8::1]:tag', reason: /looks like a registry host with no repository/ },
    { input: '[fe80::1%eth0]:5000/repo', reason: /"fe80::1%eth0" is not an IPv6 address/ },
    { input: '[fe80::1%@invalidzone]:5000/repo', reason: /digest/ },
  ];
  it.each(invalid)('rejects $input', ({ input, reason }) => expectInvalid(input, reason));

  it('reads an uppercase first component as a host, as upstream does', () => {
    expect(parseNoDefaultTag('Uppercase/lowercase:tag')).toEqual({
      registry: 'Uppercase',
      repository: 'lowercase',
      tag: 'tag',
    });
  });
});

describe('reference_test.go TestWithNameFailure (names that fail whatever follows)', () => {
  const invalid: Invalid[] = [
    { input: '', reason: /empty reference/ },
    { input: ':justtag', reason: /missing repository name/ },
    { input: `@sha256:${F64}`, reason: /missing repository name/ },
    { input: `validname@invaliddigest:${F64}`, reason: /unsupported algorithm/ },
    { input: `example.com/${'a'.repeat(256)}`, reason: /name longer than 255 characters/ },
    { input: 'aa/asdf$$^/aa', reason: /invalid path component/ },
  ];
  // "example.com/repo:tag" fails upstream's WithName only because a bare name takes no tag; it is a valid reference.
  it.each(invalid)('rejects $input', ({ input, reason }) => expectInvalid(input, reason));
});

describe('reference_test.go TestDomainAndPath (normalised)', () => {
  it.each([
    ['test.com/foo', 'test.com', 'foo'],
    ['test_com/foo', 'docker.io', 'test_com/foo'],
    ['test:8080/foo', 'test:8080', 'foo'],
    ['test.com:8080/foo', 'test.com:8080', 'foo'],
    ['test-com:8080/foo', 'test-com:8080', 'foo'],
    ['xn--n3h.com:18080/foo', 'xn--n3h.com:18080', 'foo'],
  ])('%s → %s + %s', (input, registry, repository) => {
    const ref = parseNoDefaultTag(input);
    expect(ref.registry).toBe(registry);
    expect(ref.repository).toBe(repository);
  });
});

describe('reference_test.go TestSerialization', () => {
  const d = 'sha256:1234567890098765432112345667890098765432112345667890098765432112';
  it.each([
    { input: 'example.com:8000/named', registry: 'example.com:8000', repository: 'named' },
    { input: 'example.com:8000/named:tagged', registry: 'example.com:8000', repository: 'named', tag: 'tagged' },
    { input: `other.com/named@${d}`, registry: 'other.com', repository: 'named', digest: d },
  ] as Valid[])('round-trips $input', ({ input, ...want }) => {
    const ref = parseNoDefaultTag(input);
    expectRef(input, ref, want);
    expect(formatReference(ref)).toBe(input);
    expect(parseNoDefaultTag(formatReference(ref))).toEqual(ref);
  });
  it('rejects the empty value', () => expectInvalid('', /empty reference/));
});

describe('reference_test.go TestWithTag / TestWithDigest (formatting)', () => {
  // Upstream builds these with a 37-hex "sha256" digest its WithDigest does not verify; airlift requires 64.
  const d = `sha256:${'1234567890098765'.repeat(4)}`;
  it.each([
    [{ registry: 'test.com', repository: 'foo', tag: 'tag' }, 'test.com/foo:tag'],
    [{ registry: 'docker.io', repository: 'library/foo', tag: 'tag2' }, 'docker.io/library/foo:tag2'],
    [{ registry: 'test.com:8000', repository: 'foo', tag: 'tag4' }, 'test.com:8000/foo:tag4'],
    [{ registry: 'test.com:8000', repository: 'foo', tag: 'TAG5' }, 'test.com:8000/foo:TAG5'],
    [{ registry: 'test.com:8000', repository: 'foo', tag: 'TAG5', digest: d }, `test.com:8000/foo:TAG5@${d}`],
    [{ registry: 'test.com', repository: 'foo', digest: d }, `test.com/foo@${d}`],
    [{ registry: 'docker.io', repository: 'library/foo', digest: d }, `docker.io/library/foo@${d}`],
    [{ registry: 'test.com:8000', repository: 'foo', digest: d }, `test.com:8000/foo@${d}`],
    [{ registry: 'test.com:8000', repository: 'foo', tag: 'latest', digest: d }, `test.com:8000/foo:latest@${d}`],
  ] as [Reference, string][])('formats %o as %s', (ref, want) => {
    expect(formatReference(ref)).toBe(want);
    expect(parseNoDefaultTag(want)).toEqual(ref);
  });
});

describe('reference_test.go TestParseNamed (canonical names format back unchanged)', () => {
  it.each([
    ['test.com/foo', true],
    ['test:8080/foo', true],
    ['test_com/foo', false],
    ['test.com', false],
    ['foo', false],
    ['library/foo', false],
    ['docker.io/library/foo', true],
    ['docker.io/foo', false], // ambiguous: the parser adds library/
  ] as [string, boolean][])('%s canonical=%s', (input, canonical) => {
    expect(formatReference(parseNoDefaultTag(input)) === input).toBe(canonical);
  });
});
