/**
 * Chart.lock's `digest`, computed as helm computes it (`resolver.HashReq`): sha256 of Go's
 * json.Marshal of `[Chart.yaml dependencies, Chart.lock dependencies]`, each dependency with
 * helm's field order and omitempty rules, Go's HTML escaping (`<` `>` `&` as \u003c …) and map
 * keys sorted. `helm dependency build` refuses a lock whose digest differs ("out of sync"); so
 * does airlift. Pure.
 */
import { sha256 } from '../../digest/index.js';

/** Go's encoding/json of a value decoded from YAML (maps with sorted keys, HTML-safe strings). */
export function goJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  if (typeof v === 'string') {
    return JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  }
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${goJson(k)}:${goJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** One dependency as helm's chart.Dependency marshals it (name, version?, repository, condition?, tags?, enabled?, import-values?, alias?). */
function dependencyJson(d: Record<string, unknown>): string {
  let s = `{"name":${goJson(str(d.name))}`;
  if (str(d.version) !== '') s += `,"version":${goJson(str(d.version))}`;
  s += `,"repository":${goJson(str(d.repository))}`;
  if (str(d.condition) !== '') s += `,"condition":${goJson(str(d.condition))}`;
  if (Array.isArray(d.tags) && d.tags.length > 0) s += `,"tags":${goJson(d.tags.map(str))}`;
  if (d.enabled === true) s += ',"enabled":true';
  if (Array.isArray(d['import-values']) && d['import-values'].length > 0) s += `,"import-values":${goJson(d['import-values'])}`;
  if (str(d.alias) !== '') s += `,"alias":${goJson(str(d.alias))}`;
  return `${s}}`;
}

function listJson(list: unknown): string {
  if (!Array.isArray(list)) return 'null';
  return `[${list.map((d) => dependencyJson(d && typeof d === 'object' ? (d as Record<string, unknown>) : {})).join(',')}]`;
}

/**
 * helm's digest of Chart.yaml's `dependencies` (as written, after `@name`/`alias:name` became the
 * repository URL, which the caller does) and Chart.lock's `dependencies`: 'sha256:<hex>'.
 */
export function lockDigest(chartDependencies: unknown, lockDependencies: unknown): string {
  const data = `[${listJson(chartDependencies)},${listJson(lockDependencies)}]`;
  return sha256(data);
}
