/**
 * stderr for a run that is not on a terminal (a pipe to a CI log, a file).
 * Lines are gathered and written together at most 100 ms apart, or sooner
 * once 64 KiB wait: each write to a pipe is a system call that wakes the
 * reader, so lines are not written one by one. A terminal gets its writes at once (the spinner
 * redraws in place), so it is not wrapped. The owner calls flush() before the
 * process exits; cmd/airlift.ts does so on 'exit', which every way out passes.
 */
import { Writable } from 'node:stream';

export const BATCH_DELAY_MS = 100;
export const BATCH_MAX_BYTES = 64 * 1024;

export class BatchedLines extends Writable {
  private pending: Buffer[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly target: { write(chunk: Buffer): unknown },
    private readonly delayMs = BATCH_DELAY_MS,
    private readonly maxBytes = BATCH_MAX_BYTES,
  ) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.pending.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes >= this.maxBytes) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.delayMs);
      // never what keeps the process alive: the owner flushes at exit
      this.timer.unref();
    }
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.flush();
    cb();
  }

  /** Writes whatever is pending now (synchronously for files and, on Linux, pipes). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.bytes === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.bytes);
    this.pending = [];
    this.bytes = 0;
    this.target.write(data);
  }
}
