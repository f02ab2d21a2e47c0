/**
 * A memo of the most recent answers by key, for what the copy engine asks once per key while it
 * is likely to be asked again soon: the platform of an image config (images sharing a config), and
 * whether a destination repository was new (images into the same repository). At most `keep` are
 * held, the oldest going first, so a run of any length holds a bounded number; an answer gone is
 * asked again (a small blob read, or one request), never answered wrong. A question in flight is
 * shared. Unbounded, these held an entry per image (or repository) to the end of the run.
 */
export class RecentMemo<T> {
  private readonly known = new Map<string, Promise<T>>();
  constructor(readonly keep = 1024) {}

  get size(): number {
    return this.known.size;
  }
  get(key: string, ask: () => Promise<T>): Promise<T> {
    const had = this.known.get(key);
    if (had) return had;
    const p = ask();
    this.known.set(key, p);
    // the oldest go first (a Map iterates in insertion order)
    for (const old of this.known.keys()) {
      if (this.known.size <= this.keep) break;
      this.known.delete(old);
    }
    return p;
  }
}
