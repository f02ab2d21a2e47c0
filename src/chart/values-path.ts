/**
 * Values paths, pure: the one reading, test, writing and formatting of a path into Helm values
 * (`['image', 'repository']`, `['containers', 0, 'image']`), for the scan (src/chart) and the
 * relocation (src/relocate). A key is only ever a map's own key: `__proto__`, `constructor` or
 * `toString` in a chart's values or a --set are keys like any other, never the object's
 * prototype or its methods, and a write creates an own key, never touching a prototype.
 */
import { ConflictError } from '../errors.js';
import type { ValuesPath } from './types.js';
import { isMap } from './yaml.js';

export type { ValuesPath };

/** One step into a map (its own key) or a list (an index); undefined when there is none. */
export function childAt(node: unknown, seg: string | number): unknown {
  if (typeof seg === 'number') return Array.isArray(node) ? node[seg] : undefined;
  return isMap(node) && Object.prototype.hasOwnProperty.call(node, seg) ? node[seg] : undefined;
}

/** Sets a map's own key (also `__proto__`) or a list's index. */
export function putChild(node: Record<string, unknown> | unknown[], seg: string | number, value: unknown): void {
  if (typeof seg === 'number') (node as unknown[])[seg] = value;
  // on a map, an assignment makes the same own, enumerable, writable data property without a
  // runtime call; only `__proto__` (a setter on Object.prototype) has to be defined
  else if (seg === '__proto__' || Array.isArray(node)) Object.defineProperty(node, seg, { value, enumerable: true, writable: true, configurable: true });
  else (node as Record<string, unknown>)[seg] = value;
}

/** The value at `path`, or undefined when any step is missing. */
export function getPath(root: unknown, path: ValuesPath): unknown {
  let cur: unknown = root;
  for (const p of path) {
    cur = childAt(cur, p);
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** True when `path` exists in `root` (even with a null value). */
export function hasPath(root: unknown, path: ValuesPath): boolean {
  if (path.length === 0) return true;
  const parent = getPath(root, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (typeof last === 'number') return Array.isArray(parent) && last >= 0 && last < parent.length;
  return isMap(parent) && Object.prototype.hasOwnProperty.call(parent, last);
}

/**
 * Writes `value` at `path` into the tree `root`, creating maps on the way; `missing` gives what
 * to create where the path goes on with a list index (there is no list to index otherwise: it
 * throws). A step that holds something else than the path needs, or an index past a list's end,
 * is a ConflictError naming the path.
 */
export function setPath(root: Record<string, unknown>, path: ValuesPath, value: unknown, missing?: (prefix: ValuesPath) => unknown[]): void {
  if (path.length === 0) throw new ConflictError('cannot write the whole values tree');
  let cur: unknown = root;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    const next = path[i + 1]!;
    const child = childAt(cur, seg);
    if (child === undefined || child === null) {
      const created = typeof next === 'number' ? (missing?.(path.slice(0, i + 1)) ?? noList(path.slice(0, i + 1))) : {};
      putAt(cur, seg, created, path);
      cur = created;
    } else if (typeof next === 'number' ? Array.isArray(child) : isMap(child)) {
      cur = child;
    } else {
      throw new ConflictError(`cannot write ${formatPath(path)}: ${formatPath(path.slice(0, i + 1))} is already set to a value that is not a ${typeof next === 'number' ? 'list' : 'map'}`);
    }
  }
  putAt(cur, path[path.length - 1]!, value, path);
}

function noList(prefix: ValuesPath): never {
  throw new ConflictError(`cannot write below ${formatPath(prefix)}: the chart's values hold no list there`);
}

function putAt(node: unknown, seg: string | number, value: unknown, path: ValuesPath): void {
  if (typeof seg === 'number') {
    if (!Array.isArray(node) || seg < 0 || seg >= node.length) {
      throw new ConflictError(`cannot write ${formatPath(path)}: index ${seg} is not in the chart's list`);
    }
    node[seg] = value;
  } else if (isMap(node)) {
    putChild(node, seg, value);
  } else {
    throw new ConflictError(`cannot write ${formatPath(path)}: its parent is not a map`);
  }
}

/**
 * A dotted path in Helm's --set syntax: `a.b[0].c`; dots and other syntax inside keys are
 * escaped (`artifacthub\.io/images`), so the text can be given back to `--set`.
 */
export function formatPath(path: ValuesPath): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += (out === '' ? '' : '.') + p.replace(/([.[\],=\\])/g, '\\$1');
  }
  return out;
}

/** A path for people to read (`spec.containers[0].image`), keys as they are, nothing escaped. */
export function dottedPath(path: ValuesPath): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : p))
    .join('.')
    .replace(/\.\[/g, '[');
}
