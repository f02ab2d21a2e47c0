/**
 * Retry, written once. Every loop that tries something again (the request layer, the /v2/ ping
 * and token realm requests, a manifest write refused for a moment, a blob download resumed with
 * Range, the copy engine's blob transfer) asks one predicate, `isTemporary`, and counts its
 * attempts and pauses with `Retries` under a `RetryPolicy`: bounded exponential backoff with
 * jitter honouring a capped Retry-After, or a fixed list of pauses.
 *
 * What is temporary is decided once, where a failure is classified (src/registry/errors.ts: a
 * 429 or 5xx, a write refused the way concurrent writers make distribution refuse it, a socket
 * failure with a transient code), and carried by the error's `temporary` flag. A loop that spends
 * its attempts on a temporary error hands on a copy that is no longer temporary, so no loop above
 * it repeats what was repeated already.
 */
import { NetworkError, RegistryError } from '../errors.js';

export interface RetryOptions {
  /** Total attempts including the first (default 4). */
  attempts?: number;
  /** First backoff in ms (default 200). */
  baseDelayMs?: number;
  /** Largest backoff in ms (default 5000). */
  maxDelayMs?: number;
  /** Largest Retry-After we wait for, in ms (default 30000). */
  maxRetryAfterMs?: number;
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
  /** Fixed pauses before the second, third, … attempt instead of backoff (attempts = pauses + 1). */
  pausesMs?: readonly number[];
  /** How a write refused for a moment is retried (the request layer's policy: REJECTION_PAUSES_MS). */
  rejections?: RetryPolicy;
}

/** A policy of fixed pauses: as many attempts as pauses + 1, Retry-After not consulted. */
export function fixedPauses(pausesMs: readonly number[]): RetryPolicy {
  return { attempts: pausesMs.length + 1, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0, pausesMs };
}

/**
 * A write distribution refuses for a moment while another writer pushes the same content
 * (MANIFEST_BLOB_UNKNOWN, DIGEST_INVALID, …): the other writer needs time to finish, so these
 * pauses are longer than the backoff for an outage: 5 attempts over 3.75 s.
 */
export const REJECTION_PAUSES_MS = [250, 500, 1000, 2000] as const;

export function retryPolicy(o: RetryOptions = {}): RetryPolicy {
  return {
    attempts: Math.max(1, Math.floor(o.attempts ?? 4)),
    baseDelayMs: Math.max(0, o.baseDelayMs ?? 200),
    maxDelayMs: Math.max(0, o.maxDelayMs ?? 5000),
    maxRetryAfterMs: Math.max(0, o.maxRetryAfterMs ?? 30_000),
    rejections: fixedPauses(REJECTION_PAUSES_MS),
  };
}

/** Statuses that may succeed when tried again (for the classification in errors.ts). Other 4xx cannot. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** Whether a socket error carries a transient code (for the classification of network errors). */
export function isRetryableError(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && RETRYABLE_CODES.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Parses Retry-After (delta-seconds or an HTTP date) into milliseconds from
 * `now`; undefined when absent or malformed.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

/**
 * Delay before attempt number `attempt + 1` (attempt counts from 1), or
 * undefined when no attempt is left. `random` is injectable for tests.
 */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number | undefined {
  if (attempt >= policy.attempts) return undefined;
  if (policy.pausesMs) return policy.pausesMs[attempt - 1];
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxRetryAfterMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // "equal jitter": at least half the ceiling, so retries never hammer.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The one predicate: whether trying again may give another answer. Registry and network errors
 * carry the verdict of their classification (their `temporary` flag); any other error thrown
 * by a socket is temporary when it carries a transient code.
 */
export function isTemporary(err: unknown): boolean {
  if (err instanceof RegistryError || err instanceof NetworkError) return err.temporary;
  return isRetryableError(err);
}

/** A write refused for a moment (a 400 classified temporary): waited for with REJECTION_PAUSES_MS. */
function isRejection(err: unknown): err is RegistryError {
  return err instanceof RegistryError && err.temporary && err.status === 400;
}

/** Parses Retry-After of a response's headers (see parseRetryAfter). */
export function retryAfterOf(res: { headers: Record<string, string | string[] | undefined> }): number | undefined {
  const v = res.headers['retry-after'];
  return parseRetryAfter(Array.isArray(v) ? v[0] : v);
}

/**
 * The attempts of one operation under a policy. `pause(err)` says how long to wait before the
 * next attempt, or undefined when the error is not temporary or the attempts are spent;
 * `settle(err)` is then the error to report. A refused write is paced by the policy's
 * `rejections` when it has one (see REJECTION_PAUSES_MS).
 */
export class Retries {
  /** The attempt under way, from 1. */
  attempt = 1;
  private spent = false;
  private waitedMs = 0;
  constructor(
    private readonly policy: RetryPolicy,
    private readonly signal?: AbortSignal,
  ) {}

  /**
   * `temporary` is the caller's own verdict where it knows more than the error (the copy engine:
   * a digest mismatch read from a source that may serve other bytes next time).
   */
  pause(err: unknown, retryAfterMs?: number, temporary: boolean = isTemporary(err)): number | undefined {
    if (this.signal?.aborted || !temporary) return undefined;
    const d = backoffDelay((isRejection(err) && this.policy.rejections) || this.policy, this.attempt, retryAfterMs);
    if (d === undefined) {
      this.spent = true;
      return undefined;
    }
    this.attempt++;
    this.waitedMs += d;
    return d;
  }

  /** pause() and, when there is a next attempt, the wait before it; false: report settle(err). */
  async again(err: unknown, retryAfterMs?: number): Promise<boolean> {
    const d = this.pause(err, retryAfterMs);
    if (d === undefined) return false;
    await sleep(d, this.signal);
    return true;
  }

  wait(ms: number): Promise<void> {
    return sleep(ms, this.signal);
  }

  /** Counting starts again (a redirect to another URL is a new request). */
  restart(): void {
    this.attempt = 1;
    this.spent = false;
    this.waitedMs = 0;
  }

  /**
   * The error to report after the last attempt: when this loop spent its attempts on a temporary
   * error, a copy that is no longer temporary (a refused write also says how long it was refused).
   */
  settle<E>(err: E): E {
    if (!this.spent || !(err instanceof RegistryError || err instanceof NetworkError)) return err;
    const copy = Object.create(Object.getPrototypeOf(err) as object) as RegistryError | NetworkError;
    Object.defineProperties(copy, Object.getOwnPropertyDescriptors(err));
    Object.defineProperty(copy, 'temporary', { value: false, enumerable: true, writable: false, configurable: true });
    if (isRejection(err) && this.policy.rejections) copy.message = `${err.message}; still refused after ${this.attempt} attempts over ${this.waitedMs / 1000} s`;
    return copy as E;
  }
}
