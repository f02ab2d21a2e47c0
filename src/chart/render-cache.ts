/**
 * Rendered charts kept by content: the same charts (templates, Chart.yaml, template paths) with
 * the same merged values render to the same files, so a chart given again (a copy of it, or the
 * same chart in another directory) is not rendered again. The key is a sha256 of everything
 * `renderCharts` reads from its units except where the chart sits on disk (`file` is made again
 * from the unit); what the templates changed in `.Values` (sprig's `set` and `unset`) is kept
 * too, frozen, and a unit answered from the cache reads it. Bounded by the size of the texts
 * kept; values that JSON cannot tell apart exactly (NaN, -0, a bigint) are not cached.
 */
import { createHash } from 'node:crypto';
import { renderCharts, type RenderedFile, type RenderUnit } from './render.js';
import { exactJson } from './text-cache.js';
import type { Values } from './values.js';

interface Kept {
  files: { unit: number; template: string; text?: string; error?: string }[];
  /** Each unit's values after rendering. */
  values: Values[];
  chars: number;
}

const MAX_CHARS = 16 * 1024 * 1024;
const kept = new Map<string, Kept>();
let keptChars = 0;

function keyOf(units: RenderUnit[]): string | undefined {
  const h = createHash('sha256');
  try {
    for (const u of units) {
      h.update(exactJson([u.tplPrefix, u.chain, u.depth, u.chart.type, u.chart.metadata, u.values, u.chart.templates.length]));
      // a file's text by the sha256 of its bytes (the text is their decoding), else by the text
      for (const t of u.chart.templates) {
        if (t.digest !== undefined) h.update(`\n${t.name.length}:${t.name}#${t.digest}`);
        else h.update(`\n${t.name.length}:${t.name}${t.text.length}:`).update(t.text);
      }
      h.update('\n');
    }
  } catch {
    return undefined;
  }
  return h.digest('hex');
}

function fileOf(u: RenderUnit, template: string): string {
  return u.chart.packaged ? `${u.chart.path}!/${template}` : `${u.chart.path}/${template}`;
}

/** A kept render's values, frozen: every unit answered from it reads the same objects. */
function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/**
 * `renderCharts`, answered from an earlier render of the same content when there is one. The
 * values the units come with are not changed (they may be views into other values): each unit's
 * values are replaced by what rendering left of them, a copy of its own where a render runs, and
 * the kept render's frozen values where it is answered from one (read them only).
 */
export function renderChartsKept(units: RenderUnit[]): RenderedFile[] {
  const key = keyOf(units);
  const hit = key !== undefined ? kept.get(key) : undefined;
  if (hit) {
    kept.delete(key!);
    kept.set(key!, hit);
    units.forEach((u, i) => (u.values = hit.values[i]!));
    return hit.files.map((f) => {
      const u = units[f.unit]!;
      return { unit: u, template: f.template, file: fileOf(u, f.template), ...(f.text !== undefined ? { text: f.text } : {}), ...(f.error !== undefined ? { error: f.error } : {}) };
    });
  }
  for (const u of units) u.values = structuredClone(u.values);
  const files = renderCharts(units);
  if (key === undefined) return files;
  const index = new Map(units.map((u, i) => [u, i]));
  let chars = 0;
  const entry: Kept = {
    files: files.map((f) => {
      chars += (f.text?.length ?? 0) + (f.error?.length ?? 0);
      return { unit: index.get(f.unit)!, template: f.template, ...(f.text !== undefined ? { text: f.text } : {}), ...(f.error !== undefined ? { error: f.error } : {}) };
    }),
    values: units.map((u) => deepFreeze(structuredClone(u.values))),
    chars,
  };
  if (chars > MAX_CHARS / 4) return files;
  kept.set(key, entry);
  keptChars += chars;
  for (const [k, e] of kept) {
    if (keptChars <= MAX_CHARS) break;
    kept.delete(k);
    keptChars -= e.chars;
  }
  return files;
}
