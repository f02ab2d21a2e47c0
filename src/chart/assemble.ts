/**
 * Turning image fields into a validated finding (pure). Every assembled
 * string goes through the reference parser; a malformed one becomes a
 * finding with `error` set, never a silent drop.
 */
import { tryParseReference, splitRepository, type Reference } from '../reference/index.js';
import type { FindingKind, ImageFinding, ImageLayout, ValuesPath } from './types.js';

export interface FindingBase {
  kind: FindingKind;
  chart: string;
  file: string;
  path: ValuesPath;
  layout: ImageLayout;
  disabled?: boolean;
  builtin?: boolean;
}

/** Builds a finding from an assembled reference string, validating it. */
export function makeFinding(raw: string, base: FindingBase, extra: Partial<ImageFinding> = {}): ImageFinding {
  const f: ImageFinding = { ref: undefined, raw, ...base, ...extra };
  if (base.disabled !== true) delete f.disabled;
  if (extra.error !== undefined) return f;
  const parsed = parsedRaw(raw);
  if (typeof parsed === 'string') f.error = parsed;
  else f.ref = parsed;
  return f;
}

/**
 * Assembled strings parsed, kept by the string (a pure function of it): every copy of a chart,
 * and every subchart vendored twice, assembles the same strings from the same values. A kept
 * reference is frozen (its fields are read-only) and shared. Bounded: emptied when it is full.
 */
const parsedRefs = new Map<string, Reference | string>();
const MAX_PARSED_REFS = 8192;

function parsedRaw(raw: string): Reference | string {
  let v = parsedRefs.get(raw);
  if (v !== undefined) return v;
  // A string image without tag or digest is pulled as :latest, as Kubernetes does.
  const parsed = tryParseReference(raw, { defaultTag: 'latest' });
  v = parsed.ok ? Object.freeze(parsed.ref) : parsed.error.reason;
  if (raw.length <= 1024) {
    if (parsedRefs.size >= MAX_PARSED_REFS) parsedRefs.clear();
    parsedRefs.set(raw, v);
  }
  return v;
}

/** Registries whose release tooling tags images `v<semver>` (Kubernetes SIG images). */
const V_PREFIX_REGISTRIES = new Set(['registry.k8s.io', 'k8s.gcr.io']);

/**
 * The tag a template substitutes for an empty one. Helm charts write
 * `{{ .Values.image.tag | default .Chart.AppVersion }}`; the Kubernetes SIG
 * charts (external-dns, metrics-server, ...) write `default (printf "v%s"
 * .Chart.AppVersion)` because their appVersion is bare semver while their
 * images on registry.k8s.io are tagged `vX.Y.Z`. We cannot read that choice
 * from values, so we decide by where the image lives: on registry.k8s.io a
 * bare-semver appVersion gets the `v`; everywhere else appVersion is used as
 * written (the corpus: connect, grafana, jenkins, argo-cd, kube-prometheus-stack). This guess is
 * made only for charts without templates: a chart's templates are rendered and say the tag.
 * `tagLabel` (jenkins) is appended as `<appVersion>-<tagLabel>`.
 */
export function defaultTag(
  appVersion: string,
  registryHost: string | undefined,
  tagLabel?: string,
): { tag: string; how: 'appVersion' | 'v-appVersion' } {
  let tag = appVersion;
  let how: 'appVersion' | 'v-appVersion' = 'appVersion';
  if (registryHost && V_PREFIX_REGISTRIES.has(registryHost) && /^[0-9]+\.[0-9]+/.test(appVersion)) {
    tag = `v${appVersion}`;
    how = 'v-appVersion';
  }
  if (tagLabel) tag = `${tag}-${tagLabel}`;
  return { tag, how };
}

/** The registry host an assembled `registry/repository` would resolve to (undefined = Docker Hub default). */
export function hostOf(registry: string | undefined, repository: string): string | undefined {
  if (registry) return registry.split('/')[0];
  return splitRepository(repository).registry;
}

/** `sha` fields often hold bare hex (kube-prometheus-stack, grafana): give it the algorithm. */
export function normaliseDigest(d: string): string {
  return /^[0-9a-f]{64}$/i.test(d) ? `sha256:${d}` : d;
}

/** Splits a tag that carries its digest (`1.2@sha256:…`, or `@sha256:…` alone). */
export function splitTagDigest(tag: string): { tag?: string; digest?: string } {
  const at = tag.indexOf('@');
  if (at < 0) return { tag };
  const t = tag.slice(0, at);
  const d = tag.slice(at + 1);
  const out: { tag?: string; digest?: string } = {};
  if (t !== '') out.tag = t;
  if (d !== '') out.digest = d;
  return out;
}

export function joinReference(parts: { registry?: string; repository: string; tag?: string; digest?: string }): string {
  let s = parts.registry ? `${parts.registry.replace(/\/+$/, '')}/${parts.repository}` : parts.repository;
  if (parts.tag) s += `:${parts.tag}`;
  if (parts.digest) s += `@${parts.digest}`;
  return s;
}
