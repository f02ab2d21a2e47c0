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
import { exactJson, TextCache } from '../text-cache.js';
import { yamlLib } from '../yaml.js';
import { compare, empty, eq, isObj, list, num, str, truthy, DATA_FUNCS, type Fn, type FuncContext } from './funcs-data.js';

export { truthy, type FuncContext };

type Obj = Record<string, unknown>;


/**
 * toYaml results by the exact JSON of the value (a key only where JSON tells values apart: see
 * exactJson). A chart's templates print the same few values many times (the ten real charts: 570
 * calls on 118 distinct values), and the yaml package's stringify is slow. Bounded by the keys'
 * and results' characters.
 */
const printed = new TextCache<string>(4 * 1024 * 1024, 256 * 1024);

function toYaml(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  let key: string | undefined;
  try {
    key = exactJson(v);
  } catch {
    key = undefined;
  }
  const hit = key !== undefined ? printed.get(key) : undefined;
  if (hit !== undefined) return hit;
  const s = yamlLib().stringify(v, { sortMapEntries: true, lineWidth: 0, aliasDuplicateObjects: false }).replace(/\n$/, '');
  if (key !== undefined) printed.set(key, s, key.length + s.length);
  return s;
}

/**
 * fromYaml results by input text. Charts parse the same few rendered snippets hundreds of times
 * (kyverno: 605 calls on 33 distinct texts, a sixth of its scan); parsing is a pure function of
 * the text, and each call gets its own copy (structuredClone), so a template that changes the
 * result (set, unset) changes only its copy.
 */
const parsed = new Map<string, unknown>();
const PARSED_MAX_ENTRIES = 256;
const PARSED_MAX_TEXT = 64 * 1024;

function fromYaml(s: unknown): unknown {
  const text = str(s);
  const hit = parsed.get(text);
  if (hit !== undefined) return structuredClone(hit);
  let v: unknown;
  try {
    v = yamlLib().parse(text, { maxAliasCount: 10_000 }) ?? {};
  } catch (e) {
    v = { Error: e instanceof Error ? e.message : String(e) };
  }
  if (text.length <= PARSED_MAX_TEXT) {
    if (parsed.size >= PARSED_MAX_ENTRIES) parsed.clear();
    parsed.set(text, structuredClone(v));
  }
  return v;
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
  ...DATA_FUNCS,
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