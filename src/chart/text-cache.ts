/**
 * A bounded cache of what a pure function made of a text, keyed by the text itself: the scan
 * parses the same values files, templates and rendered documents again wherever a chart, a
 * subchart or a copy of a chart repeats them. Least recently used entries go first once the
 * texts held pass `maxChars`; a text over `maxEntryChars` is not kept. Callers that hand out
 * mutable results give each caller its own copy. (A key that stands for a text, a digest, gives
 * the text's size to `set`.)
 */
import { createHash } from 'node:crypto';

export class TextCache<V> {
  private readonly entries = new Map<string, { v: V; size: number }>();
  private chars = 0;

  constructor(
    private readonly maxChars: number,
    private readonly maxEntryChars: number,
  ) {}

  get(text: string): V | undefined {
    const e = this.entries.get(text);
    if (e === undefined) return undefined;
    // most recently used last
    this.entries.delete(text);
    this.entries.set(text, e);
    return e.v;
  }

  set(text: string, v: V, size = text.length): void {
    if (size > this.maxEntryChars || this.entries.has(text)) return;
    this.entries.set(text, { v, size });
    this.chars += size;
    for (const [k, e] of this.entries) {
      if (this.chars <= this.maxChars) break;
      this.entries.delete(k);
      this.chars -= e.size;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Chart files decoded once per content: the text of a file's bytes, kept by their sha256 (which
 * the render cache's key takes instead of the text). Every copy of a chart then shares one string
 * per file, a copy's decode makes no megabytes of garbage, and the caches keyed by text find the
 * same string object (compared by pointer, not by content). Bounded by the characters kept, least
 * recently used out first; a text over 4 Mi characters is decoded each time and not kept.
 */
const decoded = new TextCache<string>(16 * 1024 * 1024, 4 * 1024 * 1024);

export function decodeFile(bytes: Uint8Array): { text: string; digest: string } {
  const digest = createHash('sha256').update(bytes).digest('base64');
  const hit = decoded.get(digest);
  if (hit !== undefined) return { text: hit, digest };
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  decoded.set(digest, text, text.length);
  return { text, digest };
}

/**
 * A JSON text of `v` that throws where JSON would make two different values one, for keys of
 * what is made from values: only plain maps, lists, strings, booleans, null and finite numbers
 * (not -0) pass; undefined, functions, NaN, a bigint or an object of another kind (a Date, whose
 * toJSON would make it a string) throw. Each value is looked at as it is, before any toJSON.
 */
export function exactJson(v: unknown): string {
  return JSON.stringify(v, function (this: Record<string, unknown>, k: string, x: unknown) {
    const raw = this[k];
    if (raw === undefined || typeof raw === 'function' || typeof raw === 'symbol' || typeof raw === 'bigint') throw new Error('not exact');
    if (typeof raw === 'number' && (!Number.isFinite(raw) || Object.is(raw, -0))) throw new Error('not exact');
    if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
      const proto = Object.getPrototypeOf(raw) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new Error('not exact');
    }
    return x;
  });
}
