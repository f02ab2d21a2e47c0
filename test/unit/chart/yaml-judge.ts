/**
 * The judge of the js-yaml fast path: the yaml package itself, document by document, with types,
 * key order and -0 told apart.
 */
import { expect } from 'vitest';
import { fastParseAll } from '../../../src/chart/yaml-fast.js';
import { MAX_ALIAS_COUNT, yamlLib } from '../../../src/chart/yaml.js';

/** A value written out with its types, key order and -0 told apart (what deep equality must see). */
export function typed(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return Object.is(v, -0) ? 'n:-0' : `n:${String(v)}`;
  if (typeof v === 'string') return `s:${JSON.stringify(v)}`;
  if (typeof v === 'boolean') return `b:${v}`;
  if (Array.isArray(v)) return `[${v.map(typed).join(',')}]`;
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return `{${Object.keys(v).map((k) => `${JSON.stringify(k)}:${typed((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return `other:${Object.prototype.toString.call(v)}`;
}

/** What the yaml package gives for each document of the stream, or 'error'. */
export function slow(text: string): string[] | 'error' {
  const docs = yamlLib().parseAllDocuments(text, { merge: true, uniqueKeys: false });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: string[] = [];
  for (const d of list) {
    if (d.errors.length > 0) return 'error';
    try {
      out.push(typed(d.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? null));
    } catch {
      return 'error';
    }
  }
  return out;
}

/** Fast equal to slow, or declined; returns whether the fast path took it. */
export function agree(text: string, name: string): boolean {
  const fast = fastParseAll(text);
  if (fast === undefined) return false;
  const want = slow(text);
  expect(want, `${name}: the yaml package refuses what the fast path accepted`).not.toBe('error');
  expect(fast.map((v) => typed(v ?? null)), name).toEqual(want);
  return true;
}

