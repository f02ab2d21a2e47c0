/**
 * Values paths and the overrides tree: reading a value from the charts'
 * merged values, and building the nested map Helm merges over them. Lists
 * are replaced whole by Helm, so a write below a list index copies the
 * chart's list and changes the copy.
 */
import type { ValuesPath } from '../chart/types.js';
import { formatPath } from '../chart/values.js';
import { ConflictError } from '../errors.js';
import type { ChartValues, ValueWrite } from './types.js';

export type Tree = Record<string, unknown>;

export function isMap(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A values path in Helm's --set syntax (`a.b[0].c`). */
export { formatPath };

export function samePath(a: ValuesPath, b: ValuesPath): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

export function isPrefix(prefix: ValuesPath, path: ValuesPath): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => s === path[i]);
}

export function getIn(root: unknown, path: ValuesPath): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (typeof seg === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[seg];
    } else {
      if (!isMap(cur)) return undefined;
      cur = cur[seg];
    }
  }
  return cur;
}

/**
 * The merged value at a top-level values path: looked up in the deepest
 * chart whose values live at a prefix of the path (a subchart sees its own
 * defaults merged with the parent's overrides).
 */
export function valueAt(charts: readonly ChartValues[], path: ValuesPath): unknown {
  let best: ChartValues | undefined;
  for (const c of charts) {
    if (isPrefix(c.path, path) && (!best || c.path.length > best.path.length)) best = c;
  }
  if (!best) return undefined;
  return getIn(best.values, path.slice(best.path.length));
}

function clone<T>(v: T): T {
  return v === undefined ? v : (structuredClone(v) as T);
}

/** Builds the overrides tree from writes. Two different values for one path are a conflict. */
export function buildTree(writes: readonly ValueWrite[], charts: readonly ChartValues[]): Tree {
  const root: Tree = {};
  const seen = new Map<string, unknown>();
  for (const w of writes) {
    const key = JSON.stringify(w.path);
    if (seen.has(key)) {
      if (JSON.stringify(seen.get(key)) !== JSON.stringify(w.value)) {
        throw new ConflictError(
          `two values for ${formatPath(w.path)}: ${JSON.stringify(seen.get(key))} and ${JSON.stringify(w.value)}`,
          { hint: 'the chart sets two images at the same values path; pass -f with an explicit value for it' },
        );
      }
      continue;
    }
    seen.set(key, w.value);
    setIn(root, w.path, clone(w.value), charts);
  }
  return root;
}

function setIn(root: Tree, path: ValuesPath, value: unknown, charts: readonly ChartValues[]): void {
  if (path.length === 0) throw new ConflictError('cannot write the whole values tree');
  let cur: unknown = root;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    const next = path[i + 1]!;
    const child = getChild(cur, seg);
    if (child === undefined || child === null) {
      // A list is replaced whole by Helm: start from the chart's own list.
      const created = typeof next === 'number' ? listFromChart(charts, path.slice(0, i + 1)) : {};
      putChild(cur, seg, created, path);
      cur = created;
    } else if (typeof next === 'number' ? Array.isArray(child) : isMap(child)) {
      cur = child;
    } else {
      throw new ConflictError(`cannot write ${formatPath(path)}: ${formatPath(path.slice(0, i + 1))} is already set to a value that is not a ${typeof next === 'number' ? 'list' : 'map'}`);
    }
  }
  putChild(cur, path[path.length - 1]!, value, path);
}

function listFromChart(charts: readonly ChartValues[], path: ValuesPath): unknown[] {
  const v = valueAt(charts, path);
  if (!Array.isArray(v)) {
    throw new ConflictError(`cannot write below ${formatPath(path)}: the chart's values hold no list there`);
  }
  return clone(v);
}

function getChild(node: unknown, seg: string | number): unknown {
  if (typeof seg === 'number') return Array.isArray(node) ? node[seg] : undefined;
  return isMap(node) ? node[seg] : undefined;
}

function putChild(node: unknown, seg: string | number, value: unknown, path: ValuesPath): void {
  if (typeof seg === 'number') {
    if (!Array.isArray(node) || seg < 0 || seg >= node.length) {
      throw new ConflictError(`cannot write ${formatPath(path)}: index ${seg} is not in the chart's list`);
    }
    node[seg] = value;
  } else if (isMap(node)) {
    node[seg] = value;
  } else {
    throw new ConflictError(`cannot write ${formatPath(path)}: its parent is not a map`);
  }
}

/** Deterministic key order: `global` first, then the rest sorted; list contents keep their order. */
export function sortTree(v: unknown, top = true): unknown {
  if (Array.isArray(v)) return v.map((x) => sortTree(x, false));
  if (!isMap(v)) return v;
  const keys = Object.keys(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (top && keys.includes('global')) {
    keys.splice(keys.indexOf('global'), 1);
    keys.unshift('global');
  }
  const out: Tree = {};
  for (const k of keys) out[k] = sortTree(v[k], false);
  return out;
}
