/**
 * Helm values semantics (pure): deep merge of maps, lists replaced, `null`
 * in an overriding layer deletes the key; parent values under a subchart's
 * name or alias flow into it, and `global` flows into every subchart.
 */
import { isMap } from './yaml.js';
import type { ValuesPath } from './types.js';
import { childAt, hasPath, putChild } from './values-path.js';

export type Values = Record<string, unknown>;

function clone(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clone);
  if (isMap(v)) {
    const out: Values = {};
    for (const [k, x] of Object.entries(v)) putChild(out, k, clone(x));
    return out;
  }
  return v;
}

/**
 * `overlay` over `base`, as Helm coalesces: maps merge key by key, anything
 * else (lists included) is replaced, and a null in `overlay` removes the key.
 * Neither input is modified.
 */
export function mergeValues(base: Values, overlay: Values): Values {
  const out = clone(base) as Values;
  for (const [k, v] of Object.entries(overlay)) {
    if (v === null) {
      delete out[k];
    } else {
      const under = childAt(out, k);
      putChild(out, k, isMap(v) && isMap(under) ? mergeValues(under, v) : clone(v));
    }
  }
  return out;
}

/** Chart defaults, then each overriding layer in order (values files, --set, --set-string). */
export function mergeLayers(defaults: Values, layers: Values[]): Values {
  return layers.reduce((acc, l) => mergeValues(acc, l), clone(defaults) as Values);
}

/**
 * The values a subchart sees: its own defaults under the parent's values at
 * `key` (its name or alias), with the parent's `global` merged over its own.
 */
export function subchartValues(parent: Values, key: string, defaults: Values): Values {
  const own = childAt(parent, key);
  const fromParent = isMap(own) ? own : {};
  const merged = mergeValues(defaults, fromParent);
  const parentGlobal = isMap(parent.global) ? (parent.global as Values) : {};
  const ownGlobal = isMap(merged.global) ? (merged.global as Values) : {};
  merged.global = mergeValues(ownGlobal, parentGlobal);
  return merged;
}

export { formatPath, getPath, hasPath } from './values-path.js';

/** Where a values layer sits in the top-level values, for finding which file set a key. */
export interface ValuesLayer {
  file: string;
  values: Values;
  /** Top-level path this layer's root corresponds to ([] for the top chart, ['sub'] for a subchart's values.yaml). */
  prefix: ValuesPath;
}

/** The highest-precedence layer (first in `layers`) that sets `path` (a top-level values path). */
export function originOf(layers: ValuesLayer[], path: ValuesPath): string | undefined {
  for (const l of layers) {
    if (l.prefix.length > path.length) continue;
    if (!l.prefix.every((p, i) => p === path[i])) continue;
    if (hasPath(l.values, path.slice(l.prefix.length))) return l.file;
  }
  return undefined;
}
