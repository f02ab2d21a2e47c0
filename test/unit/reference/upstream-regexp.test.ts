/**
 * Vectors ported from github.com/distribution/reference, regexp_test.go
 * (TestDomainRegexp, TestFullNameRegexp, TestReferenceRegexp,
 * TestIdentifierRegexp). They check airlift's grammar (src/reference/grammar.ts)
 * match for match, and then what the parser does with the same strings.
 */
import { describe, expect, it } from 'vitest';
import {
  ANCHORED_NAME_RE,
  DOMAIN_AND_PORT_RE,
  IDENTIFIER_RE,
  REFERENCE_RE,
} from '../../../src/reference/grammar.js';
import { isRegistryHost, tryParseReference } from '../../../src/reference/index.js';
import { checkHost } from '../../../src/reference/validate.js';

describe('regexp_test.go TestDomainRegexp', () => {
  // [input, grammar match]
  const cases: [string, boolean][] = [
    ['test.com', true],
    ['test.com:10304', true],
    ['test.com:http', false],
    ['localhost', true],
    ['localhost:8080', true],
    ['a', true],
    ['a.b', true],
    ['ab.cd.com', true],
    ['a-b.com', true],
    ['-ab.com', false],
    ['ab-.com', false],
    ['ab.c-om', true],
    ['ab.-com', false],
    ['ab.com-', false],
    ['0101.com', true],
    ['001a.com', true],
    ['b.gbc.io:443', true],
    ['b.gbc.io', true],
    ['xn--n3h.com', true],
    ['Asdf.com', true],
    ['192.168.1.1:75050', true],
    ['192.168.1.1:750050', true],
    ['[fd00:1:2::3]:75050', true],
    ['[fd00:1:2::3]75050', false],
    ['[fd00:1:2::3]::75050', false],
    ['[fd00:1:2::3%eth0]:75050', false],
    ['[fd00123123123]:75050', true],
    ['[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050', true],
    ['[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505', true],
    ['fd00:1:2::3:75050', false],
  ];
  it.each(cases)('grammar: %s → %s', (input, match) => {
    expect(DOMAIN_AND_PORT_RE.test(input)).toBe(match);
  });

  // Upstream notes that some grammar matches "will fail on validation": airlift validates port range
  // and IPv6 shape, so these are rejected as hosts even though the grammar matches.
  const failValidation = new Set([
    '192.168.1.1:75050',
    '192.168.1.1:750050',
    '[fd00:1:2::3]:75050',
    '[fd00123123123]:75050',
    '[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050',
    '[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505',
  ]);
  it.each(cases)('validation: %s', (input, match) => {
    const ok = checkHost(input) === undefined;
    expect(ok).toBe(match && !failValidation.has(input));
  });

  it('validates the IPv6 forms with an in-range port', () => {
    expect(checkHost('[fd00:1:2::3]:7505')).toBeUndefined();
    expect(checkHost('[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:443')).toBeUndefined();
    expect(checkHost('[fd00123123123]:5000')).toMatch(/not an IPv6 address/);
    expect(checkHost('192.168.1.1:75050')).toMatch(/port 75050 is out of range/);
    expect(checkHost('192.168.1.1:0')).toMatch(/out of range/);
  });

  it('reads only host-looking components as hosts', () => {
    expect(isRegistryHost('a')).toBe(false); // grammar matches, but docker reads it as a path
    expect(isRegistryHost('a.b')).toBe(true);
    expect(isRegistryHost('localhost:8080')).toBe(true);
    expect(isRegistryHost('Asdf.com')).toBe(true);
  });
});

describe('regexp_test.go TestFullNameRegexp', () => {
  // [input, match, domain, path]
  const cases: [string, boolean, string?, string?][] = [
    ['', false],
    ['short', true, '', 'short'],
    ['simple/name', true, 'simple', 'name'],
    ['library/ubuntu', true, 'library', 'ubuntu'],
    ['docker/stevvooe/app', true, 'docker', 'stevvooe/app'],
    ['aa/aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb', true, 'aa', 'aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb'],
    ['aa/aa/bb/bb/bb', true, 'aa', 'aa/bb/bb/bb'],
    ['a/a/a/a', true, 'a', 'a/a/a'],
    ['a/a/a/a/', false],
    ['a//a/a', false],
    ['a', true, '', 'a'],
    ['a/aa', true, 'a', 'aa'],
    ['a/aa/a', true, 'a', 'aa/a'],
    ['foo.com', true, '', 'foo.com'],
    ['foo.com/', false],
    ['foo.com:8080/bar', true, 'foo.com:8080', 'bar'],
    ['foo.com:http/bar', false],
    ['foo.com/bar', true, 'foo.com', 'bar'],
    ['foo.com/bar/baz', true, 'foo.com', 'bar/baz'],
    ['localhost:8080/bar', true, 'localhost:8080', 'bar'],
    ['sub-dom1.foo.com/bar/baz/quux', true, 'sub-dom1.foo.com', 'bar/baz/quux'],
    ['blog.foo.com/bar/baz', true, 'blog.foo.com', 'bar/baz'],
    ['a^a', false],
    ['aa/asdf$$^/aa', false],
    ['asdf$$^/aa', false],
    ['aa-a/a', true, 'aa-a', 'a'],
    [`${'a/'.repeat(128)}a`, true, 'a', `${'a/'.repeat(127)}a`],
    ['a-/a/a/a', false],
    ['foo.com/a-/a/a', false],
    ['-foo/bar', false],
    ['foo/bar-', false],
    ['foo-/bar', false],
    ['foo/-bar', false],
    ['_foo/bar', false],
    ['foo_bar', true, '', 'foo_bar'],
    ['foo_bar.com', true, '', 'foo_bar.com'],
    ['foo_bar.com:8080', false],
    ['foo_bar.com:8080/app', false],
    ['foo.com/foo_bar', true, 'foo.com', 'foo_bar'],
    ['____/____', false],
    ['_docker/_docker', false],
    ['docker_/docker_', false],
    ['b.gcr.io/test.example.com/my-app', true, 'b.gcr.io', 'test.example.com/my-app'],
    ['xn--n3h.com/myimage', true, 'xn--n3h.com', 'myimage'],
    ['xn--7o8h.com/myimage', true, 'xn--7o8h.com', 'myimage'],
    ['example.com/xn--7o8h.com/myimage', true, 'example.com', 'xn--7o8h.com/myimage'],
    ['example.com/some_separator__underscore/myimage', true, 'example.com', 'some_separator__underscore/myimage'],
    ['example.com/__underscore/myimage', false],
    ['example.com/..dots/myimage', false],
    ['example.com/.dots/myimage', false],
    ['example.com/nodouble..dots/myimage', false],
    ['docker./docker', false],
    ['.docker/docker', false],
    ['docker-/docker', false],
    ['-docker/docker', false],
    ['do..cker/docker', false],
    ['do__cker:8080/docker', false],
    ['do__cker/docker', true, '', 'do__cker/docker'],
    ['registry.io/foo/project--id.module--name.ver---sion--name', true, 'registry.io', 'foo/project--id.module--name.ver---sion--name'],
    ['Asdf.com/foo/bar', true],
    ['Foo/FarB', false],
  ];
  it.each(cases)('grammar: %s → %s', (input, match, domain, path) => {
    const m = ANCHORED_NAME_RE.exec(input);
    expect(m !== null).toBe(match);
    if (m && domain !== undefined) {
      expect(m[1] ?? '').toBe(domain);
      expect(m[2]).toBe(path);
    }
  });

  // The parser agrees with the grammar on every name without ":" (a ":" may start a tag in a
  // reference), except that it refuses a first component that looks like a host (has ".") but is
  // not one: upstream then silently reads "foo_bar.com/x" as a registry-less path; airlift says why.
  // The grammar has no length limit; the parser refuses repository paths over 255 characters
  // (upstream's Parse does the same after matching).
  it.each(cases.filter(([input]) => !input.includes(':')))('parser agrees: %s', (input, match) => {
    const r = tryParseReference(input);
    const tooLong = input.length > 255;
    expect(r.ok).toBe(match && !tooLong);
    if (tooLong) expect(!r.ok && r.error.reason).toMatch(/^name longer than 255 characters/);
  });
});

describe('regexp_test.go TestReferenceRegexp', () => {
  const d = 'sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912';
  // [input, match, name, tag, digest]
  const cases: [string, boolean, string?, string?, string?][] = [
    ['registry.com:8080/myapp:tag', true, 'registry.com:8080/myapp', 'tag', ''],
    [`registry.com:8080/myapp@${d}`, true, 'registry.com:8080/myapp', '', d],
    [`registry.com:8080/myapp:tag2@${d}`, true, 'registry.com:8080/myapp', 'tag2', d],
    ['registry.com:8080/myapp@sha256:badbadbadbad', false],
    ['registry.com:8080/myapp:invalid~tag', false],
    ['bad_hostname.com:8080/myapp:tag', false],
    [`localhost:8080@${d}`, true, 'localhost', '8080', d], // localhost read as a name, 8080 as the tag
    [`localhost:8080/name@${d}`, true, 'localhost:8080/name', '', d],
    [`localhost:http/name@${d}`, false],
    [`localhost@${d}`, true, 'localhost', '', d],
    ['registry.com:8080/myapp@bad', false],
    ['registry.com:8080/myapp@2bad', false],
  ];
  it.each(cases)('grammar: %s → %s', (input, match, name, tag, digest) => {
    const m = REFERENCE_RE.exec(input);
    expect(m !== null).toBe(match);
    if (m) expect([m[1], m[2] ?? '', m[3] ?? '']).toEqual([name, tag, digest]);
  });
  it.each(cases)('parser agrees: %s', (input, match) => {
    expect(tryParseReference(input).ok).toBe(match);
  });
  it('normalises the localhost-as-name cases onto Docker Hub', () => {
    const r = tryParseReference(`localhost:8080@${d}`);
    expect(r.ok && r.ref).toEqual({ registry: 'docker.io', repository: 'library/localhost', tag: '8080', digest: d });
  });
});

describe('regexp_test.go TestIdentifierRegexp', () => {
  it.each([
    ['da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821', true],
    ['7EC43B381E5AEFE6E04EFB0B3F0693FF2A4A50652D64AEC573905F2DB5889A1C', false],
    ['da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf', false],
    ['sha256:da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821', false],
    ['da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf98218482', false],
  ] as [string, boolean][])('%s → %s', (input, match) => {
    expect(IDENTIFIER_RE.test(input)).toBe(match);
    const r = tryParseReference(input);
    if (match) expect(!r.ok && r.error.reason).toMatch(/image ID, not a repository name/);
  });
});
