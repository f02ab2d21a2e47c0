/**
 * The one retry module (src/registry/retry.ts): the one predicate, the pauses of a policy, a
 * refused write paced by its own pauses, and the error a loop hands on once it spent its attempts.
 */
import { describe, expect, it } from 'vitest';
import { AirliftError, NetworkError, RegistryError } from '../../../src/errors.js';
import { errorFromStatus, networkError } from '../../../src/registry/errors.js';
import { REJECTION_PAUSES_MS, Retries, fixedPauses, isTemporary, retryAfterOf, retryPolicy } from '../../../src/registry/retry.js';

const ctx = { host: 'reg.example', method: 'GET', url: 'https://reg.example/v2/app/manifests/v1' };
const socket = (code: string): Error => Object.assign(new Error(code), { code });

describe('isTemporary: the verdict of the classification', () => {
  it('429 and 5xx are temporary, other statuses are not', () => {
    for (const s of [408, 429, 500, 502, 503, 504]) expect(isTemporary(errorFromStatus(s, [], ctx)), String(s)).toBe(true);
    for (const s of [400, 401, 403, 404, 405, 413, 501]) expect(isTemporary(errorFromStatus(s, [], ctx)), String(s)).toBe(false);
  });

  it('a write refused the way concurrent writers make distribution refuse it is temporary; the same code on a read is not', () => {
    const refused = errorFromStatus(400, [{ code: 'MANIFEST_BLOB_UNKNOWN' }], { ...ctx, method: 'PUT' });
    expect(isTemporary(refused)).toBe(true);
    expect(isTemporary(errorFromStatus(400, [{ code: 'DIGEST_INVALID' }], { ...ctx, method: 'PUT' }))).toBe(true);
    expect(isTemporary(errorFromStatus(400, [{ code: 'DIGEST_INVALID' }], ctx))).toBe(false);
    expect(isTemporary(errorFromStatus(400, [{ code: 'NAME_INVALID' }], { ...ctx, method: 'PUT' }))).toBe(false);
  });

  it('a socket failure is temporary by its code; TLS and an unknown host are not', () => {
    expect(isTemporary(networkError(socket('ECONNRESET'), ctx))).toBe(true);
    expect(isTemporary(networkError(new Error('x', { cause: socket('UND_ERR_SOCKET') }), ctx))).toBe(true);
    expect(isTemporary(networkError(socket('ERR_TLS_CERT_ALTNAME_INVALID'), ctx))).toBe(false);
    expect(isTemporary(networkError(socket('ENOTFOUND'), ctx))).toBe(false);
    expect(isTemporary(socket('ECONNRESET'))).toBe(true);
    expect(isTemporary(new AirliftError('E_INTERNAL', 'x'))).toBe(false);
    expect(isTemporary('nope')).toBe(false);
  });
});

describe('Retries', () => {
  it('pauses as the policy says, honours Retry-After, and stops after its attempts', () => {
    const tries = new Retries(retryPolicy({ attempts: 3, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 }));
    const e = errorFromStatus(503, [], ctx);
    const first = tries.pause(e)!;
    expect(first).toBeGreaterThanOrEqual(50);
    expect(first).toBeLessThanOrEqual(100);
    expect(tries.pause(e, 2000)).toBe(2000);
    expect(tries.attempt).toBe(3);
    expect(tries.pause(e)).toBeUndefined();
  });

  it('does not pause for what is not temporary, and hands it on unchanged', () => {
    const tries = new Retries(retryPolicy());
    const e = errorFromStatus(404, [], ctx);
    expect(tries.pause(e)).toBeUndefined();
    expect(tries.settle(e)).toBe(e);
  });

  it('hands on a copy that is no longer temporary once its attempts are spent, so no loop above repeats it', () => {
    const tries = new Retries(retryPolicy({ attempts: 2, baseDelayMs: 0 }));
    const e = networkError(socket('ECONNRESET'), ctx);
    expect(tries.pause(e)).toBe(0);
    expect(tries.pause(e)).toBeUndefined();
    const final = tries.settle(e);
    expect(final).toBeInstanceOf(NetworkError);
    expect(final.message).toBe(e.message);
    expect(final.hint).toBe(e.hint);
    expect(isTemporary(final)).toBe(false);
    expect(isTemporary(e)).toBe(true);
    // a second loop (the copy engine's) does not try it again
    expect(new Retries(fixedPauses([200, 400])).pause(final)).toBeUndefined();
  });

  it("paces a refused write by the policy's own pauses (5 attempts over 3.75 s) and names them when it stays refused", () => {
    const tries = new Retries(retryPolicy({ attempts: 2 }));
    const e = errorFromStatus(400, [{ code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown to registry' }], { ...ctx, method: 'PUT' });
    const pauses: number[] = [];
    for (let d = tries.pause(e); d !== undefined; d = tries.pause(e)) pauses.push(d);
    expect(pauses).toEqual([...REJECTION_PAUSES_MS]);
    const final = tries.settle(e) as RegistryError;
    expect(final).toBeInstanceOf(RegistryError);
    expect(final.temporary).toBe(false);
    expect(final.status).toBe(400);
    expect(final.message).toMatch(/MANIFEST_BLOB_UNKNOWN.*still refused after 5 attempts over 3\.75 s$/);
  });

  it('a policy of fixed pauses (the copy engine, the blob resume) takes a refused write at its own pace', () => {
    const tries = new Retries(fixedPauses([200, 400]));
    const e = errorFromStatus(400, [{ code: 'DIGEST_INVALID' }], { ...ctx, method: 'PUT' });
    expect([tries.pause(e), tries.pause(e), tries.pause(e)]).toEqual([200, 400, undefined]);
    expect(tries.settle(e).message).not.toMatch(/still refused/);
  });

  it("the caller's own verdict decides where it knows more than the error", () => {
    const tries = new Retries(fixedPauses([200]));
    const mismatch = new AirliftError('E_DIGEST_MISMATCH', 'x');
    expect(tries.pause(mismatch)).toBeUndefined();
    expect(tries.pause(mismatch, undefined, true)).toBe(200);
  });

  it('restart counts again from the first attempt; an aborted signal stops at once', () => {
    const tries = new Retries(retryPolicy({ attempts: 2, baseDelayMs: 0 }));
    const e = errorFromStatus(502, [], ctx);
    expect(tries.pause(e)).toBe(0);
    tries.restart();
    expect(tries.pause(e)).toBe(0);
    const ac = new AbortController();
    ac.abort();
    expect(new Retries(retryPolicy(), ac.signal).pause(e)).toBeUndefined();
  });

  it('reads Retry-After from response headers', () => {
    expect(retryAfterOf({ headers: { 'retry-after': '2' } })).toBe(2000);
    expect(retryAfterOf({ headers: { 'retry-after': ['1', '9'] } })).toBe(1000);
    expect(retryAfterOf({ headers: {} })).toBeUndefined();
  });
});
