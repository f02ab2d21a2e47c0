import { describe, expect, it } from 'vitest';
import { apiHost, isLoopbackHost, normalizeCredentialKey, schemePlan, splitHostPort } from '../../../src/registry/hosts.js';
import { nextLink, parseLinkHeader } from '../../../src/registry/link.js';
import { backoffDelay, isRetryableError, isRetryableStatus, parseRetryAfter, retryPolicy } from '../../../src/registry/retry.js';

describe('Link header', () => {
  it('finds rel="next" and resolves it against the request URL', () => {
    const h = '</v2/app/tags/list?last=v9&n=10>; rel="next"';
    expect(nextLink(h, 'https://r.example/v2/app/tags/list?n=10')).toBe('https://r.example/v2/app/tags/list?last=v9&n=10');
  });
  it('handles several links, unquoted rel, and absent next', () => {
    const links = parseLinkHeader('<https://a/x>; rel=prev, <https://a/y>; rel="next"; title="t"');
    expect(links.map((l) => [l.url, l.params.rel])).toEqual([
      ['https://a/x', 'prev'],
      ['https://a/y', 'next'],
    ]);
    expect(nextLink('<https://a/x>; rel="prev"', 'https://a/')).toBeUndefined();
    expect(nextLink(undefined, 'https://a/')).toBeUndefined();
  });
});

describe('retry policy', () => {
  const p = retryPolicy({ attempts: 4, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 });
  it('retries 408, 429 and 5xx except 501; never other 4xx', () => {
    for (const s of [408, 429, 500, 502, 503, 504]) expect(isRetryableStatus(s)).toBe(true);
    for (const s of [400, 401, 403, 404, 405, 409, 413, 416, 501]) expect(isRetryableStatus(s)).toBe(false);
  });
  it('backs off exponentially with jitter within [ceiling/2, ceiling], bounded by maxDelay', () => {
    expect(backoffDelay(p, 1, undefined, () => 0)).toBe(50);
    expect(backoffDelay(p, 1, undefined, () => 1)).toBe(100);
    expect(backoffDelay(p, 2, undefined, () => 1)).toBe(200);
    expect(backoffDelay(p, 3, undefined, () => 1)).toBe(400);
    const big = retryPolicy({ attempts: 20, baseDelayMs: 100, maxDelayMs: 1000 });
    expect(backoffDelay(big, 15, undefined, () => 1)).toBe(1000);
  });
  it('stops after the attempt limit', () => {
    expect(backoffDelay(p, 4)).toBeUndefined();
    expect(backoffDelay(retryPolicy({ attempts: 1 }), 1)).toBeUndefined();
  });
  it('honours Retry-After, capped', () => {
    expect(backoffDelay(p, 1, 2000)).toBe(2000);
    expect(backoffDelay(p, 1, 60_000)).toBe(5000);
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000 + 4000).toUTCString(), 10_000)).toBe(4000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
  it('recognises transient network errors, also wrapped', () => {
    expect(isRetryableError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryableError(new Error('x', { cause: Object.assign(new Error('y'), { code: 'UND_ERR_SOCKET' }) }))).toBe(true);
    expect(isRetryableError(Object.assign(new Error('x'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }))).toBe(false);
    expect(isRetryableError('nope')).toBe(false);
  });
});

describe('hosts', () => {
  it('detects loopback hosts', () => {
    for (const h of ['127.0.0.1:5000', '127.1.2.3', 'localhost', 'localhost:5000', '[::1]:5000', '::1', 'a.localhost']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['10.0.0.1:5000', 'registry.example', '128.0.0.1', '[::2]:5000', 'localhost.example.com']) expect(isLoopbackHost(h)).toBe(false);
  });
  it('chooses https, http for --plain-http hosts, and http fallback for loopback', () => {
    expect(schemePlan('registry.example', [])).toEqual({ first: 'https', fallbackToHttp: false });
    expect(schemePlan('127.0.0.1:5000', [])).toEqual({ first: 'https', fallbackToHttp: true });
    expect(schemePlan('mirror.lan:5000', ['mirror.lan:5000'])).toEqual({ first: 'http', fallbackToHttp: false });
    expect(schemePlan('mirror.lan:5000', ['mirror.lan'])).toEqual({ first: 'http', fallbackToHttp: false });
    expect(schemePlan('other.lan', ['mirror.lan'])).toEqual({ first: 'https', fallbackToHttp: false });
  });
  it('splits host and port, maps Docker Hub, normalises credential keys', () => {
    expect(splitHostPort('[::1]:5000')).toEqual({ hostname: '::1', port: '5000' });
    expect(splitHostPort('h:1')).toEqual({ hostname: 'h', port: '1' });
    expect(apiHost('docker.io')).toBe('registry-1.docker.io');
    expect(apiHost('quay.io')).toBe('quay.io');
    expect(normalizeCredentialKey('https://index.docker.io/v1/')).toBe('docker.io');
    expect(normalizeCredentialKey('http://h:5000/')).toBe('h:5000');
    expect(normalizeCredentialKey('h:5000/v2')).toBe('h:5000');
  });
});
