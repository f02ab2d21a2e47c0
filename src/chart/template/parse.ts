/**
 * Go text/template parsing (pure), the subset Helm charts write: text and
 * `{{ }}` actions with `{{-`/`-}}` trimming and comments; pipelines with
 * variable declarations and assignment; if / else if / else, range (with
 * `$i, $v :=`, else, break, continue), with / else with, define, template,
 * block. Parse errors name the template and line.
 */

export type Operand =
  | { t: 'dot'; chain: string[] }
  | { t: 'var'; name: string; chain: string[] }
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'nil' }
  | { t: 'ident'; name: string }
  | { t: 'paren'; pipe: Pipe; chain: string[] };

export type Command = Operand[];

export interface Pipe {
  decl: string[];
  /** `=` (assignment to an existing variable) rather than `:=`. */
  assign: boolean;
  cmds: Command[];
}

export type TNode =
  | { t: 'text'; v: string }
  | { t: 'action'; pipe: Pipe; line: number }
  | { t: 'if' | 'with'; pipe: Pipe; list: TNode[]; else?: TNode[]; line: number }
  | { t: 'range'; pipe: Pipe; list: TNode[]; else?: TNode[]; line: number }
  | { t: 'template'; name: string; pipe?: Pipe; line: number }
  | { t: 'break' | 'continue' };

export class TemplateError extends Error {}

type Tok =
  | { k: 'str'; v: string }
  | { k: 'num'; v: number }
  | { k: 'field'; chain: string[] }
  | { k: 'var'; name: string; chain: string[] }
  | { k: 'ident'; v: string }
  | { k: 'chain'; chain: string[] }
  | { k: '(' | ')' | '|' | ':=' | '=' | ',' };

interface Item {
  kind: 'text' | 'action';
  text: string;
  toks: Tok[];
  line: number;
}

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'block', 'template', 'break', 'continue']);

const GO_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0' };

function lexAction(src: string, start: number, name: string, line: number): { toks: Tok[]; end: number; trimRight: boolean } {
  const toks: Tok[] = [];
  let i = start;
  const fail = (msg: string): never => {
    throw new TemplateError(`${name}:${line}: ${msg}`);
  };
  const chainAt = (j: number): { chain: string[]; end: number } => {
    const chain: string[] = [];
    while (src[j] === '.' && /[A-Za-z0-9_]/.test(src[j + 1] ?? '')) {
      const m = /^\.([A-Za-z0-9_]+)/.exec(src.slice(j, j + 200))!;
      chain.push(m[1]!);
      j += m[0].length;
    }
    return { chain, end: j };
  };
  for (;;) {
    while (i < src.length && /\s/.test(src[i]!)) i++;
    if (i >= src.length) fail('unclosed action');
    if (src.startsWith('-}}', i) && /\s/.test(src[i - 1] ?? '')) return { toks, end: i + 3, trimRight: true };
    if (src.startsWith('}}', i)) return { toks, end: i + 2, trimRight: false };
    const c = src[i]!;
    if (src.startsWith('/*', i)) {
      const e = src.indexOf('*/', i + 2);
      if (e < 0) fail('unclosed comment');
      i = e + 2;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let v = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\') {
          const n = src[j + 1] ?? '';
          if (n === 'u' || n === 'x' || n === 'U') {
            const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
            v += String.fromCodePoint(parseInt(src.slice(j + 2, j + 2 + len), 16));
            j += 2 + len;
          } else {
            v += GO_ESCAPES[n] ?? n;
            j += 2;
          }
        } else v += src[j++];
      }
      if (j >= src.length) fail('unterminated string');
      toks.push({ k: 'str', v });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const e = src.indexOf('`', i + 1);
      if (e < 0) fail('unterminated raw string');
      toks.push({ k: 'str', v: src.slice(i + 1, e) });
      i = e + 1;
      continue;
    }
    if (c === "'") {
      const m = /^'(\\.|[^'\\])'/.exec(src.slice(i, i + 4));
      if (!m) fail('bad character constant');
      const ch = m![1]!.startsWith('\\') ? (GO_ESCAPES[m![1]![1]!] ?? m![1]![1]!) : m![1]!;
      toks.push({ k: 'num', v: ch.codePointAt(0)! });
      i += m![0].length;
      continue;
    }
    if (c === '(' || c === ')' || c === '|' || c === ',') {
      toks.push({ k: c });
      i++;
      if (c === ')') {
        const ch = chainAt(i);
        if (ch.chain.length) toks.push({ k: 'chain', chain: ch.chain });
        i = ch.end;
      }
      continue;
    }
    if (src.startsWith(':=', i)) {
      toks.push({ k: ':=' });
      i += 2;
      continue;
    }
    if (c === '=') {
      toks.push({ k: '=' });
      i++;
      continue;
    }
    const num = /^[-+]?(0[xX][0-9a-fA-F_]+|(\d[\d_]*)?\.?\d[\d_]*([eE][-+]?\d+)?)/.exec(src.slice(i, i + 64));
    if (num && num[0] !== '' && !(c === '.' && /[A-Za-z_]/.test(src[i + 1] ?? '')) && /[\d]/.test(num[0])) {
      toks.push({ k: 'num', v: Number(num[0].replace(/_/g, '')) });
      i += num[0].length;
      continue;
    }
    if (c === '.') {
      const ch = chainAt(i);
      toks.push({ k: 'field', chain: ch.chain });
      i = ch.chain.length ? ch.end : i + 1;
      continue;
    }
    if (c === '$') {
      const m = /^\$[A-Za-z0-9_]*/.exec(src.slice(i, i + 200))!;
      const ch = chainAt(i + m[0].length);
      toks.push({ k: 'var', name: m[0], chain: ch.chain });
      i = ch.end;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i, i + 200));
    if (id) {
      toks.push({ k: 'ident', v: id[0] });
      i += id[0].length;
      // `with.Values.x` is the keyword `with` and the field `.Values.x`.
      const ch = KEYWORDS.has(id[0]) ? { chain: [], end: i } : chainAt(i);
      if (ch.chain.length) {
        toks.push({ k: 'chain', chain: ch.chain });
        i = ch.end;
      }
      continue;
    }
    fail(`unexpected ${JSON.stringify(c)} in action`);
  }
}

/** The line feeds in `src` from `from` up to `to` (counted in place: a chart's text between actions runs to megabytes). */
function newlines(src: string, from: number, to: number): number {
  let n = 0;
  for (let k = from; k < to; k++) if (src.charCodeAt(k) === 10) n++;
  return n;
}

function lex(src: string, name: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  let line = 1;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.trimStart();
    trimNext = false;
    if (open < 0) {
      items.push({ kind: 'text', text, toks: [], line });
      break;
    }
    const trimLeft = src[open + 2] === '-' && /\s/.test(src[open + 3] ?? '');
    if (trimLeft) text = text.trimEnd();
    items.push({ kind: 'text', text, toks: [], line });
    line += newlines(src, i, open);
    const r = lexAction(src, open + (trimLeft ? 3 : 2), name, line);
    line += newlines(src, open, r.end);
    if (r.toks.length) items.push({ kind: 'action', text: '', toks: r.toks, line });
    trimNext = r.trimRight;
    i = r.end;
  }
  return items;
}

class Parser {
  pos = 0;
  constructor(
    private readonly items: Item[],
    private readonly name: string,
    readonly defines: Map<string, TNode[]>,
  ) {}

  fail(msg: string, line: number): never {
    throw new TemplateError(`${this.name}:${line}: ${msg}`);
  }

  /** Parses until one of `stops` (an action whose first word is one); returns the list and the stopping item. */
  list(stops: string[]): { nodes: TNode[]; stop?: Item } {
    const nodes: TNode[] = [];
    while (this.pos < this.items.length) {
      const it = this.items[this.pos++]!;
      if (it.kind === 'text') {
        if (it.text) nodes.push({ t: 'text', v: it.text });
        continue;
      }
      const first = it.toks[0]!;
      const kw = first.k === 'ident' ? first.v : '';
      if (stops.includes(kw)) return { nodes, stop: it };
      const rest = it.toks.slice(1);
      switch (kw) {
        case 'if':
        case 'with':
        case 'range':
          nodes.push(this.control(kw, rest, it.line));
          break;
        case 'define':
        case 'block': {
          const n = rest[0];
          if (n?.k !== 'str') this.fail(`${kw} needs a quoted name`, it.line);
          const body = this.list(['end']);
          if (!body.stop) this.fail(`${kw} ${JSON.stringify(n.v)} has no end`, it.line);
          this.defines.set(n.v, body.nodes);
          if (kw === 'block') nodes.push({ t: 'template', name: n.v, pipe: this.pipe(rest.slice(1), it.line), line: it.line });
          break;
        }
        case 'template': {
          const n = rest[0];
          if (n?.k !== 'str') this.fail('template needs a quoted name', it.line);
          const node: TNode = { t: 'template', name: n.v, line: it.line };
          if (rest.length > 1) node.pipe = this.pipe(rest.slice(1), it.line);
          nodes.push(node);
          break;
        }
        case 'break':
        case 'continue':
          nodes.push({ t: kw });
          break;
        case 'end':
        case 'else':
          this.fail(`unexpected {{${kw}}}`, it.line);
          break;
        default:
          nodes.push({ t: 'action', pipe: this.pipe(it.toks, it.line), line: it.line });
      }
    }
    return { nodes };
  }

  control(kw: 'if' | 'with' | 'range', toks: Tok[], line: number): TNode {
    const pipe = this.pipe(toks, line);
    const body = this.list(['else', 'end']);
    if (!body.stop) this.fail(`{{${kw}}} has no end`, line);
    const node: { t: 'if' | 'with' | 'range'; pipe: Pipe; list: TNode[]; else?: TNode[]; line: number } = { t: kw, pipe, list: body.nodes, line };
    if (body.stop.toks[0]!.k === 'ident' && (body.stop.toks[0] as { v: string }).v === 'else') {
      const after = body.stop.toks.slice(1);
      const a0 = after[0];
      if (a0?.k === 'ident' && (a0.v === 'if' || a0.v === 'with')) {
        // `else if` / `else with`: a nested control that shares this one's end.
        node.else = [this.control(a0.v, after.slice(1), body.stop.line)];
      } else {
        const e = this.list(['end']);
        if (!e.stop) this.fail(`{{${kw}}} has no end`, line);
        node.else = e.nodes;
      }
    }
    return node;
  }

  pipe(toks: Tok[], line: number): Pipe {
    const p: Pipe = { decl: [], assign: false, cmds: [] };
    let i = 0;
    // Declarations: $x := / $x = / $i, $v :=
    const t0 = toks[0];
    if (t0?.k === 'var' && t0.chain.length === 0) {
      if (toks[1]?.k === ':=' || toks[1]?.k === '=') {
        p.decl = [t0.name];
        p.assign = toks[1].k === '=';
        i = 2;
      } else if (toks[1]?.k === ',' && toks[2]?.k === 'var' && toks[3]?.k === ':=') {
        p.decl = [t0.name, (toks[2] as { name: string }).name];
        i = 4;
      }
    }
    const r = this.cmds(toks, i, line);
    if (r.end !== toks.length) this.fail('unexpected ")"', line);
    p.cmds = r.cmds;
    return p;
  }

  cmds(toks: Tok[], start: number, line: number): { cmds: Command[]; end: number } {
    const cmds: Command[] = [];
    let cur: Command = [];
    let i = start;
    while (i < toks.length) {
      const t = toks[i]!;
      if (t.k === ')') break;
      if (t.k === '|') {
        if (!cur.length) this.fail('empty command in pipeline', line);
        cmds.push(cur);
        cur = [];
        i++;
        continue;
      }
      if (t.k === '(') {
        const inner = this.cmds(toks, i + 1, line);
        if (toks[inner.end]?.k !== ')') this.fail('unclosed "("', line);
        i = inner.end + 1;
        let chain: string[] = [];
        const nx = toks[i];
        if (nx?.k === 'chain') {
          chain = nx.chain;
          i++;
        }
        cur.push({ t: 'paren', pipe: { decl: [], assign: false, cmds: inner.cmds }, chain });
        continue;
      }
      i++;
      switch (t.k) {
        case 'str':
          cur.push({ t: 'str', v: t.v });
          break;
        case 'num':
          cur.push({ t: 'num', v: t.v });
          break;
        case 'field':
          cur.push({ t: 'dot', chain: t.chain });
          break;
        case 'var':
          cur.push({ t: 'var', name: t.name, chain: t.chain });
          break;
        case 'ident': {
          if (t.v === 'true' || t.v === 'false') cur.push({ t: 'bool', v: t.v === 'true' });
          else if (t.v === 'nil') cur.push({ t: 'nil' });
          else cur.push({ t: 'ident', name: t.v });
          const nx = toks[i];
          if (nx?.k === 'chain') {
            // A field chain on a function's result (`include "x" . | fromYaml` is the usual way; this is rare).
            i++;
          }
          break;
        }
        default:
          this.fail(`unexpected ${t.k} in pipeline`, line);
      }
    }
    if (cur.length) cmds.push(cur);
    return { cmds, end: i };
  }
}

/** Parses one template file; its `define`s are added to `defines`. */
export function parseTemplate(src: string, name: string, defines: Map<string, TNode[]>): TNode[] {
  const p = new Parser(lex(src, name), name, defines);
  const r = p.list([]);
  return r.nodes;
}
