/**
 * Values paths and the overrides tree: reading a value from the charts'
 * merged values, and building the nested map Helm merges over them. Lists
 * are replaced whole by Helm, so a write below a list index copies the
 * chart's list and changes the copy.
 */
import type { ValuesPath } from '../chart/types.js';
import { formatPath, getPath, putChild, setPath } from '../chart/values-path.js';
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
  return getPath(best.values, path.slice(best.path.length));
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
    // A list is replaced whole by Helm: a write below an index starts from the chart's own list.
    setPath(root, w.path, clone(w.value), (prefix) => listFromChart(charts, prefix));
  }
  return root;
}

function listFromChart(charts: readonly ChartValues[], path: ValuesPath): unknown[] {
  const v = valueAt(charts, path);
  if (!Array.isArray(v)) {
    throw new ConflictError(`cannot write below ${formatPath(path)}: the chart's values hold no list there`);
  }
  return clone(v);
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
  for (const k of keys) putChild(out, k, sortTree(v[k], false));
  return out;
}
