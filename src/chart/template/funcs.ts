/**
 * The template functions Helm charts call (pure): Go's built-ins, the sprig
 * functions in use across real charts, and Helm's own (include, tpl,
 * required, toYaml, fromYaml, lookup). Functions that generate secrets or
 * time stamps return fixed placeholders: airlift renders to find images,
 * never to install.
 */
import { createHash } from 'node:crypto';
import { TemplateError } from './parse.js';
import { formatValue, sprintf, typeName } from './print.js';
import { semverCompare } from './semver.js';
import { yamlLib } from '../yaml.js';

export interface FuncContext {
  engine: { include(name: string, dot: unknown, from: string): string; tpl(src: string, dot: unknown, from: string): string };
  from: string;
  line: number;
}

type Fn = (ctx: FuncContext, ...args: unknown[]) => unknown;
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isObj(v)) return Object.keys(v).length > 0;
  return true;
}

const empty = (v: unknown): boolean => !truthy(v);
const str = (v: unknown): string => formatValue(v);
const num = (v: unknown): number => {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const n = Number(v.trim());
    return Number.isFinite(n) ? n : 0;
  }
  return 0;
};
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === null || v === undefined ? [] : [v]);

function deepCopy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(deepCopy);
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deepCopy(x)]));
  return v;
}

/** mergo.Merge (dst wins) or mergo.Merge with override (src wins), deep into maps; dst is modified. */
function merge(dst: Obj, src: unknown, override: boolean): Obj {
  if (!isObj(src)) return dst;
  for (const [k, v] of Object.entries(src)) {
    const d = dst[k];
    if (isObj(d) && isObj(v)) merge(d, v, override);
    else if (!(k in dst) || (override ? !empty(v) : empty(d))) dst[k] = deepCopy(v);
  }
  return dst;
}

function eq(a: unknown, b: unknown): boolean {
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (typeof a !== typeof b) return false;
  if (typeof a === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

function compare(a: unknown, b: unknown, ctx: FuncContext): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if ((typeof a === 'number' || a === null || a === undefined) && (typeof b === 'number' || b === null || b === undefined)) return num(a) - num(b);
  throw new TemplateError(`${ctx.from}:${ctx.line}: incompatible types for comparison (${typeName(a)}, ${typeName(b)})`);
}

function kindOf(v: unknown): string {
  if (v === null || v === undefined) return 'invalid';
  if (typeof v === 'string') return 'string';
  // Helm reads numbers in values files as float64 (and --set integers as int64; template literals are int).
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'slice';
  if (typeof v === 'function') return 'func';
  return 'map';
}

function toYaml(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  const s = yamlLib().stringify(v, { sortMapEntries: true, lineWidth: 0, aliasDuplicateObjects: false });
  return s.replace(/\n$/, '');
}

function fromYaml(s: unknown): unknown {
  try {
    const v = yamlLib().parse(str(s), { maxAliasCount: 10_000 });
    return v ?? {};
  } catch (e) {
    return { Error: e instanceof Error ? e.message : String(e) };
  }
}

/** Go's regexp syntax mostly carries over; `(?P<name>` is `(?<name>` in JS, `$1` and `${1}` both work. */
const re = (p: unknown, flags = ''): RegExp => {
  let src = str(p).replace(/\(\?P</g, '(?<');
  // Go's leading (?ims) flags are JavaScript's flags.
  const m = /^\(\?([ims]+)\)/.exec(src);
  if (m) {
    src = src.slice(m[0].length);
    flags += [...new Set(m[1]!)].filter((f) => !flags.includes(f)).join('');
  }
  return new RegExp(src, flags);
};

function trunc(n: unknown, s: unknown): string {
  const t = str(s);
  const c = num(n);
  if (c < 0) return t.length + c > 0 ? t.slice(t.length + c) : t;
  return t.length > c ? t.slice(0, c) : t;
}

function indent(n: unknown, s: unknown): string {
  const pad = ' '.repeat(Math.max(0, num(n)));
  return pad + str(s).replace(/\n/g, `\n${pad}`);
}

function printArgs(args: unknown[]): string {
  // fmt.Sprint: a space between operands when neither is a string.
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += a === null || a === undefined ? '<nil>' : formatValue(a);
  });
  return out;
}

const placeholder = (n: unknown): string => 'x'.repeat(Math.max(0, Math.min(4096, num(n))));

const filesObject = (): Obj => {
  const o: Obj = {};
  for (const m of ['AsConfig', 'AsSecrets']) Object.defineProperty(o, m, { value: () => '', enumerable: false });
  return o;
};

const cert = (): Obj => ({ Cert: '', Key: '' });

const F: Record<string, Fn> = {
  // Go built-ins
  and: (_c, ...a) => a.find((x) => !truthy(x)) ?? a[a.length - 1],
  or: (_c, ...a) => a.find((x) => truthy(x)) ?? a[a.length - 1],
  not: (_c, v) => !truthy(v),
  eq: (_c, a, ...b) => b.some((x) => eq(a, x)),
  ne: (_c, a, b) => !eq(a, b),
  lt: (c, a, b) => compare(a, b, c) < 0,
  le: (c, a, b) => compare(a, b, c) <= 0,
  gt: (c, a, b) => compare(a, b, c) > 0,
  ge: (c, a, b) => compare(a, b, c) >= 0,
  len: (c, v) => {
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    if (isObj(v)) return Object.keys(v).length;
    if (v === null || v === undefined) return 0;
    throw new TemplateError(`${c.from}:${c.line}: len of ${typeName(v)}`);
  },
  index: (c, v, ...keys) => {
    let cur = v;
    for (const k of keys) {
      if (cur === null || cur === undefined) return undefined;
      if (Array.isArray(cur) || typeof cur === 'string') {
        const i = num(k);
        if (i < 0 || i >= cur.length) throw new TemplateError(`${c.from}:${c.line}: index out of range: ${i}`);
        cur = Array.isArray(cur) ? cur[i] : cur.charCodeAt(i);
      } else if (isObj(cur)) cur = Object.prototype.hasOwnProperty.call(cur, str(k)) ? cur[str(k)] : undefined;
      else return undefined;
    }
    return cur;
  },
  print: (_c, ...a) => printArgs(a),
  println: (_c, ...a) => `${a.map((x) => (x === null || x === undefined ? '<nil>' : formatValue(x))).join(' ')}\n`,
  printf: (_c, f, ...a) => sprintf(str(f), a),
  urlquery: (_c, ...a) => encodeURIComponent(a.map(str).join('')),
  html: (_c, ...a) => a.map(str).join('').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;'),
  js: (_c, ...a) => a.map(str).join(''),
  slice: (_c, v, ...ix) => {
    const s = ix.map(num);
    if (typeof v === 'string' || Array.isArray(v)) return v.slice(s[0] ?? 0, s[1]);
    return v;
  },
  // Helm
  include: (c, name, dot) => c.engine.include(str(name), dot, c.from),
  tpl: (c, s, dot) => c.engine.tpl(str(s), dot, c.from),
  required: (c, msg, v) => {
    if (v === null || v === undefined || v === '') throw new TemplateError(`${c.from}:${c.line}: ${str(msg)}`);
    return v;
  },
  fail: (c, msg) => {
    throw new TemplateError(`${c.from}:${c.line}: fail: ${str(msg)}`);
  },
  lookup: () => ({}),
  toYaml: (_c, v) => toYaml(v),
  toYamlPretty: (_c, v) => toYaml(v),
  fromYaml: (_c, s) => fromYaml(s),
  fromYamlArray: (_c, s) => {
    const v = fromYaml(s);
    return Array.isArray(v) ? v : [];
  },
  toJson: (_c, v) => JSON.stringify(v ?? null),
  toRawJson: (_c, v) => JSON.stringify(v ?? null),
  toPrettyJson: (_c, v) => JSON.stringify(v ?? null, null, 2),
  fromJson: (_c, s) => {
    try {
      return JSON.parse(str(s));
    } catch (e) {
      return { Error: String(e) };
    }
  },
  fromJsonArray: (_c, s) => {
    try {
      const v = JSON.parse(str(s));
      return Array.isArray(v) ? v : [];
    } catch {
      return [];
    }
  },
  toToml: (_c: FuncContext, v: unknown) => str(v),
  // sprig: defaults and flow
  default: (_c, d, ...v) => (v.length === 0 || empty(v[0]) ? d : v[0]),
  empty: (_c, v) => empty(v),
  coalesce: (_c, ...a) => a.find((x) => !empty(x)) ?? null,
  ternary: (_c, a, b, cond) => (truthy(cond) ? a : b),
  all: (_c, ...a) => a.every(truthy),
  any: (_c, ...a) => a.some(truthy),
  // strings
  toString: (_c: FuncContext, v: unknown) => str(v),
  toStrings: (_c, v) => list(v).map(str),
  trim: (_c, s) => str(s).trim(),
  trimAll: (_c, cut, s) => {
    const chars = str(cut);
    let t = str(s);
    while (t && chars.includes(t[0]!)) t = t.slice(1);
    while (t && chars.includes(t[t.length - 1]!)) t = t.slice(0, -1);
    return t;
  },
  trimPrefix: (_c, p, s) => (str(s).startsWith(str(p)) ? str(s).slice(str(p).length) : str(s)),
  trimSuffix: (_c, p, s) => (str(p) !== '' && str(s).endsWith(str(p)) ? str(s).slice(0, -str(p).length) : str(s)),
  upper: (_c, s) => str(s).toUpperCase(),
  lower: (_c, s) => str(s).toLowerCase(),
  title: (_c, s) => str(s).replace(/\b\w/g, (x) => x.toUpperCase()),
  untitle: (_c, s) => str(s).replace(/\b\w/g, (x) => x.toLowerCase()),
  replace: (_c, o, n, s) => str(s).split(str(o)).join(str(n)),
  repeat: (c, n, s) => {
    const t = str(s);
    const k = Math.max(0, num(n));
    if (t.length * k > 32 * 1024 * 1024) throw new TemplateError(`${c.from}:${c.line}: repeat: over 32 MiB`);
    return t.repeat(k);
  },
  substr: (_c, a, b, s) => {
    const t = str(s);
    const start = num(a);
    const end = num(b);
    if (start < 0) return t.slice(0, end);
    if (end < 0 || end > t.length) return t.slice(start);
    return t.slice(start, end);
  },
  trunc: (_c, n, s) => trunc(n, s),
  abbrev: (_c, n, s) => (str(s).length > num(n) ? `${str(s).slice(0, Math.max(0, num(n) - 3))}...` : str(s)),
  contains: (_c, sub, s) => str(s).includes(str(sub)),
  hasPrefix: (_c, p, s) => str(s).startsWith(str(p)),
  hasSuffix: (_c, p, s) => str(s).endsWith(str(p)),
  quote: (_c, ...a) => a.filter((x) => x !== null && x !== undefined).map((x) => JSON.stringify(str(x))).join(' '),
  squote: (_c, ...a) => a.filter((x) => x !== null && x !== undefined).map((x) => `'${str(x)}'`).join(' '),
  cat: (_c, ...a) => a.filter((x) => x !== null && x !== undefined).map(str).join(' '),
  indent: (_c, n, s) => indent(n, s),
  nindent: (_c, n, s) => `\n${indent(n, s)}`,
  nospace: (_c, s) => str(s).replace(/\s/g, ''),
  wrap: (_c, _n, s) => str(s),
  plural: (_c, one, many, n) => (num(n) === 1 ? one : many),
  snakecase: (_c, s) => str(s).replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[-\s]+/g, '_').toLowerCase(),
  kebabcase: (_c, s) => str(s).replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/[_\s]+/g, '-').toLowerCase(),
  camelcase: (_c, s) => str(s).split(/[_\-\s]+/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(''),
  split: (_c, sep, s) => Object.fromEntries(str(s).split(str(sep)).map((p, i) => [`_${i}`, p])),
  splitList: (_c, sep, s) => str(s).split(str(sep)),
  splitn: (_c, sep, n, s) => {
    const parts = str(s).split(str(sep));
    const k = num(n);
    const out = parts.length > k ? [...parts.slice(0, k - 1), parts.slice(k - 1).join(str(sep))] : parts;
    return Object.fromEntries(out.map((p, i) => [`_${i}`, p]));
  },
  join: (_c, sep, l) => list(l).filter((x) => x !== null && x !== undefined).map(str).join(str(sep)),
  regexMatch: (_c, p, s) => re(p).test(str(s)),
  regexFind: (_c, p, s) => re(p).exec(str(s))?.[0] ?? '',
  regexFindAll: (_c, p, s, n) => {
    const all = [...str(s).matchAll(re(p, 'g'))].map((m) => m[0]);
    return num(n) < 0 ? all : all.slice(0, num(n));
  },
  regexReplaceAll: (_c, p, s, r) => str(s).replace(re(p, 'g'), str(r).replace(/\$\{(\w+)\}/g, '$$<$1>').replace(/\$<(\d+)>/g, '$$$1')),
  regexReplaceAllLiteral: (_c, p, s, r) => str(s).replace(re(p, 'g'), () => str(r)),
  regexSplit: (_c, p, s, n) => {
    const parts = str(s).split(re(p));
    return num(n) < 0 ? parts : parts.slice(0, num(n));
  },
  base: (_c, s) => str(s).replace(/\/+$/, '').split('/').pop() ?? '',
  dir: (_c, s) => {
    const t = str(s).replace(/\/+$/, '');
    const i = t.lastIndexOf('/');
    return i < 0 ? '.' : i === 0 ? '/' : t.slice(0, i);
  },
  ext: (_c, s) => /\.[^./]*$/.exec(str(s))?.[0] ?? '',
  clean: (_c, s) => str(s),
  // encodings and hashes
  b64enc: (_c, s) => Buffer.from(str(s)).toString('base64'),
  b64dec: (_c, s) => Buffer.from(str(s), 'base64').toString('utf8'),
  b32enc: (_c, s) => str(s),
  sha256sum: (_c, s) => createHash('sha256').update(str(s)).digest('hex'),
  sha1sum: (_c, s) => createHash('sha1').update(str(s)).digest('hex'),
  adler32sum: (_c, s) => String(str(s).length),
  // generated secrets: fixed placeholders
  randAlphaNum: (_c, n) => placeholder(n),
  randAlpha: (_c, n) => placeholder(n),
  randNumeric: (_c, n) => '0'.repeat(Math.max(0, Math.min(4096, num(n)))),
  randAscii: (_c, n) => placeholder(n),
  randInt: (_c, a) => num(a),
  uuidv4: () => '00000000-0000-4000-8000-000000000000',
  htpasswd: (_c, u) => `${str(u)}:$2a$10$placeholder`,
  derivePassword: () => 'placeholder',
  genPrivateKey: () => '',
  genCA: () => cert(),
  genCAWithKey: () => cert(),
  genSelfSignedCert: () => cert(),
  genSelfSignedCertWithKey: () => cert(),
  genSignedCert: () => cert(),
  genSignedCertWithKey: () => cert(),
  encryptAES: (_c, _k, s) => str(s),
  decryptAES: (_c, _k, s) => str(s),
  getHostByName: () => '',
  env: () => '',
  expandenv: (_c, s) => str(s),
  now: () => new Date(0).toISOString(),
  date: () => '1970-01-01',
  dateInZone: () => '1970-01-01',
  toDate: () => new Date(0).toISOString(),
  unixEpoch: () => '0',
  ago: () => '0s',
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
  // versions
  semverCompare: (c, constraint, version) => semverCompare(str(constraint), str(version), `${c.from}:${c.line}`),
  semver: (_c, v) => {
    const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?/.exec(str(v));
    return { Major: Number(m?.[1] ?? 0), Minor: Number(m?.[2] ?? 0), Patch: Number(m?.[3] ?? 0), Prerelease: m?.[4] ?? '', Original: str(v) };
  },
  shuffle: (_c, s) => str(s),
  one: (_c, v) => v,
};

// sprig's must* variants return an error instead of panicking; here both throw.
for (const [k, f] of Object.entries({ ...F })) F[`must${k[0]!.toUpperCase()}${k.slice(1)}`] ??= f;

export const FUNCS: Readonly<Record<string, Fn>> = F;
export { filesObject };
