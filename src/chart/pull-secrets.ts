/**
 * Where a chart reads image pull secrets (pure), for relocation: keys named
 * `imagePullSecrets`, `pullSecrets` or `imagePullSecretName` anywhere in the
 * merged values, with the form the chart uses there.
 */
import { isMap } from './yaml.js';
import type { Values } from './values.js';
import type { ValuesPath } from './types.js';

export interface PullSecretSlot {
  chart: string;
  /** Top-level values path of the key. */
  path: ValuesPath;
  /**
   * `names`: a list of strings; `objects`: a list of `{name}`; `string`: one
   * secret name (`imagePullSecretName`); `unknown`: an empty list or null, whose
   * form values alone cannot show.
   */
  form: 'names' | 'objects' | 'string' | 'unknown';
  /** Names already there. */
  existing: string[];
  disabled?: boolean;
}

const LIST_KEYS = new Set(['imagePullSecrets', 'pullSecrets']);
const STRING_KEYS = new Set(['imagePullSecretName']);

export function findPullSecretSlots(
  values: Values,
  ctx: { chart: string; valuesPrefix: ValuesPath; skipKeys?: ReadonlySet<string>; scanGlobal?: boolean; disabled?: boolean },
): PullSecretSlot[] {
  const out: PullSecretSlot[] = [];
  const walk = (node: unknown, p: ValuesPath): void => {
    if (Array.isArray(node)) {
      node.forEach((x, i) => walk(x, [...p, i]));
      return;
    }
    if (!isMap(node)) return;
    for (const [k, v] of Object.entries(node)) {
      if (p.length === 0 && (ctx.skipKeys?.has(k) || (k === 'global' && ctx.scanGlobal === false))) continue;
      // (made only for a slot: the walk passes every key of the values)
      const base = (): { chart: string; path: ValuesPath; disabled?: boolean } => ({ chart: ctx.chart, path: [...ctx.valuesPrefix, ...p, k], ...(ctx.disabled ? { disabled: true } : {}) });
      if (LIST_KEYS.has(k) && (Array.isArray(v) || v === null)) {
        const list = Array.isArray(v) ? v : [];
        const names = list.map((x) => (typeof x === 'string' ? x : isMap(x) && typeof x.name === 'string' ? x.name : undefined));
        const form = list.length === 0 ? 'unknown' : list.every((x) => typeof x === 'string') ? 'names' : 'objects';
        out.push({ ...base(), form, existing: names.filter((n): n is string => n !== undefined) });
      } else if (STRING_KEYS.has(k) && (typeof v === 'string' || v === null)) {
        out.push({ ...base(), form: 'string', existing: typeof v === 'string' && v !== '' ? [v] : [] });
      } else {
        walk(v, [...p, k]);
      }
    }
  };
  walk(values, []);
  return out;
}
