/**
 * Reading stdin whole: rendered manifests (`helm template … | airlift images -`)
 * and passwords (`--password-stdin`). Bounded, and Ctrl-C while it waits for
 * input stops the read with the signal's reason instead of waiting for EOF.
 */
import type { Readable } from 'node:stream';
import { registerSecret, TooLargeError, UsageError, type AirliftError } from './errors.js';

export interface ReadTextOptions {
  /** Most bytes accepted. */
  max: number;
  /** The error when more than `max` bytes arrive. */
  tooLarge: () => AirliftError;
  signal?: AbortSignal;
}

export async function readText(stream: Readable, o: ReadTextOptions): Promise<string> {
  const { signal } = o;
  signal?.throwIfAborted();
  const chunks: Buffer[] = [];
  let size = 0;
  const onAbort = (): void => void stream.destroy(signal?.reason as Error);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const c of stream) {
      const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
      size += b.length;
      if (size > o.max) throw o.tooLarge();
      chunks.push(b);
    }
  } catch (err) {
    throw signal?.aborted ? signal.reason : err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const MAX_PASSWORD = 64 * 1024;

/**
 * A password from stdin for `--password-stdin`: one trailing newline dropped,
 * never empty, and registered for redaction from every message.
 */
export async function readPassword(stream: Readable, o: { signal?: AbortSignal; hint: string }): Promise<string> {
  const text = await readText(stream, {
    max: MAX_PASSWORD,
    tooLarge: () => new UsageError('--password-stdin: more than 64 KiB on stdin', { hint: 'pipe only the password' }),
    signal: o.signal,
  });
  const password = text.replace(/\r?\n$/, '');
  if (password === '') throw new UsageError('--password-stdin: stdin is empty', { hint: o.hint });
  registerSecret(password);
  return password;
}

/** Most bytes of rendered manifests read from stdin (`airlift images -`). */
export const MAX_MANIFESTS_STDIN = 256 * 1024 * 1024;

/** The rendered manifests on stdin when the chart arguments name "-" (once at most); undefined when none does. */
export async function manifestsFromStdin(charts: readonly string[], stdin: Readable, signal?: AbortSignal): Promise<string | undefined> {
  if (charts.filter((c) => c === '-').length > 1) throw new UsageError('"-" (stdin) can be given only once');
  if (!charts.includes('-')) return undefined;
  return readText(stdin, {
    max: MAX_MANIFESTS_STDIN,
    tooLarge: () => new TooLargeError(`stdin: more than ${MAX_MANIFESTS_STDIN} bytes of manifests`),
    ...(signal ? { signal } : {}),
  });
}
