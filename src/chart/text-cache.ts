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

  /** Removes `text`'s entry and gives its value back (undefined when there was none). */
  delete(text: string): V | undefined {
    const e = this.entries.get(text);
    if (e === undefined) return undefined;
    this.entries.delete(text);
    this.chars -= e.size;
    return e.v;
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Chart files decoded once per content: the text of a file's bytes and their sha256 (which the
 * render cache's key takes instead of the text). Every copy of a chart then shares one string
 * per file, a copy's decode makes no megabytes of garbage, and the caches keyed by text find the
 * same string object (compared by pointer, not by content). A file is looked up by its size and
 * a few of its bytes, and a hit is only a file whose bytes are equal to the kept text encoded
 * again as UTF-8 (into one reused buffer: the bytes themselves are not kept); a file is kept only
 * where that encoding gives its bytes back, so equal means equal to the first file's bytes. This
 * compare costs about a quarter of the sha256 it replaces: the 190 copies of the bench's `images`
 * case are 160 MB of files, which sha256 took about 0.2 CPU-s to hash again. A file seen for the
 * first time is hashed and decoded. Bounded by the characters kept, least recently used out
 * first; a file over 4 Mi bytes is decoded and hashed each time and not kept.
 */
interface DecodedFile {
  text: string;
  digest: string;
}
const DECODED_MAX_CHARS = 16 * 1024 * 1024;
const DECODED_MAX_ENTRY = 4 * 1024 * 1024;
/** By printOf: the files of one print (more than one only where different bytes share it). */
const decoded = new TextCache<DecodedFile[]>(DECODED_MAX_CHARS, DECODED_MAX_ENTRY);
/** Where kept texts are encoded again to be compared (grown to the largest file looked up). */
let scratch: Buffer | undefined;

/** The lookup key of a file's bytes: its size and up to 16 bytes at its start, middle and end. */
function printOf(b: Buffer): string {
  const n = b.length;
  if (n <= 48) return `${n}:${b.toString('latin1')}`;
  const mid = n >>> 1;
  return `${n}:${b.toString('latin1', 0, 16)}${b.toString('latin1', mid - 8, mid + 8)}${b.toString('latin1', n - 16, n)}`;
}

/** Whether `text` encoded as UTF-8 is exactly `bytes`. */
function encodesTo(text: string, bytes: Buffer): boolean {
  if (scratch === undefined || scratch.length < bytes.length + 4) scratch = Buffer.allocUnsafeSlow(Math.max(64 * 1024, 2 ** Math.ceil(Math.log2(bytes.length + 4))));
  const n = scratch.write(text, 0, 'utf8');
  return n === bytes.length && bytes.equals(scratch.subarray(0, n));
}

export function decodeFile(bytes: Uint8Array): { text: string; digest: string } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length > DECODED_MAX_ENTRY) return { text: buf.toString('utf8'), digest: createHash('sha256').update(buf).digest('base64') };
  const print = printOf(buf);
  const list = decoded.get(print);
  if (list !== undefined) for (const e of list) if (encodesTo(e.text, buf)) return { text: e.text, digest: e.digest };
  const entry: DecodedFile = { text: buf.toString('utf8'), digest: createHash('sha256').update(buf).digest('base64') };
  // (bytes that are not UTF-8 decode to a text that encodes to other bytes: not kept)
  if (!encodesTo(entry.text, buf)) return entry;
  const kept = list === undefined ? [entry] : [...decoded.delete(print)!, entry];
  decoded.set(print, kept, kept.reduce((n, e) => n + e.text.length, 0));
  return { ...entry };
}

/**
 * A JSON text of `v` that throws where JSON would make two different values one, for keys of
 * what is made from values: only plain maps, lists, strings, booleans, null and finite numbers
 * (not -0) pass; undefined, functions, NaN, a bigint or an object of another kind (a Date, whose
 * toJSON would make it a string) throw. Each value is looked at as it is, before any toJSON.
 */
export function exactJson(v: unknown): string {
  // checked by a walk, then printed by JSON.stringify without a replacer (its fast path: a
  // replacer function made it a call into JS for every key and value)
  if (!exactValue(v, 0)) throw new Error('not exact');
  return JSON.stringify(v);
}

/** Whether JSON prints `v` as exactly itself (see exactJson); deeper than 1,000 levels: no. */
function exactValue(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0);
    case 'object': {
      if (v === null) return true;
      if (depth > 1000) return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!exactValue(v[i], depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) return false;
      for (const k of Object.keys(v)) if (!exactValue((v as Record<string, unknown>)[k], depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}
