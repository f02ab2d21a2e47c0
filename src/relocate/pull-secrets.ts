/**
 * Pull secrets (pure): the lists to write at every place the chart reads
 * image pull secrets (found by the scanner: `imagePullSecrets`,
 * `pullSecrets`, `imagePullSecretName`, at the top, per component, per image,
 * under `serviceAccount`, and `global.imagePullSecrets`), each in the form
 * the chart uses at that place.
 */
import type { PullSecretSlot } from '../chart/pull-secrets.js';
import type { ValuesPath } from '../chart/types.js';
import { samePath } from './values-tree.js';
import type { PullSecretForm, PullSecretWrite } from './types.js';

const GLOBAL_PATH: ValuesPath = ['global', 'imagePullSecrets'];

function keyOf(path: ValuesPath): string {
  return String(path[path.length - 1]);
}

function scopeOf(path: ValuesPath): PullSecretWrite['scope'] {
  if (samePath(path, GLOBAL_PATH)) return 'global';
  const parent = path[path.length - 2];
  if (parent === 'serviceAccount') return 'serviceAccount';
  if (typeof parent === 'string' && /image$/i.test(parent)) return 'image';
  return 'component';
}

/**
 * The form for a list the values leave empty: what the same chart writes in
 * its non-empty lists under the same key; else names for `pullSecrets`
 * (the image objects of Bitnami and Grafana charts take names, Grafana only
 * names) and `{name}` objects for `imagePullSecrets` (most charts copy it
 * into the pod spec as is; the Bitnami and kube-prometheus-stack helpers
 * accept both).
 */
function defaultForm(slots: readonly PullSecretSlot[], chart: string, key: string): PullSecretForm {
  for (const s of slots) {
    if (s.chart === chart && keyOf(s.path) === key && (s.form === 'names' || s.form === 'objects')) return s.form;
  }
  return key === 'pullSecrets' ? 'names' : 'objects';
}

function namesOf(list: unknown[]): string[] {
  return list
    .map((e) => (typeof e === 'string' ? e : typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string' ? (e as { name: string }).name : undefined))
    .filter((n): n is string => n !== undefined);
}

function build(slot: PullSecretSlot, form: PullSecretForm, names: readonly string[], declared: boolean, existing: unknown[]): PullSecretWrite {
  const scope = scopeOf(slot.path);
  if (form === 'string') {
    return { path: slot.path, form, value: names[0]!, scope, declared };
  }
  const value: (string | { name: string })[] = [];
  const have = new Set<string>();
  for (const e of existing) {
    const n = typeof e === 'string' ? e : typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string' ? (e as { name: string }).name : undefined;
    if (n === undefined || have.has(n)) continue;
    have.add(n);
    value.push(typeof e === 'string' ? n : { name: n });
  }
  for (const n of names) {
    if (have.has(n)) continue;
    have.add(n);
    value.push(form === 'names' ? n : { name: n });
  }
  return { path: slot.path, form, value, scope, declared };
}

/**
 * Writes for `names` at every slot (the chart's own entries kept, ours
 * appended; a single-name key such as `imagePullSecretName` gets the first
 * name), plus `global.imagePullSecrets` when the chart does not declare it.
 * `existingAt` gives the chart's current list at a path (entries of
 * mixed lists keep their own form).
 */
export function planPullSecrets(
  slots: readonly PullSecretSlot[],
  names: readonly string[],
  topChart: string,
  existingAt: (path: ValuesPath) => unknown,
  documented: ReadonlyMap<string, PullSecretForm> = new Map(),
  consumed: ReadonlyMap<string, PullSecretForm> = new Map(),
): PullSecretWrite[] {
  if (names.length === 0) return [];
  const out: PullSecretWrite[] = [];
  if (!slots.some((s) => samePath(s.path, GLOBAL_PATH))) {
    const slot: PullSecretSlot = { chart: topChart, path: GLOBAL_PATH, form: 'unknown', existing: [] };
    out.push(build(slot, consumed.get(JSON.stringify(GLOBAL_PATH)) ?? defaultForm(slots, topChart, 'imagePullSecrets'), names, false, []));
  }
  const seen = new Set<string>();
  for (const s of slots) {
    const k = JSON.stringify(s.path);
    if (seen.has(k)) continue;
    seen.add(k);
    // The form the templates read it in; else for an empty list the form the chart's comments show there, else the chart's habit (defaultForm).
    const read = s.form === 'string' ? undefined : consumed.get(k);
    const form: PullSecretForm = read ?? (s.form === 'unknown' ? (documented.get(k) ?? defaultForm(slots, s.chart, keyOf(s.path))) : s.form);
    const cur = existingAt(s.path);
    // Without the chart's list at hand, its names are written back in the form in use there.
    // Where the templates show the form, every entry takes it (a chart default in the other form would not render).
    const existing = Array.isArray(cur) && !read ? cur : (Array.isArray(cur) ? namesOf(cur) : s.existing).map((n) => (form === 'objects' ? { name: n } : n));
    out.push(build(s, form, names, true, existing));
  }
  return out;
}
