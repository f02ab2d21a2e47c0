/**
 * Hints (pure): templates such as
 * `{{ .foo.registry }}/{{ .foo.repository }}:{{ .foo.tag }}` (the format
 * relok8s users write) evaluated against merged values. Supported inside
 * `{{ }}`: value paths (`.a.b`, also `.Values.a.b`), `.Chart.Name`,
 * `.Chart.Version`, `.Chart.AppVersion`, string literals, `X | default Y`,
 * `default Y X` and `printf "fmt" args` with `%s`.
 */
import { InputError } from '../errors.js';
import { hostOf, makeFinding } from './assemble.js';
import { getPath, type Values } from './values.js';
import { parseYaml } from './yaml.js';
import type { ImageField, ImageFinding, ImageLayout, ValuesPath } from './types.js';

export interface HintContext {
  chart: string;
  file: string;
  values: Values;
  chartMeta: { name: string; version: string; appVersion?: string };
  /** Prefix for reported paths (a subchart's place in the top-level values). */
  valuesPrefix: ValuesPath;
  disabled?: boolean;
  builtin?: boolean;
}

/** Parses a hints file's text: a YAML list of template strings. */
export function parseHints(text: string, file: string): string[] {
  const v = parseYaml(text, file);
  if (v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw new InputError(`${file}: a hints file is a YAML list of template strings`, {
      hint: 'write one entry per image, e.g. - "{{ .image.registry }}/{{ .image.repository }}:{{ .image.tag }}"',
    });
  }
  return v as string[];
}

type Token = { t: 'path'; path: ValuesPath } | { t: 'chart'; field: string } | { t: 'str'; v: string } | { t: 'word'; v: string } | { t: 'pipe' } | { t: 'open' } | { t: 'close' };

function tokenize(expr: string, template: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:(\|)|(\()|(\))|"((?:[^"\\]|\\.)*)"|(\.[A-Za-z0-9_.-]*)|([A-Za-z_][A-Za-z0-9_]*))/y;
  let i = 0;
  while (i < expr.length) {
    if (/^\s*$/.test(expr.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(expr);
    if (!m) throw new InputError(`hint ${JSON.stringify(template)}: cannot read ${JSON.stringify(expr.slice(i))}`, { hint: 'hints support value paths, "strings", default and printf' });
    i = re.lastIndex;
    if (m[1]) out.push({ t: 'pipe' });
    else if (m[2]) out.push({ t: 'open' });
    else if (m[3]) out.push({ t: 'close' });
    else if (m[4] !== undefined) out.push({ t: 'str', v: m[4].replace(/\\(.)/g, '$1') });
    else if (m[5]) {
      const parts = m[5].slice(1).split('.').filter((x) => x !== '');
      if (parts[0] === 'Chart') out.push({ t: 'chart', field: parts[1] ?? '' });
      else out.push({ t: 'path', path: parts[0] === 'Values' ? parts.slice(1) : parts });
    } else out.push({ t: 'word', v: m[6]! });
  }
  return out;
}

interface Evaluated {
  text: string;
  paths: ValuesPath[];
}

function evaluate(expr: string, template: string, ctx: HintContext): Evaluated {
  const tokens = tokenize(expr, template);
  const paths: ValuesPath[] = [];
  let pos = 0;
  const fail = (msg: string): never => {
    throw new InputError(`hint ${JSON.stringify(template)}: ${msg}`, { hint: 'hints support value paths, "strings", default and printf' });
  };
  const term = (): string => {
    const tok = tokens[pos++];
    if (!tok) return fail('missing value');
    if (tok.t === 'str') return tok.v;
    if (tok.t === 'path') {
      paths.push(tok.path);
      const v = getPath(ctx.values, tok.path);
      return v === null || v === undefined ? '' : typeof v === 'object' ? fail(`.${tok.path.join('.')} is not a scalar`) : String(v);
    }
    if (tok.t === 'chart') {
      if (tok.field === 'Name') return ctx.chartMeta.name;
      if (tok.field === 'Version') return ctx.chartMeta.version;
      if (tok.field === 'AppVersion') return ctx.chartMeta.appVersion ?? '';
      return fail(`unknown .Chart.${tok.field}`);
    }
    if (tok.t === 'open') {
      const v = command();
      if (tokens[pos++]?.t !== 'close') fail('missing ")"');
      return v;
    }
    if (tok.t === 'word') {
      if (tok.v === 'default') {
        const dflt = term();
        const v = term();
        return v === '' ? dflt : v;
      }
      if (tok.v === 'printf') {
        const fmt = term();
        let out = '';
        for (let j = 0; j < fmt.length; j++) {
          if (fmt[j] === '%' && fmt[j + 1] === 's') {
            out += term();
            j++;
          } else out += fmt[j];
        }
        return out;
      }
      return fail(`unsupported function ${tok.v}`);
    }
    return fail('unexpected token');
  };
  const command = (): string => {
    let v = term();
    while (tokens[pos]?.t === 'pipe') {
      pos++;
      const fn = tokens[pos++];
      if (fn?.t !== 'word' || fn.v !== 'default') fail('only "| default X" is supported after a pipe');
      const dflt = term();
      if (v === '') v = dflt;
    }
    return v;
  };
  const text = command();
  if (pos !== tokens.length) fail('unexpected text after the value');
  return { text, paths };
}

const FIELD_NAMES = new Set<string>(['registry', 'repository', 'image', 'name', 'tag', 'digest', 'sha']);

function layoutFor(template: string, paths: ValuesPath[], values: Values): { path: ValuesPath; layout: ImageLayout } {
  if (paths.length > 0) {
    const parent = paths[0]!.slice(0, -1);
    const sameParent = paths.every(
      (p) => p.length === parent.length + 1 && parent.every((x, i) => x === p[i]) && FIELD_NAMES.has(String(p[p.length - 1])),
    );
    if (sameParent && parent.length > 0) {
      const fields: Partial<Record<ImageField, string | null>> = {};
      for (const p of paths) {
        const v = getPath(values, p);
        fields[p[p.length - 1] as ImageField] = v === null || v === undefined || v === '' ? null : String(v);
      }
      const repo = fields.repository ?? fields.image ?? fields.name ?? '';
      const registryFrom = fields.registry ? 'self' : repo && hostOf(undefined, repo) ? 'repository' : 'none';
      return { path: parent, layout: { type: 'object', fields, registryFrom } };
    }
  }
  let common: ValuesPath = paths[0]?.slice(0, -1) ?? [];
  for (const p of paths) {
    let n = 0;
    while (n < common.length && n < p.length - 1 && common[n] === p[n]) n++;
    common = common.slice(0, n);
  }
  return { path: common, layout: { type: 'hint', template, paths } };
}

/** Evaluates one hint template into a finding. */
export function evaluateHint(template: string, ctx: HintContext): ImageFinding {
  const parts = template.split(/(\{\{-?|-?\}\})/);
  let text = '';
  const paths: ValuesPath[] = [];
  let inside = false;
  for (const part of parts) {
    if (/^\{\{-?$/.test(part)) inside = true;
    else if (/^-?\}\}$/.test(part)) inside = false;
    else if (inside) {
      const r = evaluate(part, template, ctx);
      text += r.text;
      paths.push(...r.paths);
    } else text += part;
  }
  text = text.trim();
  // An empty registry part leaves a leading "/": the chart then uses the repository's own host or Docker Hub.
  text = text.replace(/^\/+/, '');
  const { path, layout } = layoutFor(template, paths, ctx.values);
  const prefixed: ImageLayout =
    layout.type === 'hint' ? { ...layout, paths: layout.paths.map((p) => [...ctx.valuesPrefix, ...p]) } : layout;
  const base = {
    kind: 'hints' as const,
    chart: ctx.chart,
    file: ctx.file,
    path: [...ctx.valuesPrefix, ...path],
    layout: prefixed,
    ...(ctx.disabled ? { disabled: true } : {}),
    ...(ctx.builtin ? { builtin: true } : {}),
  };
  if (/:$/.test(text) || /:@/.test(text)) {
    return makeFinding(text, base, { error: `hint ${JSON.stringify(template)} gives an empty tag` });
  }
  return makeFinding(text, base);
}
