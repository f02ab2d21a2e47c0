/**
 * Retry policy for registry requests: bounded exponential backoff with full
 * jitter on network errors, 5xx and 429 (honouring a capped Retry-After).
 * Pure: the transport asks it what to do; it performs no I/O.
 */

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
}

export function retryPolicy(o: RetryOptions = {}): RetryPolicy {
  return {
    attempts: Math.max(1, Math.floor(o.attempts ?? 4)),
    baseDelayMs: Math.max(0, o.baseDelayMs ?? 200),
    maxDelayMs: Math.max(0, o.maxDelayMs ?? 5000),
    maxRetryAfterMs: Math.max(0, o.maxRetryAfterMs ?? 30_000),
  };
}

/** Statuses that may succeed when tried again. Other 4xx cannot. */
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

/** Whether a thrown error is a transient network failure worth retrying. */
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
