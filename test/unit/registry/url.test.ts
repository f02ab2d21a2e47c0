import { describe, expect, it } from 'vitest';
import { pathOn, urlOn } from '../../../src/registry/url.js';

// The URL parser is the judge: urlOn and pathOn must give what it gives, fast path or not.
const ORIGINS = ['http://127.0.0.1:5000', 'https://registry.example', 'http://[::1]:5000', 'https://reg.example:8443'];
const PATHS = [
  '/v2/',
  '/v2/library/nginx/manifests/1.25',
  '/v2/library/nginx/manifests/sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  '/v2/a/b/c/blobs/sha256:00ff',
  '/v2/a/blobs/uploads/?mount=sha256%3A00ff&from=b%2Fc',
  '/v2/a/tags/list?n=100&last=1.0',
  '/v2/a/blobs/uploads/6d2f?_state=abc_-def%3D%3D&digest=sha256%3A00',
  '/v2/a/blobs/uploads/x?_state=a=b==',
  '/v2/a/./b',
  '/v2/a/../b',
  '/v2/a/..',
  '/v2/a/.',
  '/v2/a/%2e%2E/b',
  '/v2/a/%2e',
  '/v2/a b',
  '/v2/a"b',
  '/v2/a<b>',
  '/v2/a\\b',
  '/v2/a^b|c`d{e}',
  '/v2/é',
  '/v2/a#frag',
  '/v2/a?x=1#frag',
  "/v2/a?x='y'",
  '/v2/a?x=a b',
  '/v2/a?x="y"',
  '/v2/a?x=é',
  '/v2/a?x=1?y=2',
  '/v2/a/.hidden/..x/...',
  '//other.example/v2/',
  'v2/relative',
  '',
  '?q=1',
  'https://other.example/v2/a?b=c',
  'http://127.0.0.1:5000/v2/x',
  '/v2/a/b//c',
  '/v2/a?',
  '/v2/a\t/b',
];

describe('urlOn', () => {
  it('gives what new URL(path, origin).toString() gives', () => {
    for (const origin of ORIGINS) for (const p of PATHS) expect(urlOn(origin, p), `${origin} + ${JSON.stringify(p)}`).toBe(new URL(p, origin).toString());
  });
});

describe('pathOn', () => {
  it('gives the path and query of a URL on the origin, and undefined elsewhere, as the URL parser does', () => {
    for (const origin of ORIGINS) {
      for (const base of ORIGINS) {
        for (const p of PATHS) {
          const url = new URL(p, base).toString();
          const u = new URL(url);
          const expected = u.origin === origin ? u.pathname + u.search : undefined;
          expect(pathOn(origin, url), `${origin} ? ${url}`).toBe(expected);
        }
      }
    }
  });

  it('is not fooled by an origin that is a prefix of another host or port, or by user info', () => {
    expect(pathOn('http://127.0.0.1:50', 'http://127.0.0.1:5000/v2/')).toBeUndefined();
    expect(pathOn('http://reg.example', 'http://reg.example.evil/v2/')).toBeUndefined();
    expect(pathOn('http://reg.example', 'http://user@reg.example/v2/')).toBe('/v2/');
    expect(pathOn('http://reg.example', 'https://reg.example/v2/')).toBeUndefined();
  });
});
