/**
 * Template functions over numbers, types, lists and maps (sprig's and Go's), and the value
 * helpers every function shares (pure). Numbers are JavaScript numbers; Helm's values are float64.
 */
import { TemplateError } from './parse.js';
import { formatValue, typeName } from './print.js';

export interface FuncContext {
  engine: { include(name: string, dot: unknown, from: string): string; tpl(src: string, dot: unknown, from: string): string };
  from: string;
  line: number;
}

export type Fn = (ctx: FuncContext, ...args: unknown[]) => unknown;
type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isObj(v)) return Object.keys(v).length > 0;
  return true;
}

export const empty = (v: unknown): boolean => !truthy(v);
export const str = (v: unknown): string => formatValue(v);
export const num = (v: unknown): number => {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const n = Number(v.trim());
    return Number.isFinite(n) ? n : 0;
  }
  return 0;
};
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === null || v === undefined ? [] : [v]);

export function deepCopy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(deepCopy);
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deepCopy(x)]));
  return v;
}

/** mergo.Merge (dst wins) or mergo.Merge with override (src wins), deep into maps; dst is modified. */
export function merge(dst: Obj, src: unknown, override: boolean): Obj {
  if (!isObj(src)) return dst;
  for (const [k, v] of Object.entries(src)) {
    const d = dst[k];
    if (isObj(d) && isObj(v)) merge(d, v, override);
    else if (!(k in dst) || (override ? !empty(v) : empty(d))) dst[k] = deepCopy(v);
  }
  return dst;
}

export function eq(a: unknown, b: unknown): boolean {
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (typeof a !== typeof b) return false;
  if (typeof a === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

export function compare(a: unknown, b: unknown, ctx: FuncContext): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if ((typeof a === 'number' || a === null || a === undefined) && (typeof b === 'number' || b === null || b === undefined)) return num(a) - num(b);
  throw new TemplateError(`${ctx.from}:${ctx.line}: incompatible types for comparison (${typeName(a)}, ${typeName(b)})`);
}

export function kindOf(v: unknown): string {
  if (v === null || v === undefined) return 'invalid';
  if (typeof v === 'string') return 'string';
  // Helm reads numbers in values files as float64 (and --set integers as int64; template literals are int).
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'slice';
  if (typeof v === 'function') return 'func';
  return 'map';
}

export const DATA_FUNCS: Record<string, Fn> = {
  // numbers
  int: (_c, v) => Math.trunc(num(v)),
  int64: (_c, v) => Math.trunc(num(v)),
  float64: (_c, v) => num(v),
  atoi: (_c, v) => Math.trunc(num(v)),
  toDecimal: (_c, v) => parseInt(str(v), 8) || 0,
  add: (_c, ...a) => a.reduce<number>((s, x) => s + num(x), 0),
  add1: (_c, a) => num(a) + 1,
  sub: (_c, a, b) => num(a) - num(b),
  mul: (_c, ...a) => a.reduce<number>((s, x) => s * num(x), 1),
  div: (c, a, b) => {
    if (num(b) === 0) throw new TemplateError(`${c.from}:${c.line}: division by zero`);
    return Math.trunc(num(a) / num(b));
  },
  mod: (_c, a, b) => num(a) % num(b),
  max: (_c, ...a) => Math.max(...a.map(num)),
  min: (_c, ...a) => Math.min(...a.map(num)),
  floor: (_c, a) => Math.floor(num(a)),
  ceil: (_c, a) => Math.ceil(num(a)),
  round: (_c, a, p) => {
    const f = 10 ** num(p);
    return Math.round(num(a) * f) / f;
  },
  seq: (_c, ...a) => {
    const n = a.map(num);
    const [start, end] = n.length === 1 ? [1, n[0]!] : [n[0]!, n[n.length - 1]!];
    const out: number[] = [];
    for (let i = start; start <= end ? i <= end : i >= end; i += start <= end ? 1 : -1) out.push(i);
    return out.join(' ');
  },
  until: (_c, n) => Array.from({ length: Math.max(0, Math.min(100_000, num(n))) }, (_, i) => i),
  untilStep: (_c, a, b, s) => {
    const out: number[] = [];
    for (let i = num(a); num(s) > 0 ? i < num(b) : i > num(b); i += num(s) || 1) if (out.push(i) > 100_000) break;
    return out;
  },
  // types
  kindOf: (_c, v) => kindOf(v),
  kindIs: (_c, k, v) => {
    return kindOf(v) === str(k);
  },
  typeOf: (_c, v) => typeName(v),
  typeIs: (_c, t, v) => typeName(v) === str(t),
  typeIsLike: (_c, t, v) => typeName(v) === str(t).replace(/^\*/, ''),
  deepEqual: (_c, a, b) => JSON.stringify(a) === JSON.stringify(b),
  // lists
  list: (_c, ...a) => a,
  tuple: (_c, ...a) => a,
  append: (_c, l, v) => [...list(l), v],
  push: (_c, l, v) => [...list(l), v],
  prepend: (_c, l, v) => [v, ...list(l)],
  concat: (_c, ...ls) => ls.flatMap(list),
  first: (_c, l) => list(l)[0] ?? null,
  last: (_c, l) => list(l)[list(l).length - 1] ?? null,
  rest: (_c, l) => list(l).slice(1),
  initial: (_c, l) => list(l).slice(0, -1),
  reverse: (_c, l) => [...list(l)].reverse(),
  uniq: (_c, l) => list(l).filter((x, i, a) => a.findIndex((y) => eq(x, y)) === i),
  compact: (_c, l) => list(l).filter((x) => !empty(x)),
  without: (_c, l, ...w) => list(l).filter((x) => !w.some((y) => eq(x, y))),
  has: (_c, v, l) => list(l).some((x) => eq(x, v)),
  sortAlpha: (_c, l) => list(l).map(str).sort(),
  // maps
  dict: (_c, ...a) => {
    const o: Obj = {};
    for (let i = 0; i < a.length; i += 2) o[str(a[i])] = a[i + 1] ?? null;
    return o;
  },
  hasKey: (_c, m, k) => isObj(m) && Object.prototype.hasOwnProperty.call(m, str(k)),
  get: (_c, m, k) => (isObj(m) && str(k) in m ? m[str(k)] : ''),
  set: (_c, m, k, v) => {
    if (isObj(m)) m[str(k)] = v;
    return m;
  },
  unset: (_c, m, k) => {
    if (isObj(m)) delete m[str(k)];
    return m;
  },
  keys: (_c, ...ms) => ms.flatMap((m) => (isObj(m) ? Object.keys(m) : [])).sort(),
  values: (_c, m) => (isObj(m) ? Object.keys(m).sort().map((k) => m[k]) : []),
  pick: (_c, m, ...ks) => (isObj(m) ? Object.fromEntries(ks.map(str).filter((k) => k in m).map((k) => [k, m[k]])) : {}),
  omit: (_c, m, ...ks) => (isObj(m) ? Object.fromEntries(Object.entries(m).filter(([k]) => !ks.map(str).includes(k))) : {}),
  pluck: (_c, k, ...ms) => ms.filter(isObj).filter((m) => str(k) in m).map((m) => m[str(k)]),
  dig: (_c, ...a) => {
    const m = a[a.length - 1];
    const d = a[a.length - 2];
    let cur: unknown = m;
    for (const k of a.slice(0, -2)) {
      if (!isObj(cur) || !(str(k) in cur)) return d;
      cur = cur[str(k)];
    }
    return cur;
  },
  merge: (_c, d, ...s) => s.reduce<Obj>((acc, x) => merge(acc, x, false), isObj(d) ? d : {}),
  mergeOverwrite: (_c, d, ...s) => s.reduce<Obj>((acc, x) => merge(acc, x, true), isObj(d) ? d : {}),
  deepCopy: (_c, v) => deepCopy(v),
};
