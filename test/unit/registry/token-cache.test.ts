import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { repoScope } from '../../../src/registry/challenge.js';
import { jwtGrantedScopes, TokenCache, tokenDeadline } from '../../../src/registry/token-cache.js';
import { HoldLast } from '../../../src/registry/upload.js';
import { parseOciErrors, readCapped, errorFromStatus } from '../../../src/registry/errors.js';

describe('token cache', () => {
  it('serves covered scope sets until the deadline, then forgets', () => {
    let now = 1000;
    const c = new TokenCache(() => now);
    c.put('h', { token: 't1', scopes: [repoScope('a', 'pull', 'push')], expiresAt: 5000 });
    expect(c.find('h', [repoScope('a', 'pull')])?.token).toBe('t1');
    expect(c.find('h', [repoScope('b', 'pull')])).toBeUndefined();
    expect(c.find('other', [repoScope('a', 'pull')])).toBeUndefined();
    now = 5000;
    expect(c.find('h', [repoScope('a', 'pull')])).toBeUndefined();
  });
  it('invalidates a refused token', () => {
    const c = new TokenCache(() => 0);
    c.put('h', { token: 't1', scopes: [repoScope('a', 'pull')], expiresAt: 10 });
    c.invalidate('h', 't1');
    expect(c.find('h', [repoScope('a', 'pull')])).toBeUndefined();
  });
  it('refreshes early: a quarter of the lifetime, at most 10 s; default lifetime 60 s', () => {
    expect(tokenDeadline(0, 2)).toBe(1500);
    expect(tokenDeadline(0, 300)).toBe(290_000);
    expect(tokenDeadline(0, undefined)).toBe(50_000);
  });
  it('reads granted scopes from a JWT access claim', () => {
    const payload = Buffer.from(JSON.stringify({ access: [{ type: 'repository', name: 'a', actions: ['pull'] }] })).toString('base64url');
    expect(jwtGrantedScopes(`h.${payload}.s`)).toEqual([repoScope('a', 'pull')]);
    expect(jwtGrantedScopes('opaque-token')).toBeUndefined();
  });
});

describe('HoldLast', () => {
  it('passes every chunk in order when upstream ends cleanly', async () => {
    const out: Buffer[] = [];
    await pipeline(Readable.from([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')]), new HoldLast(), new Writable({ write(c: Buffer, _e, cb) { out.push(c); cb(); } }));
    expect(Buffer.concat(out).toString()).toBe('abc');
  });
  it('never releases the last chunk when upstream fails', async () => {
    const out: Buffer[] = [];
    async function* src() {
      yield Buffer.from('a');
      yield Buffer.from('b');
      throw new Error('bad digest');
    }
    await expect(pipeline(Readable.from(src()), new HoldLast(), new Writable({ write(c: Buffer, _e, cb) { out.push(c); cb(); } }))).rejects.toThrow('bad digest');
    expect(Buffer.concat(out).toString()).toBe('a');
  });
});

describe('error mapping', () => {
  it('parses OCI error bodies and maps statuses to the error tree', () => {
    const errs = parseOciErrors(Buffer.from(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] })));
    expect(errs).toEqual([{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }]);
    expect(parseOciErrors(Buffer.from('<html>'))).toEqual([]);
    const ctx = { host: 'h', method: 'GET', url: 'https://h/v2/a/manifests/x?token=sekrit', what: 'manifest h/a:x' };
    expect(errorFromStatus(404, errs, ctx).code).toBe('E_NOT_FOUND');
    expect(errorFromStatus(401, [], ctx).code).toBe('E_AUTH');
    expect(errorFromStatus(403, [], ctx).code).toBe('E_AUTH');
    expect(errorFromStatus(400, [{ code: 'DIGEST_INVALID' }], ctx).code).toBe('E_DIGEST_MISMATCH');
    // refusing verified content on a write is the registry's trouble (concurrent writers), not integrity
    expect(errorFromStatus(400, [{ code: 'DIGEST_INVALID' }], { ...ctx, method: 'PUT' }).code).toBe('E_REGISTRY');
    expect(errorFromStatus(413, [], ctx).code).toBe('E_TOO_LARGE');
    const e = errorFromStatus(500, [], { ...ctx, what: undefined as unknown as string });
    expect(e.code).toBe('E_REGISTRY');
    expect(e.message).not.toContain('sekrit');
  });
  it('reads at most the cap of an error body', async () => {
    const big = Readable.from([Buffer.alloc(40_000), Buffer.alloc(40_000)]);
    const r = await readCapped(big, 64 * 1024);
    expect(r.bytes.length).toBe(64 * 1024);
    expect(r.truncated).toBe(true);
  });
});
