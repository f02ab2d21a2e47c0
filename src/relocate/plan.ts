/**
 * planRelocation (pure): from the scan findings, the values to write so
 * that every image the chart sets in values is pulled from the mirror.
 */
import type { PullSecretSlot } from '../chart/pull-secrets.js';
import type { ImageFinding, ValuesPath } from '../chart/types.js';
import { InputError } from '../errors.js';
import { formatTarget, mapReferences, parseTarget, type MappingMode, type Target } from '../mapping/index.js';
import { formatReference, repositoryString, type Reference } from '../reference/index.js';
import {
  digestWrites,
  hintWrites,
  repoKeyOf,
  siblingWrites,
  splitDestination,
  stringWrites,
  type DestSplit,
  type ObjectLayout,
} from './layouts.js';
import { planPullSecrets } from './pull-secrets.js';
import { buildTree, formatPath, valueAt } from './values-tree.js';
import type { ChartValues, GateWrite, GlobalDecision, NoPullSecret, PlannedImage, PullSecretForm, RelocationPlan, UnrelocatableImage, ValueWrite } from './types.js';

export interface PlanOptions {
  /** "HOST[:PORT][/PREFIX]" or a parsed target. */
  target: string | Target;
  mode?: MappingMode;
  /**
   * Pin digests: formatReference(source) → digest of what landed in the
   * mirror (from a lock, or resolved from the mirror). An image missing here
   * keeps the digest its reference already has, or is an error.
   */
  digests?: ReadonlyMap<string, string>;
  /** Names for `--pull-secret`. */
  pullSecrets?: readonly string[];
  /** Where the charts read pull secrets (`scanCharts(...).pullSecrets`). */
  pullSecretSlots?: readonly PullSecretSlot[];
  /** Forms of empty pull-secret lists as the charts' comments document them (JSON of the values path → form). */
  pullSecretForms?: ReadonlyMap<string, PullSecretForm>;
  /** Forms the charts' templates read pull-secret values in (JSON of the values path → form); wins over the others. */
  pullSecretConsumed?: ReadonlyMap<string, PullSecretForm>;
  /** Merged values per chart, for writes below list indices and pull-secret lists. */
  chartsValues?: readonly ChartValues[];
  /** Top-level chart names for the header (default: from the findings). */
  charts?: readonly string[];
  /** "airlift 0.1.0" */
  generator?: string;
  /** How the templates write each `sha` field (JSON of its values path → bare hex or whole digest). */
  shaForms?: ReadonlyMap<string, 'hex' | 'digest'>;
  /** Image checks to switch off (from the charts' templates: `chartTemplateFacts`). */
  gates?: readonly GateWrite[];
  /** Workloads no pull-secret value reaches (from the charts' templates), reported when pull secrets are asked for. */
  noPullSecret?: readonly NoPullSecret[];
}

const NOT_IN_VALUES: Record<string, string> = {
  template: 'written literally in a chart template',
  annotation: 'listed in a Chart.yaml image annotation only',
  manifest: 'read from rendered manifests',
};

/** Whether values overrides can point this finding at the mirror. */
export function relocatable(f: ImageFinding): boolean {
  if (!f.ref) return false;
  if (f.kind !== 'values' && f.kind !== 'hints') return false;
  const t = f.layout.type;
  if (t === 'object' || t === 'string' || t === 'sibling') return true;
  return t === 'hint' && hintWrites(f.layout.template, f.layout.paths, f.ref) !== undefined;
}

interface GlobalMember {
  image: PlannedImage;
  layout: ObjectLayout;
  split: DestSplit;
  dest: Reference;
}

export function planRelocation(findings: readonly ImageFinding[], opts: PlanOptions): RelocationPlan {
  const target = typeof opts.target === 'string' ? parseTarget(opts.target) : opts.target;
  const root = formatTarget(target);
  const mode: MappingMode = opts.mode ?? 'default';
  const chartsValues = opts.chartsValues ?? [];

  // A guess the rendered templates superseded (a finding not rendered at a path where a rendered one is) is left out.
  const renderedAt = new Set(findings.filter((f) => f.kind === 'values' && !f.notRendered && f.where !== undefined).map((f) => JSON.stringify(f.path)));
  const superseded = (f: ImageFinding): boolean => f.notRendered === true && renderedAt.has(JSON.stringify(f.path));
  const movable = findings.filter((f) => relocatable(f) && !superseded(f));
  const uniqueRefs = new Map<string, Reference>();
  for (const f of movable) uniqueRefs.set(formatReference(f.ref!), f.ref!);
  const mapped = mapReferences([...uniqueRefs.values()], target, mode);

  const pinFor = (src: Reference, optional: boolean): string | undefined => {
    if (!opts.digests) return undefined;
    const d = opts.digests.get(formatReference(src)) ?? src.digest;
    if (!d && optional) return undefined; // not rendered with these values, and not in the mirror
    if (!d) {
      throw new InputError(`no digest known for ${formatReference(src)}: it is not in the lock and its reference has none`, {
        hint: 'give the lock of the load or sync that copied it (--lock FILE), or leave out --digests',
      });
    }
    return d;
  };

  const images: PlannedImage[] = [];
  const groups = new Map<string, { path: ValuesPath; members: GlobalMember[] }>();

  for (const f of movable) {
    const src = f.ref!;
    const pin = pinFor(src, f.notRendered === true);
    const mappedDest = mapped.get(formatReference(src))!;
    const dest: Reference = pin ? { ...mappedDest, digest: pin } : mappedDest;
    const image: PlannedImage = {
      chart: f.chart,
      file: f.file,
      path: f.path,
      layout: f.layout.type,
      source: formatReference(src),
      destination: formatReference(dest),
      writes: [],
      ...(pin ? { pinned: pin } : {}),
      ...(f.disabled ? { disabled: true } : {}),
    };
    images.push(image);
    const layout = f.layout;
    if (layout.type === 'string') image.writes.push(...stringWrites(f, dest));
    else if (layout.type === 'sibling') {
      // A map with `image` + `tag` (+ `registry`) under a key that is not image-like: its registry still counts.
      const registry = valueAt(chartsValues, [...f.path, 'registry']);
      const split = splitDestination(src, mappedDest, root);
      const hubWrite = hubWrites(f, layout.imageKey, dest, chartsValues, layout.hubPath);
      if (hubWrite) {
        image.writes.push(hubWrite);
        if (pin) image.writes.push({ path: [...f.path, layout.tagKey], value: `${dest.tag ?? ''}@${pin}`, reason: 'digest pin (in tag)' });
      } else image.writes.push(...siblingWrites(f, layout.imageKey, layout.tagKey, dest, pin, typeof registry === 'string' && registry !== '' ? { registry, split } : undefined));
    }
    else if (layout.type === 'hint') {
      image.writes.push(...hintWrites(layout.template, layout.paths, dest)!);
      if (pin) throw new InputError(`cannot pin a digest for ${image.source}: its reference is built by the hints template ${JSON.stringify(layout.template)}`, { hint: 'leave out --digests, or set the image with -f in a layout airlift can write' });
    } else if (layout.type === 'object') {
      const split = splitDestination(src, mappedDest, root);
      if (layout.namespacePath && split.remainder !== src.repository) {
        // registry + namespace + name (cert-manager) where the mapping changes the path: the map's
        // repository, which the template takes whole over the three, gets the full mirror repository.
        image.writes.push({ path: [...f.path, repoKeyOf(layout)], value: repositoryString(dest), reason: 'repository (whole, over registry, namespace and name)' });
      } else if (layout.registryFrom === 'global' && layout.globalPath) {
        const key = JSON.stringify(layout.globalPath);
        const g = groups.get(key) ?? { path: layout.globalPath, members: [] };
        g.members.push({ image, layout, split, dest });
        groups.set(key, g);
        image.viaGlobal = layout.globalPath;
      } else {
        image.writes.push(...objectWrites(f.path, layout, split, dest, src));
      }
      if (pin) image.writes.push(...objectPin(f.path, layout, dest, pin, opts.shaForms?.get(JSON.stringify([...f.path, 'sha']))));
    }
    if (f.tagDefaulted === 'v-appVersion' && dest.tag) keepDefaultedTag(image, f, dest.tag);
  }

  const globals = [...groups.values()].map((g) => decideGlobal(g.path, g.members, root));

  const pullSecrets = planPullSecrets(opts.pullSecretSlots ?? [], opts.pullSecrets ?? [], topChart(findings, opts), (p) =>
    valueAt(chartsValues, p),
    opts.pullSecretForms,
    opts.pullSecretConsumed,
  );

  const unrelocatable: UnrelocatableImage[] = [];
  const moved = new Set(images.map((i) => i.source));
  for (const f of findings) {
    if (relocatable(f) || superseded(f)) continue;
    const ref = f.ref ? formatReference(f.ref) : f.raw;
    const reason = !f.ref
      ? `invalid reference: ${f.error ?? 'cannot be parsed'}`
      : (NOT_IN_VALUES[f.kind] ?? `built by a hints template airlift cannot write back (${f.layout.type === 'hint' ? f.layout.template : f.layout.type})`);
    unrelocatable.push({ ref, kind: f.kind, chart: f.chart, file: f.file, path: f.path, reason, covered: f.ref !== undefined && moved.has(ref), ...(f.ref ? {} : { invalid: true }) });
  }

  const all: ValueWrite[] = [];
  for (const g of globals) if (g.value !== undefined) all.push({ path: g.path, value: g.value, reason: `global registry (${g.strategy})` });
  for (const i of images) all.push(...i.writes);
  for (const p of pullSecrets) all.push({ path: p.path, value: p.value, reason: `pull secrets (${p.scope})` });
  const gates = images.length > 0 ? [...(opts.gates ?? [])] : [];
  for (const g of gates) all.push({ path: g.path, value: g.value, reason: 'image check' });
  const writes = dedupe(all);
  buildTree(writes, chartsValues); // conflicts surface here, before anything is written

  return {
    generator: opts.generator ?? 'airlift',
    target: root,
    host: target.host,
    prefix: target.prefix,
    mode,
    charts: [...(opts.charts ?? topCharts(findings))],
    images,
    globals,
    pullSecrets,
    unrelocatable,
    gates,
    noPullSecret: (opts.pullSecrets ?? []).length > 0 ? [...(opts.noPullSecret ?? [])] : [],
    writes,
  };
}

/**
 * A tag the chart builds as "v" + appVersion (the Kubernetes SIG charts) is
 * written out: the rule that recognised it went by the source registry,
 * which the relocated image no longer names.
 */
function keepDefaultedTag(image: PlannedImage, f: ImageFinding, tag: string): void {
  const layout = f.layout;
  let tagPath: ValuesPath | undefined;
  if (layout.type === 'object') {
    tagPath = layout.fallbackPath && layout.fallbackKeys?.tag && layout.registryFrom !== 'self' ? [...layout.fallbackPath, layout.fallbackKeys.tag] : [...f.path, 'tag'];
  } else if (layout.type === 'sibling') tagPath = [...f.path, layout.tagKey];
  if (!tagPath) return;
  const key = JSON.stringify(tagPath);
  if (image.writes.some((w) => JSON.stringify(w.path) === key)) return;
  image.writes.push({ path: tagPath, value: tag, reason: 'tag (v + appVersion, written out)' });
}

function topCharts(findings: readonly ImageFinding[]): string[] {
  return [...new Set(findings.map((f) => f.chart.split('/')[0]!))];
}

/** The chart chain name the global pull-secret list belongs to (as the scanner names charts). */
function topChart(findings: readonly ImageFinding[], opts: PlanOptions): string {
  return opts.pullSecretSlots?.[0]?.chart.split('/')[0] ?? topCharts(findings)[0] ?? '';
}

/** Registry and repository fields of a map that reads its own registry, embeds it, or has none. */
/**
 * istio's `hub` + `image` + `tag` (`hub` empty falls back to `global.hub`): the template writes
 * `hub/image:tag`, so `hub` gets the destination without its last `/image` and the image
 * name and tag (and any variant the template appends) stay as they are.
 */
function hubWrites(f: ImageFinding, imageKey: string, dest: Reference, chartsValues: readonly ChartValues[], hubPath?: ValuesPath): ValueWrite | undefined {
  const map = valueAt(chartsValues, f.path);
  const name = valueAt(chartsValues, [...f.path, imageKey]);
  const own = map !== null && typeof map === 'object' && 'hub' in map;
  if ((!own && !hubPath) || typeof name !== 'string' || name === '' || name.includes('/')) return undefined;
  const full = repositoryString(dest);
  if (!full.endsWith(`/${name}`)) return undefined;
  // The component's own hub when it has the key (it wins over global.hub), else the hub the template read.
  return { path: own ? [...f.path, 'hub'] : hubPath!, value: full.slice(0, -name.length - 1), reason: 'hub (image name kept)' };
}

/**
 * `{repository, name}` where the template writes `repository/name` (operator image configs): the
 * name stays, so the repository gets the destination without its last `/name`.
 */
function nameSuffix(layout: ObjectLayout, src: Reference): string | undefined {
  const { repository, name } = layout.fields;
  if (typeof repository !== 'string' || repository === '' || typeof name !== 'string' || name === '' || layout.namespacePath) return undefined;
  const full = repositoryString(src);
  return full.endsWith(`/${name}`) && (full === `${repository}/${name}` || src.repository === `${repository}/${name}`) ? `/${name}` : undefined;
}

function withoutSuffix(value: string, suffix: string | undefined, source: string): string {
  if (suffix === undefined) return value;
  if (!value.endsWith(suffix)) {
    throw new InputError(`cannot relocate ${source}: its chart writes repository + "${suffix}", and the mirror path ${value} does not end with it`, { hint: 'use --mapping default or preserve-registry for this chart' });
  }
  return value.slice(0, -suffix.length);
}

function objectWrites(path: ValuesPath, layout: ObjectLayout, split: DestSplit, dest: Reference, src?: Reference): ValueWrite[] {
  const suffix = src ? nameSuffix(layout, src) : undefined;
  if (suffix !== undefined) {
    const source = formatReference(src!);
    if (layout.registryFrom === 'self') {
      const out: ValueWrite[] = [];
      const repo = withoutSuffix(split.remainder, suffix, source);
      if (layout.fields.registry !== split.base) out.push({ path: [...path, 'registry'], value: split.base, reason: 'registry' });
      if (layout.fields.repository !== repo) out.push({ path: [...path, 'repository'], value: repo, reason: 'repository (name kept)' });
      return out;
    }
    return [{ path: [...path, 'repository'], value: withoutSuffix(repositoryString(dest), suffix, source), reason: 'repository (with registry, name kept)' }];
  }
  const repoKey = repoKeyOf(layout);
  const fallback = layout.fallbackPath && layout.fallbackKeys;
  if (fallback && layout.registryFrom !== 'self') {
    // The map falls back to another image (argo-cd global.image, airflow default*Repository): write that one.
    return [{ path: [...layout.fallbackPath!, layout.fallbackKeys!.repository], value: repositoryString(dest), reason: 'repository (fallback image)' }];
  }
  if (layout.registryFrom === 'self' || (layout.registryFrom === 'none' && 'registry' in layout.fields)) {
    const out: ValueWrite[] = [];
    if (layout.fields.registry !== split.base) out.push({ path: [...path, 'registry'], value: split.base, reason: 'registry' });
    if (layout.fields[repoKey] !== split.remainder) out.push({ path: [...path, repoKey], value: split.remainder, reason: 'repository' });
    return out;
  }
  // The registry is part of the repository (or the chart has no registry field): the full mirror repository.
  return [{ path: [...path, repoKey], value: repositoryString(dest), reason: 'repository (with registry)' }];
}

function objectPin(path: ValuesPath, layout: ObjectLayout, dest: Reference, pin: string, shaForm?: 'hex' | 'digest'): ValueWrite[] {
  if (layout.fallbackPath && layout.fallbackKeys?.tag && !layout.fields.tag && !('digest' in layout.fields) && !('sha' in layout.fields)) {
    return [{ path: [...layout.fallbackPath, layout.fallbackKeys.tag], value: `${dest.tag ?? ''}@${pin}`, reason: 'digest pin (in tag)' }];
  }
  return digestWrites(path, layout, dest, pin, shaForm);
}

/**
 * A global registry field (`global.imageRegistry`, `global.image.registry`)
 * that images read: set once when every reader goes to the same place;
 * otherwise `global.imageRegistry` (which wins over the maps' own
 * `registry`, as in Bitnami charts) is cleared and every map gets its own
 * registry, and `global.image.registry` (a fallback for maps without one)
 * becomes the mirror root with each repository below it.
 */
function decideGlobal(path: ValuesPath, members: GlobalMember[], root: string): GlobalDecision {
  const readers = members.map((m) => m.image.path);
  const bases = new Set(members.map((m) => m.split.base));
  if (bases.size === 1) {
    const base = [...bases][0]!;
    for (const m of members) {
      if (m.layout.namespacePath) continue; // namespace/name below the registry: unchanged by this mapping
      const k = repoKeyOf(m.layout);
      if (m.layout.fields[k] !== m.split.remainder) m.image.writes.unshift({ path: [...m.image.path, k], value: m.split.remainder, reason: 'repository' });
    }
    return { path, value: base, readers, strategy: 'shared' };
  }
  if (members.every((m) => 'registry' in m.layout.fields) && !members.some((m) => m.layout.namespacePath)) {
    for (const m of members) {
      const k = repoKeyOf(m.layout);
      const w: ValueWrite[] = [{ path: [...m.image.path, 'registry'], value: m.split.base, reason: `registry (${formatPath(path)} cleared)` }];
      if (m.layout.fields[k] !== m.split.remainder) w.push({ path: [...m.image.path, k], value: m.split.remainder, reason: 'repository' });
      m.image.writes.unshift(...w);
      delete m.image.viaGlobal;
    }
    return { path, value: '', readers, strategy: 'cleared' };
  }
  for (const m of members) {
    const full = repositoryString(m.dest);
    const k = repoKeyOf(m.layout);
    if (m.layout.namespacePath) {
      // The registry no longer says it all: the whole repository, which the template takes over registry, namespace and name.
      m.image.writes.unshift({ path: [...m.image.path, k], value: full, reason: 'repository (whole, over registry, namespace and name)' });
      delete m.image.viaGlobal;
      continue;
    }
    m.image.writes.unshift({ path: [...m.image.path, k], value: full.slice(root.length + 1), reason: 'repository (below the mirror root)' });
  }
  return { path, value: root, readers, strategy: 'root' };
}

function dedupe(writes: ValueWrite[]): ValueWrite[] {
  const seen = new Set<string>();
  const out: ValueWrite[] = [];
  for (const w of writes) {
    const k = JSON.stringify([w.path, w.value]);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(w);
  }
  const key = (p: ValuesPath): string => p.map((s) => (typeof s === 'number' ? String(s).padStart(8, '0') : s)).join('\u0000');
  return out.sort((a, b) => (key(a.path) < key(b.path) ? -1 : key(a.path) > key(b.path) ? 1 : 0));
}
