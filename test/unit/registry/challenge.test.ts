import { describe, expect, it } from 'vitest';
import { formatScope, normalizeScopes, parseChallenges, parseScopes, repoScope, scopeKey, scopesCover } from '../../../src/registry/challenge.js';

describe('parseChallenges', () => {
  it('parses a Bearer challenge with quoted params', () => {
    expect(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' } },
    ]);
  });
  it('parses Basic with a realm and is case-insensitive on scheme and names', () => {
    expect(parseChallenges('BASIC Realm="Registry Realm"')).toEqual([{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
  });
  it('keeps commas and escaped quotes inside quoted values, and multiple scopes', () => {
    const [c] = parseChallenges('Bearer realm="https://h/t",scope="repository:a:pull,push repository:b:pull",error="insufficient_scope",x="a\\"b"');
    expect(c!.params.scope).toBe('repository:a:pull,push repository:b:pull');
    expect(c!.params.error).toBe('insufficient_scope');
    expect(c!.params.x).toBe('a"b');
  });
  it('splits several challenges in one header and in several headers', () => {
    const cs = parseChallenges(['Basic realm="r1", Bearer realm="https://t",service="s"', 'Negotiate']);
    expect(cs.map((c) => c.scheme)).toEqual(['basic', 'bearer', 'negotiate']);
    expect(cs[1]!.params).toEqual({ realm: 'https://t', service: 's' });
  });
  it('accepts unquoted token values and ignores garbage', () => {
    expect(parseChallenges('Bearer realm=https-less,service=svc')[0]!.params).toEqual({ realm: 'https-less', service: 'svc' });
    expect(parseChallenges(undefined)).toEqual([]);
    expect(parseChallenges('')).toEqual([]);
  });
});

describe('scopes', () => {
  it('parses, normalizes and formats', () => {
    const s = parseScopes('repository:b:push,pull repository:a:pull repository:b:pull');
    expect(normalizeScopes(s).map(formatScope)).toEqual(['repository:a:pull', 'repository:b:pull,push']);
    expect(parseScopes('repository:host:5000/ns/x:pull')[0]).toEqual({ type: 'repository', name: 'host:5000/ns/x', actions: ['pull'] });
  });
  it('normalizes a single scope too: its actions sorted and distinct', () => {
    const one = { type: 'repository', name: 'a', actions: ['push', 'pull', 'push'] };
    expect(normalizeScopes([one]).map(formatScope)).toEqual(['repository:a:pull,push']);
    const sorted = [repoScope('a', 'push', 'pull')];
    expect(normalizeScopes(sorted)).toEqual([{ type: 'repository', name: 'a', actions: ['pull', 'push'] }]);
  });
  it('covers subsets only', () => {
    const have = [repoScope('a', 'push', 'pull'), repoScope('b', 'pull')];
    expect(scopesCover(have, [repoScope('a', 'pull')])).toBe(true);
    expect(scopesCover(have, [repoScope('a', 'pull'), repoScope('b', 'pull')])).toBe(true);
    expect(scopesCover(have, [repoScope('b', 'push')])).toBe(false);
    expect(scopesCover(have, [repoScope('c', 'pull')])).toBe(false);
    expect(scopesCover([repoScope('a', '*')], [repoScope('a', 'push')])).toBe(true);
    expect(scopesCover(have, [])).toBe(true);
  });
  it('gives order-independent cache keys', () => {
    expect(scopeKey([repoScope('b', 'pull'), repoScope('a', 'push', 'pull')])).toBe(scopeKey([repoScope('a', 'pull', 'push'), repoScope('b', 'pull')]));
  });
});
