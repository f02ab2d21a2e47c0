/**
 * The read buffers of served blobs, reused. Every chunk of a whole blob is
 * read into a buffer from here and given back once the socket has taken it
 * (the write's callback), so serving allocates only as many buffers as are
 * in flight at once, not one per chunk: a fresh malloc'd buffer per 64 KiB
 * chunk left the allocator's heap at the high-water mark of live chunks plus
 * the dead ones not yet collected (issue #16 item 11: 250 slow clients of a
 * 32 MiB blob left ~120 MiB that was never given back to the system).
 * What the pool keeps is bounded (`keep` buffers); past that a buffer given
 * back is left to the garbage collector.
 */
export class ChunkPool {
  private readonly free = new Set<Buffer>();
  /** The whole buffer behind each buffer (or the part of one) handed out. */
  private readonly owner = new WeakMap<ArrayBufferLike, Buffer>();

  constructor(
    readonly size: number,
    readonly keep: number,
  ) {}

  /** A buffer of n bytes (n ≤ size): a part of a pooled one. */
  take(n: number): Buffer {
    if (n > this.size) return Buffer.allocUnsafeSlow(n);
    let whole: Buffer | undefined = this.free.values().next().value;
    if (whole) this.free.delete(whole);
    else {
      whole = Buffer.allocUnsafeSlow(this.size);
      this.owner.set(whole.buffer, whole);
    }
    return n === this.size ? whole : whole.subarray(0, n);
  }

  /** Gives back a buffer from take() that nothing holds any more; any other buffer is ignored. */
  give(b: Buffer): void {
    const whole = this.owner.get(b.buffer);
    if (whole === undefined || this.free.size >= this.keep) return;
    this.free.add(whole);
  }

  /** Buffers kept for reuse. */
  get kept(): number {
    return this.free.size;
  }
}
