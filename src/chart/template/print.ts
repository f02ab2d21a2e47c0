/** How Go's fmt prints template values (%v), and the printf verbs charts use (pure). */

/**
 * A number as Go prints it. Helm reads values as float64 and prints a million as 1e+06; airlift
 * prints whole numbers in full (image tags and ports are the numbers that matter here).
 */
function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 21) {
    const [m, e] = n.toExponential().split('e') as [string, string];
    const en = Number(e);
    return `${m}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  return String(n);
}

export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map((x) => (x === null || x === undefined ? '<nil>' : formatValue(x))).join(' ')}]`;
  if (typeof v === 'function') return '';
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o)
      .sort()
      .map((k) => `${k}:${o[k] === null || o[k] === undefined ? '<nil>' : formatValue(o[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

/** Go's fmt.Sprintf for the verbs charts use: %s %v %d %q %t %f %x %%, with width and precision. */
export function sprintf(fmt: string, args: unknown[]): string {
  let out = '';
  let ai = 0;
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const m = /^%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/.exec(fmt.slice(i));
    if (!m) {
      out += c;
      continue;
    }
    i += m[0].length - 1;
    const [, flags = '', width, prec, verb] = m;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (ai >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const a = args[ai++];
    let s: string;
    switch (verb) {
      case 'd':
        s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${typeName(a)}=${formatValue(a)})`;
        break;
      case 'f':
      case 'F':
        s = typeof a === 'number' ? a.toFixed(prec !== undefined ? Number(prec) : 6) : `%!f(${typeName(a)}=${formatValue(a)})`;
        break;
      case 'q':
        s = JSON.stringify(formatValue(a));
        break;
      case 't':
        s = typeof a === 'boolean' ? String(a) : `%!t(${typeName(a)}=${formatValue(a)})`;
        break;
      case 'x':
        s = typeof a === 'number' ? Math.trunc(a).toString(16) : Buffer.from(formatValue(a)).toString('hex');
        break;
      case 's':
      case 'v':
      default:
        s = a === null || a === undefined ? (verb === 's' ? '%!s(<nil>)' : '<nil>') : formatValue(a);
        if (prec !== undefined && verb === 's') s = s.slice(0, Number(prec));
    }
    if (width !== undefined && s.length < Number(width)) {
      s = flags.includes('-') ? s.padEnd(Number(width)) : s.padStart(Number(width), flags.includes('0') && verb !== 's' ? '0' : ' ');
    }
    out += s;
  }
  if (ai < args.length) out += `%!(EXTRA ${args.slice(ai).map((a) => `${typeName(a)}=${formatValue(a)}`).join(', ')})`;
  return out;
}

export function typeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}
