/**
 * A bounded cache of what a pure function made of a text, keyed by the text itself: the scan
 * parses the same values files, templates and rendered documents again wherever a chart, a
 * subchart or a copy of a chart repeats them. Least recently used entries go first once the
 * texts held pass `maxChars`; a text over `maxEntryChars` is not kept. Callers that hand out
 * mutable results give each caller its own copy.
 */
export class TextCache<V> {
  private readonly entries = new Map<string, V>();
  private chars = 0;

  constructor(
    private readonly maxChars: number,
    private readonly maxEntryChars: number,
  ) {}

  get(text: string): V | undefined {
    const v = this.entries.get(text);
    if (v === undefined) return undefined;
    // most recently used last
    this.entries.delete(text);
    this.entries.set(text, v);
    return v;
  }

  set(text: string, v: V): void {
    if (text.length > this.maxEntryChars || this.entries.has(text)) return;
    this.entries.set(text, v);
    this.chars += text.length;
    for (const k of this.entries.keys()) {
      if (this.chars <= this.maxChars) break;
      this.entries.delete(k);
      this.chars -= k.length;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
