import { describe, expect, it } from 'vitest';
import { pathOn, resolveOn, urlOn, withQueryParam } from '../../../src/registry/url.js';

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

describe('resolveOn', () => {
  it('gives what new URL(location, base).toString() gives, for bases as the parser writes them', () => {
    const locations = [...PATHS, ...ORIGINS.flatMap((o) => PATHS.filter((p) => p.startsWith('/') && !p.startsWith('//')).map((p) => o + p)), 'HTTP://127.0.0.1:5000/v2/x', 'http://127.0.0.1:5000/v2/a/../b?x=1', 'http://u:p@127.0.0.1:5000/v2/x'];
    for (const origin of [...ORIGINS, 'http://u:p@127.0.0.1:5000']) {
      for (const b of ['/v2/a/blobs/uploads/', '/v2/a/blobs/uploads/?mount=sha256%3A00&from=b', '/']) {
        const base = new URL(b, origin).toString();
        for (const loc of locations) expect(resolveOn(base, loc), `${base} + ${JSON.stringify(loc)}`).toBe(new URL(loc, base).toString());
      }
    }
  });
});

describe('withQueryParam', () => {
  it('gives what URLSearchParams#set gives, appended or through the parser', () => {
    const queries = [
      '',
      '?',
      '?_state=abc_-def%3D%3D',
      '?_state=a=b==',
      '?_state=abc&digest=sha256%3A00',
      '?a=1&&b=2',
      '?a',
      '?a=%41',
      '?a=%20',
      '?a=+',
      '?a=%7e',
      '?a=%7E',
      '?a=~',
      '?a=%C3%A9',
      '?a=%FF',
      '?a=*-._',
      '?a=1#f',
      '?a=1&b=%2F%3A',
      '?dige%73t=1',
    ];
    const values = ['sha256:0123456789abcdef', 'sha512:AB+cd=ef', 'a b', 'é', ''];
    for (const origin of ORIGINS) {
      for (const q of queries) {
        const url = new URL(`/v2/a/blobs/uploads/6d2f${q}`, origin).toString();
        for (const v of values) {
          for (const name of ['digest', 'a', 'x y']) {
            const u = new URL(url);
            u.searchParams.set(name, v);
            expect(withQueryParam(url, name, v), `${url} ${name}=${v}`).toBe(u.toString());
          }
        }
      }
    }
  });
});
