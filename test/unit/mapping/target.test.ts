import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { formatTarget, parseMappingMode, parseTarget } from '../../../src/mapping/index.js';

describe('parseTarget', () => {
  it.each([
    ['mirror:5000/team/x', { host: 'mirror:5000', prefix: 'team/x' }],
    ['mirror:5000', { host: 'mirror:5000', prefix: '' }],
    ['mirror.example.com/team', { host: 'mirror.example.com', prefix: 'team' }],
    ['mirror.example.com/team/', { host: 'mirror.example.com', prefix: 'team' }],
    ['localhost', { host: 'localhost', prefix: '' }],
    ['127.0.0.1:5000/a__b/c-d.e', { host: '127.0.0.1:5000', prefix: 'a__b/c-d.e' }],
    ['[::1]:5000/p', { host: '[::1]:5000', prefix: 'p' }],
    ['index.docker.io/myorg', { host: 'docker.io', prefix: 'myorg' }],
  ])('%s', (s, want) => {
    expect(parseTarget(s)).toEqual(want);
    expect(parseTarget(formatTarget(parseTarget(s)))).toEqual(want);
  });

  it('formats back', () => {
    expect(formatTarget({ host: 'mirror:5000', prefix: 'team/x' })).toBe('mirror:5000/team/x');
    expect(formatTarget({ host: 'mirror:5000', prefix: '' })).toBe('mirror:5000');
  });

  it.each([
    ['', /empty target registry/],
    [' mirror:5000', /contains whitespace/],
    ['https://mirror:5000/team', /must not start with "https:\/\/"/],
    ['mirror', /"mirror" is not a registry host/],
    ['team/images', /"team" is not a registry host/],
    ['mirror:http/x', /the port must be a number/],
    ['mirror:70000', /out of range/],
    ['bad_host.com/x', /host names cannot contain "_"/],
    ['[fe80::1%eth0]:5000', /not an IPv6 address/],
    ['mirror:5000/Team', /prefix must be lowercase/],
    ['mirror:5000/a//b', /empty path component/],
    ['mirror:5000/-a', /invalid path component "-a"/],
    ['mirror:5000/a:tag', /invalid path component "a:tag"/],
    [`mirror:5000/${'p'.repeat(256)}`, /longer than 255/],
  ])('rejects %j', (s, msg) => {
    let err: unknown;
    try {
      parseTarget(s);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    const e = err as UsageError;
    expect(e.code).toBe('E_USAGE');
    expect(e.message).toMatch(msg);
    if (s !== '') expect(e.message).toContain(JSON.stringify(s));
    expect(e.hint).toBeTruthy();
  });
});

describe('parseMappingMode', () => {
  it.each(['default', 'preserve-registry', 'flatten'])('accepts %s', (m) => {
    expect(parseMappingMode(m)).toBe(m);
  });
  it('refuses anything else, listing the valid values', () => {
    for (const bad of ['', 'Flatten', 'preserve', 'none']) {
      expect(() => parseMappingMode(bad)).toThrow(UsageError);
      expect(() => parseMappingMode(bad)).toThrow(/expected one of default, preserve-registry, flatten/);
    }
  });
});
