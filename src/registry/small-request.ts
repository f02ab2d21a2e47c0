/**
 * Requests whose bodies are in memory and whose answers are small (blob and manifest HEADs, upload
 * POSTs, PUTs and PATCHes of bytes, DELETEs) sent with undici's dispatch() and a handler that
 * gathers the answer, instead of request(), which gives every answer a body stream (a Readable and
 * an AsyncResource) that these callers only dump or read a few bytes of. A sync of 200 small images
 * sends 2,200 such requests; in a fresh process (where a short run spends most of its CPU, before
 * the JIT has warmed up) request() cost about a third more client CPU for them than dispatch().
 *
 * The answer is the one request() gives (status, headers as undici parses them), with a body that
 * offers what callers use of an answer to these requests: dump(), text(), json(), arrayBuffer(),
 * reading it as an async iterable (readCapped), destroy() and on(). Only the first SMALL_ANSWER_CAP
 * bytes of a body are kept: past that the connection is closed, as undici's dump() does for long
 * bodies, and the body holds what came.
 */
import type { Dispatcher } from 'undici';
import type { Undici } from './undici.js';
import { onAbortOf } from '../abort.js';

export const SMALL_ANSWER_CAP = 256 * 1024;

const SMALL_METHODS = new Set(['HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** Whether a request goes through sendSmall: a method whose answer is small and a body in memory (or none). */
export function isSmallRequest(method: string, body: unknown): boolean {
  return SMALL_METHODS.has(method) && (body === null || body === undefined || typeof body === 'string' || body instanceof Uint8Array);
}

/**
 * A whole small answer body, read the ways callers read request()'s body stream. A body that broke
 * off after the headers holds what came and then fails with that error, as the stream would.
 */
class SmallBody {
  constructor(
    private readonly bytes: Buffer,
    private readonly error?: Error,
  ) {}
  async dump(): Promise<void> {}
  private whole(): Buffer {
    if (this.error) throw this.error;
    return this.bytes;
  }
  async text(): Promise<string> {
    return this.whole().toString('utf8');
  }
  async json(): Promise<unknown> {
    return JSON.parse(this.whole().toString('utf8'));
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = this.whole();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    if (this.bytes.length > 0) yield this.bytes;
    if (this.error) throw this.error;
  }
  on(): this {
    return this;
  }
  once(): this {
    return this;
  }
  destroy(): this {
    return this;
  }
}

export interface SmallRequestOptions {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Uint8Array | null;
  signal?: AbortSignal | null;
  /** At most this many bytes of the answer body are kept (default SMALL_ANSWER_CAP). */
  cap?: number;
  /** Told the size of each piece of a 200 or 206 answer's body as it arrives (a stall watch's progress). */
  progress?: (bytes: number) => void;
}

/** One request through `dispatcher.dispatch()`; resolves with the whole answer (rejects as request() does). */
export function sendSmall(u: Undici, dispatcher: Dispatcher, o: SmallRequestOptions): Promise<Dispatcher.ResponseData> {
  const signal = o.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    let abort: ((reason: Error) => void) | undefined;
    let settled = false;
    let statusCode = 0;
    let headers: Record<string, string | string[]> = {};
    const chunks: Buffer[] = [];
    let length = 0;
    const unwatch = signal ? onAbortOf(signal, (reason) => abort?.(reason)) : undefined;
    const cap = o.cap ?? SMALL_ANSWER_CAP;
    let answered = false;
    const settle = (err: Error | undefined): void => {
      if (settled) return;
      settled = true;
      unwatch?.();
      // before the answer: the request failed; after it: its body did (request() puts that error in the body stream)
      if (err && !answered) return reject(err);
      const body = new SmallBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length), err);
      resolve({ statusCode, headers, trailers: {}, opaque: null, context: {}, body } as unknown as Dispatcher.ResponseData);
    };
    const handler = {
      onConnect(a: (reason: Error) => void): void {
        abort = a;
        if (signal?.aborted) a(signal.reason as Error);
      },
      onHeaders(status: number, raw: Buffer[]): boolean {
        if (status < 200) return true; // an informational answer (100 Continue): the final one follows
        statusCode = status;
        headers = u.parseHeaders(raw);
        answered = true;
        return true;
      },
      onData(chunk: Buffer): boolean {
        if (settled) return true;
        if (o.progress && (statusCode === 200 || statusCode === 206)) o.progress(Math.min(chunk.length, cap - length));
        const room = cap - length;
        if (chunk.length >= room) {
          // enough of a body nobody reads whole: keep the cap's worth and close the connection
          chunks.push(chunk.subarray(0, room));
          length += room;
          settle(undefined);
          abort?.(new Error('answer body past the cap: connection closed'));
          return true;
        }
        chunks.push(chunk);
        length += chunk.length;
        return true;
      },
      onComplete(): void {
        settle(undefined);
      },
      onError(err: Error): void {
        settle(err);
      },
      onUpgrade(): void {},
    };
    try {
      dispatcher.dispatch({ method: o.method as Dispatcher.HttpMethod, path: o.path, headers: o.headers, body: o.body, reset: false }, handler as unknown as Dispatcher.DispatchHandler);
    } catch (err) {
      settle(err as Error);
    }
  });
}
