/**
 * The import graph of the TypeScript sources: every relative `import`/`export … from`, `import type`
 * and `import('…')` of each file, resolved to files, and the circles in it (strongly connected
 * components of more than one file, or a file importing itself).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface ImportEdge {
  to: string;
  typeOnly: boolean;
}

const SPECIFIER = /(?:^|[\s;}])(import|export)\s+(type\s+)?(?:[\w*{}\s,$]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && !e.name.startsWith('.')) out.push(...tsFiles(p));
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function resolve(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, path.join(base, 'index.ts')]) {
    try {
      if (statSync(c).isFile() && c.endsWith('.ts')) return c;
    } catch {
      // not this candidate
    }
  }
  return undefined;
}

/** Strips comments (line and block) so that examples in them are not read as imports. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** file → its relative imports, for every .ts file under `roots` (paths relative to `repo`). */
export function importGraph(repo: string, roots: string[]): Map<string, ImportEdge[]> {
  const graph = new Map<string, ImportEdge[]>();
  for (const root of roots) {
    for (const file of tsFiles(path.join(repo, root))) {
      const edges: ImportEdge[] = [];
      for (const m of code(readFileSync(file, 'utf8')).matchAll(SPECIFIER)) {
        const spec = m[3] ?? m[4]!;
        const to = resolve(file, spec);
        if (to) edges.push({ to: path.relative(repo, to), typeOnly: Boolean(m[2]) });
      }
      graph.set(path.relative(repo, file), edges);
    }
  }
  return graph;
}

/** The circles: each a sorted list of files that import one another, directly or not (Tarjan's SCC). */
export function importCircles(graph: Map<string, ImportEdge[]>, opts: { withTypeOnly: boolean }): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const next = (v: string): string[] => (graph.get(v) ?? []).filter((e) => opts.withTypeOnly || !e.typeOnly).map((e) => e.to);
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || next(v).includes(v)) circles.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return circles;
}
