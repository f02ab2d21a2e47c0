/**
 * Image detection in merged values (pure): `scanValues(values, ctx)`.
 *
 * Rules, in the order they are tried on each map:
 *  1. image objects: a map with `repository` (or `image`, or `name` when the
 *     map's key ends in "image") next to `registry`/`tag`/`digest`/`sha`, or
 *     any such map whose key ends in "image" (`image`, `initImage`,
 *     `thanosImage`). A `registry` may carry a path, a `repository` may embed a
 *     host, a `tag` may carry `@sha256:…`, `sha` may be bare hex.
 *     Registry precedence follows the common charts: `global.imageRegistry`
 *     (Bitnami, kube-prometheus-stack, grafana) wins over the map's own
 *     `registry` where the map has that key; otherwise the map's `registry`;
 *     otherwise a host embedded in the repository; otherwise
 *     `global.image.registry` (ingress-nginx); otherwise Docker Hub.
 *     An empty repository falls back to the chart's default image when it has
 *     one (`global.image` as in argo-cd, or `default*Repository` +
 *     `default*Tag` at the top level as in airflow). An empty tag becomes the
 *     chart's appVersion (see `defaultTag`).
 *  2. sibling keys: `<p>Image`/`<p>Repository` + `<p>Tag` in one map
 *     (`defaultAirflowRepository` + `defaultAirflowTag`), and a map with
 *     `image` + `tag` whose key is not image-like (`exporter.image` +
 *     `exporter.tag`).
 *  3. strings: a value under a key ending in "image" (`image: quay.io/x:1`,
 *     list items under `images`, containers' `image`).
 * Not images: values with `{{` (templates in values), URLs, keys with "/"
 * (labels, annotations), `imagePullPolicy`, `imagePullSecrets` and other keys
 * that merely start with "image".
 */
import { isMap } from './yaml.js';
import { dottedPath } from './values-path.js';
import type { Values } from './values.js';
import { defaultTag, hostOf, joinReference, makeFinding, normaliseDigest, splitTagDigest, type FindingBase } from './assemble.js';
import type { ImageField, ImageFinding, ImageLayout, ValuesPath } from './types.js';

export interface ScanContext {
  /** Chart chain: "parent/sub". */
  chart: string;
  appVersion?: string;
  /** Where these values sit in the top-level values ([] for the top chart). */
  valuesPrefix: ValuesPath;
  /** The file that set any of these top-level paths (highest precedence wins). */
  origin(paths: ValuesPath[]): string;
  disabled?: boolean;
  /** Top-level keys scanned elsewhere (vendored subcharts' name/alias). */
  skipKeys?: ReadonlySet<string>;
  /** Declared dependencies with no vendored chart: key → disabled. Their images' empty tags cannot be resolved. */
  missingDeps?: ReadonlyMap<string, boolean>;
  /** Whether to scan `global` (false in subcharts: the parent reports it at its own path). */
  scanGlobal?: boolean;
  /**
   * Whether an empty tag may follow a guessing rule (the `v` prefix on registry.k8s.io). False when
   * the chart has templates: they are rendered and say which tag the pod runs.
   */
  guessTags?: boolean;
}

const IMAGE_KEY = /image$/i;
const IMAGES_KEY = /images$/i;
const COMPANIONS = ['registry', 'tag', 'digest', 'sha'] as const;

function isImageKey(k: string | number | undefined): boolean {
  return typeof k === 'string' && IMAGE_KEY.test(k) && !k.includes('/');
}

function scalar(v: unknown): string | null | undefined {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

/** Strings that are not image references and never will be: templates, URLs. */
function notAnImage(s: string): boolean {
  return s.includes('{{') || /^[a-z][a-z0-9+.-]*:\/\//i.test(s);
}

/**
 * An image written with a container transport prefix (`docker://quay.io/org/app:1`): meant as an
 * image, but no chart template can pull it as written. Reported as a malformed finding, never
 * dropped silently.
 */
function transportPrefixed(s: string): string | undefined {
  return /^(docker|oci|oci-archive|docker-archive|containers-storage):\/\//i.exec(s)?.[1];
}

interface Fallback {
  path: ValuesPath;
  repository: string;
  tag?: string;
  keys: { repository: string; tag?: string };
}

function findFallback(values: Values): Fallback | undefined {
  const g = values.global;
  if (isMap(g) && isMap(g.image)) {
    const repo = scalar(g.image.repository);
    if (repo) {
      const tag = scalar(g.image.tag);
      return { path: ['global', 'image'], repository: repo, ...(tag ? { tag } : {}), keys: { repository: 'repository', tag: 'tag' } };
    }
  }
  for (const [k, v] of Object.entries(values)) {
    const m = /^(default\w*)Repository$/.exec(k);
    const repo = scalar(v);
    if (!m || !repo) continue;
    const tagKey = `${m[1]}Tag`;
    const tag = scalar(values[tagKey]);
    return { path: [], repository: repo, ...(tag ? { tag } : {}), keys: { repository: k, tag: tagKey } };
  }
  return undefined;
}

export function scanValues(values: Values, ctx: ScanContext): ImageFinding[] {
  const out: ImageFinding[] = [];
  const g = isMap(values.global) ? values.global : {};
  const globalRegistry = scalar(g.imageRegistry) || undefined;
  const globalImageRegistry = isMap(g.image) ? scalar(g.image.registry) || undefined : undefined;
  const fallback = findFallback(values);

  const full = (p: ValuesPath): ValuesPath => [...ctx.valuesPrefix, ...p];
  const missingDep = (p: ValuesPath): { key: string; disabled: boolean } | undefined => {
    const k = p[0];
    if (typeof k !== 'string' || !ctx.missingDeps?.has(k)) return undefined;
    return { key: k, disabled: ctx.missingDeps.get(k)! };
  };
  const base = (p: ValuesPath, layout: ImageLayout, fieldPaths: ValuesPath[]): FindingBase => {
    const dep = missingDep(p);
    const b: FindingBase = {
      kind: 'values',
      chart: ctx.chart,
      file: ctx.origin(fieldPaths.map(full)),
      path: full(p),
      layout,
    };
    if (ctx.disabled || dep?.disabled) b.disabled = true;
    return b;
  };

  /** Fills an empty tag; returns an error text when it cannot be filled. */
  const fillTag = (p: ValuesPath, host: string | undefined, tagLabel: string | undefined, what: string) => {
    const dep = missingDep(p);
    if (dep) {
      return { error: `${what} has no tag, and its default comes from subchart ${dep.key}, which is not vendored under charts/; set ${dottedPath([...full(p)])}.tag` };
    }
    if (!ctx.appVersion) {
      return { error: `${what} has no tag, and chart ${ctx.chart} has no appVersion to default it from; set it in your values` };
    }
    return defaultTag(ctx.appVersion, ctx.guessTags === false ? undefined : host, tagLabel);
  };

  const objectImage = (m: Values, p: ValuesPath, repoKey: 'repository' | 'image' | 'name', asSibling: boolean): void => {
    const fields: Partial<Record<ImageField, string | null>> = {};
    for (const k of ['registry', 'repository', 'image', 'name', 'tag', 'digest', 'sha'] as const) {
      if (k in m && (k === repoKey || !['repository', 'image', 'name'].includes(k))) {
        const v = scalar(m[k]);
        if (v !== undefined) fields[k] = v === '' ? null : v;
      }
    }
    const fieldPaths = Object.keys(fields).map((k) => [...p, k]);
    let repo = scalar(m[repoKey]) || undefined;
    let tag = scalar(m.tag) || undefined;
    let digest = scalar(m.digest) || scalar(m.sha) || undefined;
    const tagLabel = scalar(m.tagLabel) || undefined;
    const own = scalar(m.registry) || undefined;
    const layoutExtra: { fallbackPath?: ValuesPath; fallbackKeys?: Fallback['keys']; tagLabel?: string } = {};
    if (!repo) {
      if (fallback && repoKey === 'repository' && !own) {
        repo = fallback.repository;
        if (!tag && fallback.tag) tag = fallback.tag;
        layoutExtra.fallbackPath = full(fallback.path);
        layoutExtra.fallbackKeys = fallback.keys;
        fieldPaths.push([...fallback.path, fallback.keys.repository]);
      } else {
        if (tag || digest) {
          const b = base(p, { type: 'object', fields, registryFrom: own ? 'self' : 'none' }, fieldPaths);
          out.push(makeFinding(joinReference({ repository: '', tag, digest }), b, { error: `${repoKey} is empty but a tag or digest is set` }));
        }
        return;
      }
    }
    const transport = transportPrefixed(repo);
    if (transport) {
      out.push(makeFinding(repo, base(p, { type: 'object', fields, registryFrom: 'none' }, fieldPaths), { error: `${repoKey} carries a ${transport}:// prefix; write it as host/path without the transport` }));
      return;
    }
    if (notAnImage(repo)) return;
    if (tag) {
      const split = splitTagDigest(tag);
      tag = split.tag;
      if (split.digest) digest = split.digest;
    }
    if (digest) digest = normaliseDigest(digest);

    let registry: string | undefined;
    let registryFrom: 'self' | 'global' | 'repository' | 'none';
    let globalPath: ValuesPath | undefined;
    if (globalRegistry && 'registry' in m) {
      registry = globalRegistry;
      registryFrom = 'global';
      globalPath = ['global', 'imageRegistry'];
    } else if (own) {
      registry = own;
      registryFrom = 'self';
    } else if (hostOf(undefined, repo)) {
      registryFrom = 'repository';
    } else if (globalImageRegistry) {
      registry = globalImageRegistry;
      registryFrom = 'global';
      globalPath = ['global', 'image', 'registry'];
    } else {
      registryFrom = 'none';
    }
    if (globalPath) fieldPaths.push(globalPath.map((x) => x)); // global paths are top-level in every chart
    let layout: ImageLayout;
    if (asSibling) layout = { type: 'sibling', imageKey: repoKey, tagKey: 'tag' };
    else {
      layout = { type: 'object', fields, registryFrom, ...(globalPath ? { globalPath } : {}), ...layoutExtra };
      if (tagLabel && !tag && !digest) (layout as { tagLabel?: string }).tagLabel = tagLabel;
    }
    const b = base(p, layout, fieldPaths);
    if (!tag && !digest) {
      const filled = fillTag(p, hostOf(registry, repo), tagLabel, `image ${joinReference({ registry, repository: repo })}`);
      if ('error' in filled) {
        out.push(makeFinding(joinReference({ registry, repository: repo }), b, { error: filled.error }));
        return;
      }
      out.push(makeFinding(joinReference({ registry, repository: repo, tag: filled.tag }), b, { tagDefaulted: filled.how }));
      return;
    }
    out.push(makeFinding(joinReference({ registry, repository: repo, tag, digest }), b));
  };

  const stringImage = (s: string, p: ValuesPath): void => {
    const transport = transportPrefixed(s);
    if (transport) {
      out.push(makeFinding(s, base(p, { type: 'string' }, [p]), { error: `image carries a ${transport}:// prefix; write it as host/path:tag without the transport` }));
      return;
    }
    if (s === '' || notAnImage(s)) return;
    out.push(makeFinding(s, base(p, { type: 'string' }, [p])));
  };

  const walk = (node: unknown, p: ValuesPath, key: string | number | undefined, listKey?: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        if (typeof item === 'string' && typeof key === 'string' && IMAGES_KEY.test(key) && !key.includes('/')) stringImage(item, [...p, i]);
        else walk(item, [...p, i], i, typeof key === 'string' ? key : listKey);
      });
      return;
    }
    if (!isMap(node)) return;
    const consumed = new Set<string>();
    const imageLike = isImageKey(key);
    const hasCompanion = COMPANIONS.some((c) => c in node && scalar(node[c]) !== undefined);

    // Rule 1: the map itself is an image.
    let repoKey: 'repository' | 'image' | 'name' | undefined;
    if ('repository' in node && scalar(node.repository) !== undefined) repoKey = 'repository';
    else if ('image' in node && scalar(node.image) !== undefined && (imageLike || 'tag' in node || 'registry' in node || 'digest' in node)) repoKey = 'image';
    else if (imageLike && typeof node.name === 'string' && ('tag' in node || 'registry' in node)) repoKey = 'name';
    if (repoKey && (imageLike || hasCompanion) && p.length > 0) {
      const repoVal = scalar(node[repoKey]);
      if (!(repoVal && notAnImage(repoVal) && !transportPrefixed(repoVal))) {
        objectImage(node, p, repoKey, repoKey === 'image' && !imageLike);
        for (const k of [repoKey, ...COMPANIONS, 'tagLabel']) consumed.add(k);
      }
    }

    // Rule 2: prefixed sibling keys.
    for (const k of Object.keys(node)) {
      const m = /^(.+?)(Image|Repository)$/.exec(k);
      if (!m || consumed.has(k) || k.includes('/')) continue;
      const tagKey = `${m[1]}Tag`;
      const img = scalar(node[k]);
      const tag = scalar(node[tagKey]);
      if (!img || notAnImage(img) || tag === undefined) continue;
      consumed.add(k).add(tagKey);
      const t = tag || undefined;
      const b = base([...p, k], { type: 'sibling', imageKey: k, tagKey }, [[...p, k], [...p, tagKey]]);
      b.path = [...ctx.valuesPrefix, ...p];
      if (t) out.push(makeFinding(joinReference({ repository: img, ...splitTagDigest(t) }), b));
      else {
        const filled = fillTag(p, hostOf(undefined, img), undefined, `image ${img}`);
        if ('error' in filled) out.push(makeFinding(img, b, { error: filled.error }));
        else out.push(makeFinding(joinReference({ repository: img, tag: filled.tag }), b, { tagDefaulted: filled.how }));
      }
    }

    for (const [k, v] of Object.entries(node)) {
      if (consumed.has(k)) continue;
      if (p.length === 0 && (ctx.skipKeys?.has(k) || (k === 'global' && ctx.scanGlobal === false))) continue;
      if (typeof v === 'string') {
        if (isImageKey(k)) stringImage(v, [...p, k]);
      } else {
        walk(v, [...p, k], k, listKey);
      }
    }
  };

  walk(values, [], undefined);
  return out;
}
