/**
 * Hashing off the main thread: a writer tells one worker thread which byte ranges of an open
 * file hold a blob, as each range is written, and the worker reads them back (from the page
 * cache, moments after the write) and hashes them, while the main thread reads the network.
 * sha256 of 482 MiB is about 0.4 CPU-s, the largest single cost on the main thread of a save;
 * here it runs beside it, and what is hashed is what the file holds.
 *
 * The worker shares the process's file descriptors, so it is given the writer's fd. Its code is
 * given inline (`eval`): it needs nothing but node:crypto and node:fs, and so runs the same from
 * dist/ and from the TypeScript sources under the tests.
 */
import { Worker } from 'node:worker_threads';
import { DigestMismatchError, IoError } from '../errors.js';
import { parseDigest, sizeMismatch, tooManyBytes } from './index.js';

const WORKER_CODE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { readSync } = require('node:fs');
const buf = Buffer.allocUnsafe(1 << 20);
const jobs = new Map();
parentPort.on('message', (m) => {
  const job = jobs.get(m.id);
  if (m.op === 'begin') jobs.set(m.id, { hash: createHash(m.algorithm), error: undefined });
  else if (m.op === 'drop') jobs.delete(m.id);
  else if (m.op === 'range') {
    if (!job || job.error) return;
    try {
      let pos = m.position;
      let left = m.length;
      while (left > 0) {
        const n = readSync(m.fd, buf, 0, Math.min(left, buf.length), pos);
        if (n === 0) throw new Error('the file ends at ' + pos + ', before the bytes written there');
        job.hash.update(buf.subarray(0, n));
        pos += n;
        left -= n;
      }
    } catch (err) {
      job.error = String((err && err.message) || err);
    }
  } else if (m.op === 'digest') {
    jobs.delete(m.id);
    if (!job) parentPort.postMessage({ seq: m.seq, error: 'no such hash' });
    else if (job.error) parentPort.postMessage({ seq: m.seq, error: job.error, read: true });
    else parentPort.postMessage({ seq: m.seq, hex: job.hash.digest('hex') });
  }
});
`;

interface Reply {
  seq: number;
  hex?: string;
  error?: string;
  /** The error is the file's: a read of the written bytes failed or found the file shorter. */
  read?: boolean;
}

/** One worker thread hashing ranges of files for a run; started on first use, stopped by close(). */
export class HashWorker {
  private worker: Worker | undefined;
  private seq = 0;
  private jobs = 0;
  private readonly waiting = new Map<number, { resolve: (hex: string) => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;

  private started(): Worker {
    if (this.failure) throw this.failure;
    if (this.worker) return this.worker;
    // no execArgv of the process (e.g. --input-type=module would make this CommonJS code a module)
    const w = new Worker(WORKER_CODE, { eval: true, execArgv: [] });
    w.on('message', (r: Reply) => {
      const p = this.waiting.get(r.seq);
      this.waiting.delete(r.seq);
      if (this.waiting.size === 0) w.unref();
      if (!p) return;
      if (r.hex !== undefined) p.resolve(r.hex);
      else if (r.read) p.reject(new IoError(`reading back the written bytes to hash them: ${r.error}`));
      else p.reject(new Error(`hashing thread: ${r.error ?? 'no answer'}`));
    });
    const fail = (err: Error): void => {
      this.failure = err;
      if (this.worker === w) this.worker = undefined;
      for (const p of this.waiting.values()) p.reject(err);
      this.waiting.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => {
      if (this.worker === w) fail(new Error(`the hashing thread stopped (exit code ${code})`));
    });
    // the thread keeps the process alive only while a digest is awaited (after the listeners:
    // adding a 'message' listener refs the worker again)
    w.unref();
    this.worker = w;
    return w;
  }

  /** A new hash; its ranges are read and hashed in the order they are sent. */
  begin(algorithm: 'sha256' | 'sha512'): number {
    const id = ++this.jobs;
    this.started().postMessage({ op: 'begin', id, algorithm });
    return id;
  }

  /** Adds `length` bytes of the file `fd` at `position` (already written) to the hash `id`. */
  range(id: number, fd: number, position: number, length: number): void {
    this.started().postMessage({ op: 'range', id, fd, position, length });
  }

  /** The hash's hex digest once every range sent before was hashed. */
  digest(id: number): Promise<string> {
    const w = this.started();
    const seq = ++this.seq;
    return new Promise<string>((resolve, reject) => {
      if (this.waiting.size === 0) w.ref();
      this.waiting.set(seq, { resolve, reject });
      w.postMessage({ op: 'digest', id, seq });
    });
  }

  drop(id: number): void {
    if (this.worker && !this.failure) this.worker.postMessage({ op: 'drop', id });
  }

  /** Stops the thread (after the digests asked for: each answer comes before close() is called). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}

/**
 * DigestCheck's contract for a blob written to a file: update() with each chunk as it arrives
 * (fails at the first byte past the size), written() with each range of the file once it holds
 * the blob's bytes (hashed on the worker), finish() at the end. The errors are DigestCheck's.
 */
export class OffloadedCheck {
  private bytes = 0;
  private readonly job: number;
  private readonly algorithm: 'sha256' | 'sha512';
  private settled = false;

  constructor(
    private readonly worker: HashWorker,
    private readonly fd: number,
    private readonly what: string,
    private readonly expected: string,
    private readonly size: number,
  ) {
    this.algorithm = parseDigest(expected).algorithm;
    this.job = worker.begin(this.algorithm);
  }

  update(chunk: Uint8Array): void {
    this.bytes += chunk.byteLength;
    if (this.bytes > this.size) throw tooManyBytes(this.what, this.size);
  }

  written(position: number, length: number): void {
    if (length > 0) this.worker.range(this.job, this.fd, position, length);
  }

  async finish(): Promise<void> {
    if (this.bytes !== this.size) throw sizeMismatch(this.what, this.size, this.bytes);
    this.settled = true;
    let hex: string;
    try {
      hex = await this.worker.digest(this.job);
    } catch (err) {
      throw err instanceof IoError ? new IoError(`${this.what}: ${err.message}`, { cause: err }) : err;
    }
    const actual = `${this.algorithm}:${hex}`;
    if (actual !== this.expected) throw new DigestMismatchError(this.what, this.expected, actual);
  }

  /** Forgets the hash (the write failed). */
  drop(): void {
    if (!this.settled) this.worker.drop(this.job);
    this.settled = true;
  }
}
