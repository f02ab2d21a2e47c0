/**
 * Go text/template execution (pure) with Helm's conventions: a missing value
 * prints as "" (Helm's missingkey=zero with "<no value>" removed), maps range
 * in key order, `and`/`or` short-circuit, `include` and `tpl` re-enter the
 * engine. Functions come from `funcs.ts`. The engine is lenient where Go is
 * strict about a field of nil (it gives nil): airlift reads charts to find
 * images, and a chart that helm renders must render here.
 */
import { TemplateError, parseTemplate, type Command, type Operand, type Pipe, type TNode } from './parse.js';
import { FUNCS, truthy, type FuncContext } from './funcs.js';
import { formatValue } from './print.js';

class BreakSignal {}
class ContinueSignal {}

type Vars = { name: string; value: unknown }[];

const MAX_DEPTH = 200;
const MAX_OUTPUT = 32 * 1024 * 1024;

export class Engine {
  readonly defines = new Map<string, TNode[]>();
  private depth = 0;

  /** Adds a template file: its defines become available to every template. Returns its body. */
  add(src: string, name: string): TNode[] {
    return parseTemplate(src, name, this.defines);
  }

  /** Renders a parsed body with `dot` as both `.` and `$`. */
  render(body: TNode[], dot: unknown, name: string): string {
    const out: string[] = [];
    this.list(body, dot, [{ name: '$', value: dot }], out, name);
    return out.join('');
  }

  /** Renders a template by its defined name (Helm's `include`). */
  include(tname: string, dot: unknown, from: string): string {
    const body = this.defines.get(tname);
    if (!body) throw new TemplateError(`${from}: no template ${JSON.stringify(tname)}`);
    if (++this.depth > MAX_DEPTH) throw new TemplateError(`${from}: templates nested deeper than ${MAX_DEPTH} (a loop?)`);
    try {
      return this.render(body, dot, from);
    } finally {
      this.depth--;
    }
  }

  /** Helm's `tpl`: parses `src` and renders it with `dot`; its defines are local. */
  tpl(src: string, dot: unknown, from: string): string {
    if (++this.depth > MAX_DEPTH) throw new TemplateError(`${from}: tpl nested deeper than ${MAX_DEPTH}`);
    try {
      const saved = new Map(this.defines);
      try {
        return this.render(parseTemplate(src, `${from} (tpl)`, this.defines), dot, from);
      } finally {
        this.defines.clear();
        for (const [k, v] of saved) this.defines.set(k, v);
      }
    } finally {
      this.depth--;
    }
  }

  private list(nodes: TNode[], dot: unknown, vars: Vars, out: string[], name: string): void {
    for (const n of nodes) this.node(n, dot, vars, out, name);
  }

  private node(n: TNode, dot: unknown, vars: Vars, out: string[], name: string): void {
    switch (n.t) {
      case 'text':
        out.push(n.v);
        break;
      case 'action': {
        const v = this.pipe(n.pipe, dot, vars, name, n.line);
        if (n.pipe.decl.length === 0) out.push(formatValue(v));
        break;
      }
      case 'if':
      case 'with': {
        const scope: Vars = [...vars];
        const v = this.pipe(n.pipe, dot, scope, name, n.line);
        if (truthy(v)) this.list(n.list, n.t === 'with' ? v : dot, scope, out, name);
        else if (n.else) this.list(n.else, dot, [...vars], out, name);
        break;
      }
      case 'range': {
        const scope: Vars = [...vars];
        const decl = n.pipe.decl;
        const v = this.pipe({ ...n.pipe, decl: [] }, dot, scope, name, n.line);
        const entries: [unknown, unknown][] = [];
        if (Array.isArray(v)) v.forEach((x, i) => entries.push([i, x]));
        else if (v !== null && typeof v === 'object') for (const k of Object.keys(v).sort()) entries.push([k, (v as Record<string, unknown>)[k]]);
        else if (typeof v === 'number' && Number.isInteger(v)) for (let i = 0; i < v; i++) entries.push([i, i]);
        else if (v !== null && v !== undefined && v !== '' && typeof v !== 'number') throw new TemplateError(`${name}:${n.line}: range can't iterate over ${formatValue(v)}`);
        if (entries.length === 0) {
          if (n.else) this.list(n.else, dot, [...vars], out, name);
          break;
        }
        for (const [k, x] of entries) {
          const inner: Vars = [...scope];
          if (decl.length === 1) inner.push({ name: decl[0]!, value: x });
          else if (decl.length === 2) inner.push({ name: decl[0]!, value: k }, { name: decl[1]!, value: x });
          try {
            this.list(n.list, x, inner, out, name);
          } catch (e) {
            if (e instanceof BreakSignal) break;
            if (e instanceof ContinueSignal) continue;
            throw e;
          }
        }
        break;
      }
      case 'template': {
        const arg = n.pipe ? this.pipe(n.pipe, dot, vars, name, n.line) : undefined;
        out.push(this.include(n.name, arg, name));
        break;
      }
      case 'break':
        throw new BreakSignal();
      case 'continue':
        throw new ContinueSignal();
    }
    if (out.length % 1024 === 0 && out.length > 0) {
      let n = 0;
      for (const x of out) n += x.length;
      if (n > MAX_OUTPUT) throw new TemplateError(`${name}: output over ${MAX_OUTPUT} bytes`);
    }
  }

  private pipe(p: Pipe, dot: unknown, vars: Vars, name: string, line: number): unknown {
    let v: unknown;
    let first = true;
    for (const c of p.cmds) {
      v = this.command(c, dot, vars, name, line, first ? undefined : { v });
      first = false;
    }
    if (p.decl.length === 1) {
      if (p.assign) {
        for (let i = vars.length - 1; i >= 0; i--) {
          if (vars[i]!.name === p.decl[0]) {
            // Cells are shared by the scopes copied from this one: an assignment inside
            // {{if}} or {{range}} changes the variable outside, as in Go.
            vars[i]!.value = v;
            return v;
          }
        }
        throw new TemplateError(`${name}:${line}: undefined variable ${p.decl[0]}`);
      }
      vars.push({ name: p.decl[0]!, value: v });
    }
    return v;
  }

  private variable(vars: Vars, n: string, name: string, line: number): unknown {
    for (let i = vars.length - 1; i >= 0; i--) if (vars[i]!.name === n) return vars[i]!.value;
    throw new TemplateError(`${name}:${line}: undefined variable ${n}`);
  }

  private command(c: Command, dot: unknown, vars: Vars, name: string, line: number, piped: { v: unknown } | undefined): unknown {
    const head = c[0]!;
    const ctx: FuncContext = {
      engine: this,
      from: name,
      line,
    };
    if (head.t === 'ident') {
      const fname = head.name;
      if (fname === 'and' || fname === 'or') {
        const args = c.slice(1);
        let last: unknown;
        for (const a of args) {
          last = this.operand(a, dot, vars, name, line);
          if (fname === 'and' ? !truthy(last) : truthy(last)) return last;
        }
        if (piped) last = piped.v;
        return last;
      }
      const fn = FUNCS[fname];
      if (!fn) throw new TemplateError(`${name}:${line}: function ${JSON.stringify(fname)} not defined`);
      const args = c.slice(1).map((a) => this.operand(a, dot, vars, name, line));
      if (piped) args.push(piped.v);
      return fn(ctx, ...args);
    }
    const v = this.operand(head, dot, vars, name, line, c.length > 1 || piped !== undefined);
    if (typeof v === 'function') {
      const args = c.slice(1).map((a) => this.operand(a, dot, vars, name, line));
      if (piped) args.push(piped.v);
      return (v as (...a: unknown[]) => unknown)(...args);
    }
    if (c.length > 1 || piped) throw new TemplateError(`${name}:${line}: can't give arguments to a non-function`);
    return v;
  }

  private operand(o: Operand, dot: unknown, vars: Vars, name: string, line: number, keepFunction = false): unknown {
    switch (o.t) {
      case 'str':
        return o.v;
      case 'num':
        return o.v;
      case 'bool':
        return o.v;
      case 'nil':
        return null;
      case 'dot':
        return this.chain(dot, o.chain, keepFunction);
      case 'var':
        return this.chain(this.variable(vars, o.name, name, line), o.chain, keepFunction);
      case 'paren':
        return this.chain(this.pipe(o.pipe, dot, [...vars], name, line), o.chain, keepFunction);
      case 'ident': {
        const fn = FUNCS[o.name];
        if (!fn) throw new TemplateError(`${name}:${line}: function ${JSON.stringify(o.name)} not defined`);
        return fn({ engine: this, from: name, line });
      }
    }
  }

  private chain(v: unknown, chain: string[], keepFunction: boolean): unknown {
    let cur = v;
    for (const [i, k] of chain.entries()) {
      if (cur === null || cur === undefined) return undefined;
      if (typeof cur === 'function') cur = (cur as () => unknown)();
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = Object.prototype.hasOwnProperty.call(cur, k) ? (cur as Record<string, unknown>)[k] : undefined;
      if (typeof cur === 'function' && (i < chain.length - 1 || !keepFunction)) {
        if (i === chain.length - 1 && !keepFunction) cur = (cur as () => unknown)();
      }
    }
    return cur;
  }
}
