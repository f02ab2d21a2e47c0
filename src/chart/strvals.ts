/**
 * Helm's `--set` / `--set-string` / `--set-json` / `--set-file` syntax (pure):
 * comma-separated `key=value` pairs; dotted keys (`a.b=c`), list indexes
 * (`a[0]=x`, `a[0].b=x`), list values (`a={x,y}`), backslash escapes
 * (`a=1\,2`, `a\.b=c`). `--set` infers null, booleans and integers;
 * `--set-string` keeps every value a string; `--set-json` takes a JSON value
 * (which may hold commas); `--set-file` takes a path whose content, read by the
 * caller's function, becomes the string value.
 */
import { UsageError } from '../errors.js';
import { isMap } from './yaml.js';
import { childAt, putChild } from './values-path.js';
import type { Values } from './values.js';

const MAX_INDEX = 65536;

/** `--set` scalar typing, as Helm does it. */
export function typedValue(s: string): unknown {
  if (s === 'null') return null;
  if (s === 'true') return true;
  if (s === 'false') return false;
  // Integers only; "0"-prefixed strings such as "0755" or "007" stay strings.
  if (/^[-+]?[0-9]+$/.test(s) && !(s.length > 1 && s.startsWith('0'))) {
    const n = Number(s);
    if (Number.isSafeInteger(n)) return n;
  }
  return s;
}

class Cursor {
  i = 0;
  constructor(readonly s: string, readonly flag: string) {}
  get done(): boolean {
    return this.i >= this.s.length;
  }
  peek(): string | undefined {
    return this.s[this.i];
  }
  fail(msg: string): never {
    throw new UsageError(`${this.flag} ${JSON.stringify(this.s)}: ${msg}`, {
      hint: `write ${this.flag} key=value[,key2=value2]; nested keys with dots (a.b=c), list items with [N] (a[0]=x), escape "," "." "=" with a backslash`,
    });
  }
  /** Reads until one of `stops` (unescaped); returns the text and the stop char (undefined at end). */
  until(stops: string): { text: string; stop: string | undefined } {
    let text = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === '\\') {
        if (this.i + 1 >= this.s.length) this.fail('ends with a backslash');
        text += this.s[this.i + 1];
        this.i += 2;
        continue;
      }
      if (stops.includes(c)) {
        this.i += 1;
        return { text, stop: c };
      }
      text += c;
      this.i += 1;
    }
    return { text, stop: undefined };
  }
}

type Container = Values | unknown[];

// Own keys only (src/chart/values-path.ts): `--set __proto__.x=1` sets a key named __proto__.
const setIn = (target: Container, key: string | number, value: unknown): void => putChild(target, key, value);
const getIn = childAt;

/** How the text after `=` becomes a value. */
type ValueReader = (c: Cursor) => unknown;

/** A JSON value up to the next top-level comma (commas inside strings, objects and lists belong to it). */
function jsonValue(c: Cursor): unknown {
  const start = c.i;
  let depth = 0;
  let inString = false;
  for (; c.i < c.s.length; c.i++) {
    const ch = c.s[c.i]!;
    if (inString) {
      if (ch === '\\') c.i += 1;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth += 1;
    else if (ch === '}' || ch === ']') depth -= 1;
    else if (ch === ',' && depth === 0) break;
  }
  const text = c.s.slice(start, c.i);
  if (c.i < c.s.length) c.i += 1; // the comma
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    return c.fail(`value ${JSON.stringify(text)} is not JSON (${(err as Error).message})`);
  }
}

function parseValue(c: Cursor, typed: boolean): unknown {
  if (c.peek() === '{') {
    c.i += 1;
    const items: unknown[] = [];
    for (;;) {
      const { text, stop } = c.until(',}');
      if (stop === undefined) c.fail('list value is missing its closing "}"');
      if (!(text === '' && stop === '}' && items.length === 0)) items.push(typed ? typedValue(text) : text);
      if (stop === '}') break;
    }
    const after = c.until(',');
    if (after.text !== '') c.fail(`unexpected ${JSON.stringify(after.text)} after a list value`);
    return items;
  }
  const { text } = c.until(',');
  return typed ? typedValue(text) : text;
}

function parseIndex(c: Cursor): number {
  const { text, stop } = c.until(']');
  if (stop !== ']') c.fail('missing "]"');
  if (!/^[0-9]+$/.test(text)) c.fail(`list index ${JSON.stringify(text)} is not a whole number`);
  const n = Number(text);
  if (n > MAX_INDEX) c.fail(`list index ${n} is larger than ${MAX_INDEX}`);
  return n;
}

/** Parses one expression into `into` (modified in place). */
function parseInto(into: Values, expr: string, value: ValueReader, flag: string): void {
  const c = new Cursor(expr, flag);
  while (!c.done) {
    let container: Container = into;
    let key: string | number;
    const first = c.until('.[=,');
    if (first.text === '') c.fail('empty key');
    key = first.text;
    let stop = first.stop;
    for (;;) {
      if (stop === '=') {
        setIn(container, key, value(c));
        break;
      }
      if (stop === undefined || stop === ',') c.fail(`key ${JSON.stringify(String(key))} has no value`);
      if (stop === '.') {
        let next = getIn(container, key);
        if (!isMap(next)) {
          next = {};
          setIn(container, key, next);
        }
        container = next as Values;
        const part = c.until('.[=,');
        if (part.text === '') c.fail('empty key after "."');
        key = part.text;
        stop = part.stop;
        continue;
      }
      // '[': a list index
      const idx = parseIndex(c);
      let list = getIn(container, key);
      if (!Array.isArray(list)) {
        list = [];
        setIn(container, key, list);
      }
      const arr = list as unknown[];
      while (arr.length <= idx) arr.push(null);
      container = arr;
      key = idx;
      const ch = c.peek();
      if (ch === '=' || ch === '.' || ch === '[') {
        c.i += 1;
        stop = ch;
        if (ch === '.') {
          let next = arr[idx];
          if (!isMap(next)) {
            next = {};
            arr[idx] = next;
          }
          container = next as Values;
          const part = c.until('.[=,');
          if (part.text === '') c.fail('empty key after "."');
          key = part.text;
          stop = part.stop;
        } else if (ch === '[') {
          let next = arr[idx];
          if (!Array.isArray(next)) {
            next = [];
            arr[idx] = next;
          }
          const idx2 = parseIndex(c);
          const inner = next as unknown[];
          while (inner.length <= idx2) inner.push(null);
          container = inner;
          key = idx2;
          const ch2 = c.peek();
          if (ch2 !== '=') c.fail('only two levels of [N] are supported before "="');
          c.i += 1;
          stop = '=';
        }
        continue;
      }
      c.fail(`expected "=", "." or "[" after [${idx}]`);
    }
  }
}

/** Parses `--set` (typed) or `--set-string` expressions, in order, into one overriding values layer. */
export function parseSetValues(exprs: string[], opts: { typed: boolean }): Values {
  const out: Values = {};
  const flag = opts.typed ? '--set' : '--set-string';
  for (const e of exprs) parseInto(out, e, (c) => parseValue(c, opts.typed), flag);
  return out;
}

/** Parses `--set-json` expressions (`key=<JSON>[,key2=<JSON>]`), in order, into one values layer. */
export function parseSetJsonValues(exprs: string[]): Values {
  const out: Values = {};
  for (const e of exprs) parseInto(out, e, jsonValue, '--set-json');
  return out;
}

/** Parses `--set-file` expressions (`key=PATH`); `read` turns each path into the string value. */
export function parseSetFileValues(exprs: string[], read: (path: string) => string): Values {
  const out: Values = {};
  for (const e of exprs) {
    parseInto(
      out,
      e,
      (c) => {
        const { text } = c.until(',');
        if (text === '') c.fail('empty file path');
        return read(text);
      },
      '--set-file',
    );
  }
  return out;
}
