/**
 * sprig's semverCompare (Masterminds/semver v3 constraints), pure: `||` between
 * groups, `,` or space between comparisons in a group; =, !=, >, <, >=, <=, ~,
 * ^, x/* wildcards and `a - b` ranges. A version with a prerelease satisfies a
 * group only when one of its comparisons names a prerelease (`>=1.21-0`).
 */
import { TemplateError } from './parse.js';

interface Ver {
  major: number;
  minor: number;
  patch: number;
  pre: string;
}

function parse(v: string, where: string): Ver {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(v.trim());
  if (!m) throw new TemplateError(`${where}: semverCompare: invalid version ${JSON.stringify(v)}`);
  return { major: Number(m[1]), minor: Number(m[2] ?? 0), patch: Number(m[3] ?? 0), pre: m[4] ?? '' };
}

function cmpPre(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn && Number(p) !== Number(q)) return Number(p) - Number(q);
    if (pn !== qn) return pn ? -1 : 1;
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

function cmp(a: Ver, b: Ver): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch || cmpPre(a.pre, b.pre);
}

/** One comparison: its predicate and whether its version names a prerelease. */
function comparison(c: string, where: string): { test(v: Ver): boolean; pre: boolean } {
  const m = /^(=|!=|>=|=>|<=|=<|>|<|~>|~|\^)?\s*v?([0-9xX*]+(?:\.[0-9xX*]+)?(?:\.[0-9xX*]+)?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/.exec(c.trim());
  if (!m) throw new TemplateError(`${where}: semverCompare: invalid constraint ${JSON.stringify(c)}`);
  const op = m[1] ?? '=';
  const parts = m[2]!.replace(/\+.*$/, '').split('-')[0]!.split('.');
  const preM = /-([0-9A-Za-z.-]+)/.exec(m[2]!.replace(/\+.*$/, ''));
  const pre = preM?.[1] ?? '';
  const wild = (p: string | undefined): boolean => p === undefined || /^[xX*]$/.test(p);
  const n = parts.map((p) => (wild(p) ? 0 : Number(p)));
  const v: Ver = { major: n[0] ?? 0, minor: n[1] ?? 0, patch: n[2] ?? 0, pre };
  // How many leading parts are given (the rest are wildcards).
  let given = 0;
  while (given < 3 && !wild(parts[given])) given++;
  const upper = (level: number): Ver =>
    level <= 0 ? { major: Infinity, minor: 0, patch: 0, pre: '' } : level === 1 ? { major: v.major + 1, minor: 0, patch: 0, pre: '' } : level === 2 ? { major: v.major, minor: v.minor + 1, patch: 0, pre: '' } : { major: v.major, minor: v.minor, patch: v.patch + 1, pre: '' };
  const lower: Ver = { ...v };
  const inRange = (x: Ver, lo: Ver, hi: Ver): boolean => cmp(x, lo) >= 0 && cmp({ ...x, pre: x.pre }, hi) < 0;
  let test: (x: Ver) => boolean;
  switch (op) {
    case '=':
      test = given === 3 ? (x) => cmp(x, v) === 0 : (x) => inRange(x, lower, upper(given));
      break;
    case '!=':
      test = given === 3 ? (x) => cmp(x, v) !== 0 : (x) => !inRange(x, lower, upper(given));
      break;
    case '>':
      test = given === 3 ? (x) => cmp(x, v) > 0 : (x) => cmp(x, upper(given)) >= 0;
      break;
    case '>=':
    case '=>':
      test = (x) => cmp(x, lower) >= 0;
      break;
    case '<':
      test = (x) => cmp(x, lower) < 0;
      break;
    case '<=':
    case '=<':
      test = given === 3 ? (x) => cmp(x, v) <= 0 : (x) => cmp(x, upper(given)) < 0;
      break;
    case '~':
    case '~>':
      test = (x) => inRange(x, lower, upper(given >= 2 ? 2 : 1));
      break;
    case '^':
      test = (x) => inRange(x, lower, upper(v.major > 0 || given < 2 ? 1 : v.minor > 0 || given < 3 ? 2 : 3));
      break;
    default:
      test = () => false;
  }
  return { test, pre: pre !== '' };
}

export function semverCompare(constraint: string, version: string, where: string): boolean {
  const v = parse(version, where);
  for (const group of constraint.split('||')) {
    const g = group.trim().replace(/(\S+)\s+-\s+(\S+)/g, '>=$1,<=$2').replace(/([=<>!~^])\s+/g, '$1');
    const cs = g.split(/[\s,]+/).filter(Boolean).map((c) => comparison(c, where));
    if (cs.length === 0) continue;
    if (v.pre !== '' && !cs.some((c) => c.pre)) continue;
    if (cs.every((c) => c.test(v))) return true;
  }
  return false;
}
