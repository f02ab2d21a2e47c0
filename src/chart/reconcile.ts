/**
 * Values findings checked against what the templates render (pure). The
 * rendered pods are the judge: a finding whose image is rendered gets
 * `where`; one whose registry or tag the template computes differently
 * (`printf "v%s" .Chart.AppVersion`, a default registry) takes the rendered
 * reference (`computed`); one the templates do not use with these values is
 * `notRendered`. A rendered image no finding accounts for is linked to the
 * values map it was built from when there is one (cert-manager's
 * `imageRegistry` + `imageNamespace` + `image.name`), and otherwise
 * reported as a template finding (a literal, or computed from no image value).
 */
import { formatReference, tryParseReference, type Reference } from '../reference/index.js';
import { makeFinding } from './assemble.js';
import type { RenderedFile } from './render.js';
import { scanRendered, type RenderedImage } from './rendered.js';
import { templateNamesImages } from './sources.js';
import { isMap } from './yaml.js';
import type { ImageFinding, ValuesPath } from './types.js';
import type { Values } from './values.js';

interface Rendered extends RenderedImage {
  ref: Reference;
  formatted: string;
  chain: string;
  file: string;
  template: string;
  matched: boolean;
  /** Set when the rendered string is a values string verbatim (an entry of an image map): its own source. */
  verbatim?: boolean;
}

export interface ReconcileInput {
  /** Findings of one top-level chart (values, hints, templates, annotations), modified in place. */
  findings: ImageFinding[];
  files: RenderedFile[];
  /** Chains of the charts that were rendered (enabled). */
  renderedChains: Set<string>;
  /** Each rendered chain's values prefix and merged values (for linking images built from split keys). */
  values: Map<string, { prefix: ValuesPath; values: Values; file: string }>;
}

export interface ReconcileOutput {
  /** Findings for rendered images no existing finding accounts for. */
  added: ImageFinding[];
  warnings: string[];
}

const lastSegment = (repo: string): string => repo.split('/').pop() ?? repo;
const repoWithoutLibrary = (r: Reference): string => (r.registry === 'docker.io' && r.repository.startsWith('library/') ? r.repository.slice(8) : r.repository);

/** Whether `chain` is `other` or one of its subcharts or parents (values flow between them). */
const related = (a: string, b: string): boolean => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);

export function reconcile(input: ReconcileInput): ReconcileOutput {
  const warnings: string[] = [];
  const rendered: Rendered[] = [];
  const judged = new Set<string>(input.renderedChains);
  const textByChain = new Map<string, string>();
  for (const f of input.files) {
    const chain = f.unit.chain;
    if (f.error !== undefined) {
      judged.delete(chain);
      warnings.push(`${chain}: ${f.template} could not be rendered (${f.error}); the images its values set are listed without checking them against the templates`);
      continue;
    }
    const text = f.text ?? '';
    textByChain.set(chain, (textByChain.get(chain) ?? '') + text);
    const scan = scanRendered(text, f.file);
    if (scan.error !== undefined) {
      judged.delete(chain);
      warnings.push(`${chain}: ${f.template} renders to invalid YAML (${scan.error.split('\n')[0]}); its images may be missing`);
      continue;
    }
    for (const img of scan.images) {
      const parsed = tryParseReference(img.image, { defaultTag: 'latest' });
      if (!parsed.ok) {
        warnings.push(`${chain}: ${f.template}: ${img.where} names ${JSON.stringify(img.image)}, which is not a valid image reference (${parsed.error.reason})`);
        continue;
      }
      rendered.push({ ...img, ref: parsed.ref, formatted: formatReference(parsed.ref), chain, file: f.file, template: f.template, matched: false });
    }
  }
  // A chart is judged by its pods: one whose templates write no container list and no image field
  // (values-only charts, a chart of ConfigMaps) may use its values' images in ways not seen here.
  // (each chart's templates looked at once, not once for each file it renders)
  const unitsOf = new Map<string, Set<RenderedFile['unit']>>();
  for (const f of input.files) {
    const units = unitsOf.get(f.unit.chain) ?? new Set();
    units.add(f.unit);
    unitsOf.set(f.unit.chain, units);
  }
  for (const chain of [...judged]) {
    const runs = [...(unitsOf.get(chain) ?? [])].some((u) => u.chart.templates.some((t) => templateNamesImages(t.text)));
    if (!runs) judged.delete(chain);
  }

  // The strings of each chain's values, indexed once (a walk of the whole values for each rendered image before).
  const strings = new Map<string, StringIndex>();
  const stringsOf = (chain: string): StringIndex | undefined => {
    const scope = input.values.get(chain);
    if (!scope) return undefined;
    let index = strings.get(chain);
    if (!index) strings.set(chain, (index = indexStrings(scope.values)));
    return index;
  };
  for (const r of rendered) {
    if (stringsOf(r.chain)?.get(r.image)) r.verbatim = true;
  }
  const byRef = new Map<string, Rendered[]>();
  for (const r of rendered) byRef.set(r.formatted, [...(byRef.get(r.formatted) ?? []), r]);
  const wheres = (rs: Rendered[]): string[] => [...new Set(rs.map((r) => `${r.where}${r.hook ? ' (hook)' : ''}`))];

  const candidates = input.findings.filter((f) => f.kind !== 'manifest');
  // 1. The same reference.
  const open: ImageFinding[] = [];
  for (const f of candidates) {
    const hits = f.ref ? (byRef.get(formatReference(f.ref)) ?? []) : [];
    if (hits.length > 0) {
      for (const h of hits) h.matched = true;
      f.where = wheres(hits);
      if (hits.every((h) => h.runtime)) f.runtime = true;
    } else open.push(f);
  }
  // 2. The same image with a tag or registry the template computes (or that values alone could not
  // complete: an empty tag and no appVersion): take the rendered reference.
  for (const f of open) {
    if (!judged.has(f.chart)) continue;
    const own = f.ref ?? (f.error !== undefined && f.raw ? tryParseReference(f.raw, { defaultTag: null }) : undefined);
    const ref = own && 'ok' in own ? (own.ok ? own.ref : undefined) : (own as Reference | undefined);
    if (!ref) continue;
    const repo = repoWithoutLibrary(ref);
    // A tag written in values is what the pod runs unless the template rewrites it; a rendered image of
    // the same repository with another tag is then another use (a literal in a template).
    const fixedTag = explicitTag(f);
    const same = (r: Rendered): boolean =>
      !r.verbatim &&
      related(r.chain, f.chart) &&
      (r.ref.repository === ref.repository || repoWithoutLibrary(r.ref) === repo) &&
      (!fixedTag || (r.ref.tag === ref.tag && r.ref.digest === ref.digest));
    // A repository the template prefixes with a hub or namespace (`{{ .hub }}/{{ .image }}`): the rendered
    // repository ends with the finding's, on an image nothing else accounts for.
    const prefixed = (r: Rendered): boolean =>
      !r.verbatim &&
      !r.matched &&
      (!fixedTag || (r.ref.tag === ref.tag && r.ref.digest === ref.digest)) &&
      related(r.chain, f.chart) &&
      r.ref.repository.endsWith(`/${repo}`);
    const hit = rendered.find((r) => !r.matched && same(r)) ?? rendered.find((r) => same(r) && r.ref.registry === ref.registry) ?? rendered.find(prefixed);
    if (!hit) continue;
    if (!same(hit) && (f.layout.type === 'sibling' || f.layout.type === 'object')) {
      // The rendered repository is <hub>/<the finding's>: say which value holds the hub.
      const scope = input.values.get(hit.chain);
      const hub = `${hit.ref.registry}/${hit.ref.repository.slice(0, hit.ref.repository.length - repo.length - 1)}`;
      const at = scope ? (findString(scope.values, hub) ?? findString({ global: scope.values.global }, hub, [], 0, true)) : undefined;
      if (at && scope) f.layout = { ...f.layout, hubPath: [...scope.prefix, ...at] };
    }
    const hits = rendered.filter((r) => r.formatted === hit.formatted);
    for (const h of hits) h.matched = true;
    f.raw = hit.image;
    f.ref = hit.ref;
    f.computed = true;
    delete f.error;
    delete f.tagDefaulted;
    f.where = wheres(hits);
    if (hits.every((h) => h.runtime)) f.runtime = true;
  }
  // 3. Not rendered with these values (kept when its text appears in the output: a ConfigMap, say).
  const relatedText = new Map<string, string>();
  for (const f of candidates) {
    if (f.where || !f.ref) continue;
    // A --hints entry is the user saying the image is needed: kept.
    if (f.kind === 'hints' && !f.builtin) continue;
    if (f.disabled || !input.renderedChains.has(f.chart)) {
      f.notRendered = true;
      continue;
    }
    if (!judged.has(f.chart)) continue;
    let text = relatedText.get(f.chart);
    if (text === undefined) relatedText.set(f.chart, (text = [...textByChain.entries()].filter(([c]) => related(c, f.chart)).map(([, t]) => t).join('\n')));
    // An image set in values and written elsewhere than a pod (a ConfigMap, a config file) still counts.
    const bounded = (s: string): RegExp => new RegExp(`(^|[\\s"'/=])${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[\\s"',])`, 'm');
    const tagged = `${lastSegment(f.ref.repository)}:${f.ref.tag ?? ''}`;
    if ((f.kind === 'values' || f.kind === 'hints') && (bounded(f.raw).test(text) || (f.ref.tag && !f.ref.digest && bounded(tagged).test(text)))) continue;
    f.notRendered = true;
  }
  // 4. Rendered images nothing accounts for.
  const added: ImageFinding[] = [];
  const seen = new Set<string>();
  for (const r of rendered) {
    if (r.matched) continue;
    const key = `${r.chain}\u0000${r.formatted}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const hits = rendered.filter((x) => !x.matched && x.formatted === r.formatted && x.chain === r.chain);
    const linked = linkToValues(r, input.values.get(r.chain), stringsOf(r.chain));
    const extra: Partial<ImageFinding> = { where: wheres(hits) };
    if (!(linked && linked.layout.type === 'string')) extra.computed = true;
    if (hits.every((h) => h.runtime)) extra.runtime = true;
    // The same repository as a values image whose tag the template rewrites (trimPrefix "v"): that map drives it.
    const sibling = linked ? undefined : candidates.find((f) => f.kind === 'values' && f.ref && related(f.chart, r.chain) && f.ref.registry === r.ref.registry && f.ref.repository === r.ref.repository);
    if (sibling) {
      added.push(makeFinding(r.image, { kind: 'values', chart: sibling.chart, file: sibling.file, path: sibling.path, layout: sibling.layout }, extra));
    } else if (linked) {
      // A finding at that path that could not be assembled from values alone (cert-manager's
      // image.tag without repository) is what the template completes.
      const samePath = (p: ValuesPath): boolean => p.length === linked.path.length && p.every((x, i) => x === linked.path[i]);
      const broken = candidates.find((f) => f.error !== undefined && samePath(f.path));
      if (broken) {
        const fixed = makeFinding(r.image, { kind: broken.kind, chart: broken.chart, file: broken.file, path: broken.path, layout: linked.layout }, extra);
        Object.assign(broken, fixed);
        delete broken.error;
        continue;
      }
      added.push(makeFinding(r.image, { kind: 'values', chart: r.chain, file: linked.file, path: linked.path, layout: linked.layout }, extra));
    } else {
      added.push(makeFinding(r.image, { kind: 'template', chart: r.chain, file: r.file, path: [], layout: { type: 'none' } }, extra));
    }
  }
  return { added, warnings };
}

/** The values path of a string equal to `s` (an image chosen from a map: `index .Values.versionImageMap .Values.version`). */
function findString(node: unknown, s: string, p: ValuesPath = [], depth = 0, withGlobal = false): ValuesPath | undefined {
  if (depth > 8) return undefined;
  if (Array.isArray(node)) {
    for (const [i, x] of node.entries()) {
      const hit = typeof x === 'string' ? (x.trim() === s ? [...p, i] : undefined) : findString(x, s, [...p, i], depth + 1);
      if (hit) return hit;
    }
    return undefined;
  }
  if (!isMap(node)) return undefined;
  for (const [k, v] of Object.entries(node)) {
    if (p.length === 0 && k === 'global' && !withGlobal) continue;
    const hit = typeof v === 'string' ? (v.trim() === s ? [...p, k] : undefined) : findString(v, s, [...p, k], depth + 1);
    if (hit) return hit;
  }
  return undefined;
}

/** Each trimmed string of a values tree and the path `findString` gives for it (its first, in the same walk). */
type StringIndex = Map<string, ValuesPath>;

/** `findString(values, s)` for every `s` at once: one walk in findString's order, the first path of each string kept. */
function indexStrings(values: Values): StringIndex {
  const index: StringIndex = new Map();
  const walk = (node: unknown, p: ValuesPath, depth: number): void => {
    if (depth > 8) return;
    if (Array.isArray(node)) {
      for (const [i, x] of node.entries()) {
        if (typeof x === 'string') {
          const k = x.trim();
          if (!index.has(k)) index.set(k, [...p, i]);
        } else walk(x, [...p, i], depth + 1);
      }
      return;
    }
    if (!isMap(node)) return;
    for (const [k, v] of Object.entries(node)) {
      if (p.length === 0 && k === 'global') continue;
      if (typeof v === 'string') {
        const t = v.trim();
        if (!index.has(t)) index.set(t, [...p, k]);
      } else walk(v, [...p, k], depth + 1);
    }
  };
  walk(values, [], 0);
  return index;
}

/** Whether the finding's tag (or digest) was written in values rather than defaulted. */
function explicitTag(f: ImageFinding): boolean {
  if (f.error !== undefined || f.tagDefaulted) return false;
  const l = f.layout;
  if (l.type === 'object') return Boolean(l.fields.tag || l.fields.digest || l.fields.sha);
  if (l.type === 'string') return /:[^/]+$/.test(f.raw) || f.raw.includes('@');
  return true;
}

/**
 * The values map a rendered image was assembled from when its fields are split across keys the
 * generic values rules do not join: a map under an image key with `name` (or `repository`) equal
 * to the image's last path segment, whose registry and namespace come from other values
 * (cert-manager: `imageRegistry` + `imageNamespace` + `<component>.image.name`).
 */
function linkToValues(
  r: Rendered,
  scope: { prefix: ValuesPath; values: Values; file: string } | undefined,
  strings: StringIndex | undefined,
): { path: ValuesPath; file: string; layout: ImageFinding['layout'] } | undefined {
  if (!scope) return undefined;
  const verbatim = strings?.get(r.image);
  if (verbatim) return { path: [...scope.prefix, ...verbatim], file: scope.file, layout: { type: 'string' } };
  const name = lastSegment(r.ref.repository);
  let found: ValuesPath | undefined;
  let fields: Record<string, string | null> = {};
  const walk = (node: unknown, p: ValuesPath, depth: number): void => {
    if (found || depth > 6 || !isMap(node)) return;
    for (const [k, v] of Object.entries(node)) {
      if (found) return;
      const repoField = typeof v === 'object' && v !== null && typeof (v as Values).repository === 'string' ? ((v as Values).repository as string) : '';
      // `{repository: quay.io/org, name: app}`: the image is repository/name.
      const joined = repoField !== '' && isMap(v) && v.name === name && `${r.ref.registry}/${r.ref.repository}`.endsWith(`${repoField.replace(/\/+$/, '')}/${name}`);
      if (/image$/i.test(k) && isMap(v) && (v.name === name || v.repository === name) && (!repoField.includes('/') || joined)) {
        found = [...p, k];
        fields = {};
        for (const f of ['registry', 'repository', 'name', 'tag', 'digest'] as const) {
          if (f in v) fields[f] = typeof v[f] === 'string' && v[f] !== '' ? (v[f] as string) : null;
        }
        return;
      }
      if (k !== 'global') walk(v, [...p, k], depth + 1);
    }
  };
  walk(scope.values, [], 0);
  if (!found) return undefined;
  // Top-level scalars that supply the registry and the namespace.
  let globalPath: ValuesPath | undefined;
  let namespacePath: ValuesPath | undefined;
  const ns = r.ref.repository.slice(0, Math.max(0, r.ref.repository.length - name.length - 1));
  for (const [k, v] of Object.entries(scope.values)) {
    if (typeof v !== 'string' || v === '') continue;
    if (!globalPath && /registry/i.test(k) && (v === r.ref.registry || `${r.ref.registry}/${ns}`.startsWith(`${v}/`) || `${r.ref.registry}/${ns}` === v)) globalPath = [k];
    else if (!namespacePath && /namespace|org|project|prefix/i.test(k) && ns !== '' && (ns === v || ns.endsWith(`/${v}`))) namespacePath = [k];
  }
  const layout: ImageFinding['layout'] = {
    type: 'object',
    fields,
    registryFrom: fields.registry ? 'self' : globalPath ? 'global' : fields.repository && fields.repository.includes('.') ? 'repository' : 'none',
    ...(globalPath && !fields.registry ? { globalPath: [...scope.prefix, ...globalPath] } : {}),
    ...(namespacePath ? { namespacePath: [...scope.prefix, ...namespacePath] } : {}),
  };
  return { path: [...scope.prefix, ...found], file: scope.file, layout };
}
