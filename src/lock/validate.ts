/**
 * Validation of an airlift.lock.json document (pure). Every problem is an
 * InputError naming the file and the field ("mirror.lock.json: images[3].digest: ...").
 * Fields this version does not know are kept as they are, so that a lock written
 * by a newer airlift survives a merge.
 */
import { AirliftError, InputError } from '../errors.js';
import { parseDigest } from '../digest/index.js';
import { LOCK_VERSION, type Lock, type LockChart, type LockImage } from './types.js';

type Obj = Record<string, unknown>;

class Checker {
  constructor(readonly file: string) {}

  fail(field: string, problem: string): never {
    throw new InputError(`${this.file}: ${field}: ${problem}`, {
      hint: `fix ${field} in ${this.file}, or write the lock again with airlift (save, load --lock-out or sync --lock-out)`,
    });
  }

  object(v: unknown, field: string): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, `expected an object, got ${describe(v)}`);
    return v as Obj;
  }

  string(o: Obj, key: string, field: string, optional = false): string | undefined {
    const v = o[key];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'string' || v === '') this.fail(`${field}.${key}`.replace(/^\./, ''), `expected a non-empty string, got ${describe(v)}`);
    return v;
  }

  digest(o: Obj, key: string, field: string, optional = false): string | undefined {
    const v = this.string(o, key, field, optional);
    if (v === undefined) return undefined;
    try {
      parseDigest(v);
    } catch (e) {
      this.fail(`${field}.${key}`, e instanceof AirliftError ? e.message : String(e));
    }
    return v;
  }

  /** A byte count: a whole number, 0 or more. */
  size(o: Obj, key: string, field: string): void {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) this.fail(`${field}.${key}`, `expected a whole number of bytes, got ${describe(v)}`);
  }

  array(o: Obj, key: string, field: string): unknown[] {
    const v = o[key];
    if (!Array.isArray(v)) this.fail(`${field}.${key}`.replace(/^\./, ''), `expected an array, got ${describe(v)}`);
    return v;
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (the field is missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  const s = JSON.stringify(v);
  return `${typeof v} ${s.length > 60 ? `${s.slice(0, 57)}...` : s}`;
}

function validateImage(c: Checker, raw: unknown, field: string): LockImage {
  const o = c.object(raw, field);
  c.string(o, 'source', field);
  c.string(o, 'destination', field, true);
  c.digest(o, 'digest', field);
  c.string(o, 'mediaType', field);
  c.size(o, 'size', field);
  const platforms = c.array(o, 'platforms', field);
  platforms.forEach((p, i) => {
    if (typeof p !== 'string' || !/^[^/\s]+\/[^/\s]+(\/[^/\s]+)?$/.test(p)) {
      c.fail(`${field}.platforms[${i}]`, `expected "os/arch[/variant]", got ${describe(p)}`);
    }
  });
  if (o.filtered !== undefined) {
    const f = c.object(o.filtered, `${field}.filtered`);
    c.digest(f, 'sourceDigest', `${field}.filtered`);
    if (typeof f.note !== 'string') c.fail(`${field}.filtered.note`, `expected a string, got ${describe(f.note)}`);
  }
  if (o.referrers !== undefined) {
    c.array(o, 'referrers', field).forEach((r, i) => {
      const at = `${field}.referrers[${i}]`;
      const e = c.object(r, at);
      c.digest(e, 'subject', at);
      c.digest(e, 'digest', at);
      c.string(e, 'mediaType', at);
      c.size(e, 'size', at);
      c.string(e, 'artifactType', at, true);
      c.string(e, 'tag', at, true);
    });
  }
  return o as unknown as LockImage;
}

function validateChart(c: Checker, raw: unknown, field: string): LockChart {
  const o = c.object(raw, field);
  c.string(o, 'name', field);
  c.string(o, 'version', field);
  c.string(o, 'file', field, true);
  c.digest(o, 'digest', field, true);
  c.string(o, 'destination', field, true);
  if (o.packaging !== undefined && o.packaging !== 'fetched' && o.packaging !== 'packaged') c.fail(`${field}.packaging`, `expected "fetched" or "packaged", got ${describe(o.packaging)}`);
  c.string(o, 'source', field, true);
  c.digest(o, 'sourceDigest', field, true);
  if (o.prov !== undefined) {
    const p = c.object(o.prov, `${field}.prov`);
    c.string(p, 'file', `${field}.prov`);
    c.digest(p, 'digest', `${field}.prov`);
  }
  return o as unknown as LockChart;
}

function validateFile(c: Checker, raw: unknown, field: string): void {
  const o = c.object(raw, field);
  c.string(o, 'file', field);
  c.digest(o, 'digest', field);
  c.size(o, 'size', field);
}

function validateDigests(c: Checker, o: Obj, key: string, field: string): void {
  c.array(o, key, field).forEach((d, i) => {
    const at = `${field ? `${field}.` : ''}${key}[${i}]`;
    try {
      if (typeof d !== 'string') throw new InputError(`expected a digest, got ${describe(d)}`);
      parseDigest(d);
    } catch (e) {
      c.fail(at, e instanceof AirliftError ? e.message : String(e));
    }
  });
}

function validateBase(c: Checker, raw: unknown): void {
  const o = c.object(raw, 'base');
  c.string(o, 'file', 'base');
  c.digest(o, 'sha256', 'base', true);
  c.digest(o, 'lock', 'base');
  c.array(o, 'images', 'base').forEach((img, i) => {
    const e = c.object(img, `base.images[${i}]`);
    c.string(e, 'source', `base.images[${i}]`);
    c.digest(e, 'digest', `base.images[${i}]`);
  });
  validateDigests(c, o, 'blobs', 'base');
  validateDigests(c, o, 'omitted', 'base');
}

function validateMissing(c: Checker, raw: unknown, field: string): void {
  const o = c.object(raw, field);
  c.string(o, 'source', field);
  c.string(o, 'code', field);
  c.string(o, 'message', field);
}

/** Validates a parsed lock document; `file` names it in errors. Returns it typed (unknown fields kept). */
export function validateLock(doc: unknown, file: string): Lock {
  const c = new Checker(file);
  const o = c.object(doc, '(top level)');
  if (o.version !== LOCK_VERSION) {
    c.fail('version', `expected ${LOCK_VERSION}, got ${describe(o.version)}${typeof o.version === 'number' && o.version > LOCK_VERSION ? ' (written by a newer airlift; upgrade airlift)' : ''}`);
  }
  c.string(o, 'generator', '');
  c.string(o, 'target', '', true);
  c.array(o, 'images', '').forEach((img, i) => validateImage(c, img, `images[${i}]`));
  // Older or hand-written locks may omit charts; treat that as none.
  if (o.charts === undefined) o.charts = [];
  c.array(o, 'charts', '').forEach((ch, i) => validateChart(c, ch, `charts[${i}]`));
  if (o.files !== undefined) c.array(o, 'files', '').forEach((f, i) => validateFile(c, f, `files[${i}]`));
  if (o.blobs !== undefined) validateDigests(c, o, 'blobs', '');
  if (o.base !== undefined) validateBase(c, o.base);
  if (o.missing !== undefined) c.array(o, 'missing', '').forEach((m, i) => validateMissing(c, m, `missing[${i}]`));
  return o as unknown as Lock;
}

/** Parses and validates lock text. */
export function parseLock(text: string, file: string): Lock {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${e instanceof Error ? e.message : String(e)})`, {
      hint: `${file} should be an airlift lock file (airlift.lock.json) as written by save, load --lock-out or sync --lock-out`,
    });
  }
  return validateLock(doc, file);
}

// ------------------------------------------------------------ canonical form

const TOP_ORDER = ['version', 'generator', 'target', 'charts', 'images', 'missing', 'files', 'base', 'blobs'];
const BASE_ORDER = ['file', 'sha256', 'lock', 'images', 'blobs', 'omitted'];
const MISSING_ORDER = ['source', 'code', 'message'];
const FILE_ORDER = ['file', 'digest', 'size'];
const IMAGE_ORDER = ['source', 'destination', 'digest', 'mediaType', 'size', 'platforms', 'filtered', 'referrers'];
const REFERRER_ORDER = ['subject', 'tag', 'digest', 'mediaType', 'size', 'artifactType'];
const CHART_ORDER = ['name', 'version', 'file', 'digest', 'packaging', 'source', 'sourceDigest', 'prov', 'destination'];
const FILTERED_ORDER = ['sourceDigest', 'note'];

/** Copies `o` with the known keys first in `order`, then any other keys sorted; drops undefined values. */
function ordered(o: Obj, order: string[]): Obj {
  const out: Obj = {};
  for (const k of order) if (o[k] !== undefined) out[k] = o[k];
  for (const k of Object.keys(o).filter((k) => !order.includes(k)).sort()) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

function cmp(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

export function compareImages(a: LockImage, b: LockImage): number {
  return cmp(a.source, b.source) || cmp(a.destination, b.destination) || cmp(a.digest, b.digest);
}

/** The lock in its canonical form: stable key order, images sorted by source, charts by name and version. */
export function canonicalLock(lock: Lock): Lock {
  const images = [...lock.images].sort(compareImages).map((img) => {
    const o = ordered(img as unknown as Obj, IMAGE_ORDER);
    if (img.filtered) o.filtered = ordered(img.filtered as unknown as Obj, FILTERED_ORDER);
    if (img.referrers) {
      o.referrers = [...img.referrers].sort((a, b) => cmp(a.subject, b.subject) || cmp(a.tag, b.tag) || cmp(a.digest, b.digest)).map((r) => ordered(r as unknown as Obj, REFERRER_ORDER));
    }
    o.platforms = [...img.platforms].sort();
    return o;
  });
  const charts = [...lock.charts]
    .sort((a, b) => cmp(a.name, b.name) || cmp(a.version, b.version) || cmp(a.destination, b.destination))
    .map((ch) => ordered(ch as unknown as Obj, CHART_ORDER));
  const files = lock.files && [...lock.files].sort((a, b) => cmp(a.file, b.file)).map((f) => ordered(f as unknown as Obj, FILE_ORDER));
  const blobs = lock.blobs && [...new Set(lock.blobs)].sort();
  const base =
    lock.base &&
    ordered(
      {
        ...(lock.base as unknown as Obj),
        images: [...lock.base.images].sort((a, b) => cmp(a.source, b.source) || cmp(a.digest, b.digest)).map((i) => ({ source: i.source, digest: i.digest })),
        blobs: [...new Set(lock.base.blobs)].sort(),
        omitted: [...new Set(lock.base.omitted)].sort(),
      },
      BASE_ORDER,
    );
  const missing = lock.missing && [...lock.missing].sort((a, b) => cmp(a.source, b.source)).map((m) => ordered(m as unknown as Obj, MISSING_ORDER));
  return ordered({ ...(lock as unknown as Obj), charts, images, files, blobs, base, missing }, TOP_ORDER) as unknown as Lock;
}

/** Lock text as written to disk: canonical form, two-space indent, trailing newline. */
export function formatLock(lock: Lock): string {
  return `${JSON.stringify(canonicalLock(lock), null, 2)}\n`;
}
