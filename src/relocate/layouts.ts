/**
 * Per-layout writes (pure): given where an image is set and where it must
 * point, the fields to write in the form the chart uses at that path.
 */
import type { ImageFinding, ImageLayout, ValuesPath } from '../chart/types.js';
import { formatReference, repositoryString, type Reference } from '../reference/index.js';
import type { ValueWrite } from './types.js';

export type ObjectLayout = Extract<ImageLayout, { type: 'object' }>;

/**
 * The destination split into what a `registry` field holds and what the
 * repository field holds. The repository keeps its source path where the
 * mapping keeps it (default, preserve-registry), so only the registry changes.
 */
export interface DestSplit {
  base: string;
  remainder: string;
}

export function splitDestination(src: Reference, dest: Reference, root: string): DestSplit {
  const full = repositoryString(dest);
  if (full.endsWith(`/${src.repository}`) && full.length > src.repository.length + 1) {
    const base = full.slice(0, full.length - src.repository.length - 1);
    if (base === root || base.startsWith(`${root}/`)) return { base, remainder: src.repository };
  }
  if (full.startsWith(`${root}/`)) return { base: root, remainder: full.slice(root.length + 1) };
  return { base: dest.registry, remainder: dest.repository };
}

/** `repository`, `image` or `name`: the key the chart uses for the repository in this map. */
export function repoKeyOf(layout: ObjectLayout): 'repository' | 'image' | 'name' {
  if ('repository' in layout.fields) return 'repository';
  if ('image' in layout.fields) return 'image';
  if ('name' in layout.fields) return 'name';
  return 'repository';
}

function hex(d: string): string {
  return d.replace(/^sha256:/, '');
}

/** `tag@digest` (or `@digest` alone when there is no tag). */
export function tagWithDigest(tag: string | undefined, digest: string): string {
  return `${tag ?? ''}@${digest}`;
}

/** Writes that pin `digest` in an object layout: its `digest` or `sha` field, else the tag. */
export function digestWrites(path: ValuesPath, layout: ObjectLayout, dest: Reference, digest: string, shaForm?: 'hex' | 'digest'): ValueWrite[] {
  if ('digest' in layout.fields) {
    if (layout.fields.digest === digest) return [];
    return [{ path: [...path, 'digest'], value: digest, reason: 'digest pin' }];
  }
  if ('sha' in layout.fields) {
    // kube-prometheus-stack and grafana write "@sha256:{{ .sha }}": keep the bare hex form unless the chart had the prefix.
    // The templates' own form wins (kube-state-metrics writes "@{{ .sha }}": the whole digest).
    const cur = layout.fields.sha ?? '';
    const value = shaForm === 'digest' || (shaForm === undefined && cur.startsWith('sha256:')) ? digest : hex(digest);
    if (cur === value) return [];
    return [{ path: [...path, 'sha'], value, reason: 'digest pin' }];
  }
  return [{ path: [...path, 'tag'], value: tagWithDigest(dest.tag, digest), reason: 'digest pin (in tag)' }];
}

/** The full string for a string layout. */
export function stringWrites(f: ImageFinding, dest: Reference): ValueWrite[] {
  return [{ path: f.path, value: formatReference(dest), reason: 'image' }];
}

/** `foo.image` + `foo.tag`: the image key gets the mirror repository; the tag keeps its value unless a digest is pinned. */
export function siblingWrites(
  f: ImageFinding,
  imageKey: string,
  tagKey: string,
  dest: Reference,
  pin: string | undefined,
  own?: { registry: string; split: DestSplit },
): ValueWrite[] {
  const out: ValueWrite[] = own
    ? [
        { path: [...f.path, 'registry'], value: own.split.base, reason: 'registry' },
        { path: [...f.path, imageKey], value: own.split.remainder, reason: 'repository' },
      ]
    : [{ path: [...f.path, imageKey], value: repositoryString(dest), reason: 'repository' }];
  if (pin) out.push({ path: [...f.path, tagKey], value: tagWithDigest(dest.tag, pin), reason: 'digest pin (in tag)' });
  return out;
}

/**
 * A hints template that starts with one repository value (`{{ .image.repository }}:…`,
 * the SonarQube layout): that value gets the full mirror repository.
 */
export function hintWrites(template: string, paths: ValuesPath[], dest: Reference): ValueWrite[] | undefined {
  const m = /^\s*\{\{-?\s*\.(?:Values\.)?([A-Za-z0-9_.-]+)\s*-?\}\}\s*:/.exec(template);
  if (!m) return undefined;
  const rel = m[1]!.split('.');
  const target = paths.find((p) => p.length >= rel.length && rel.every((s, i) => p[p.length - rel.length + i] === s));
  if (!target) return undefined;
  if (!['repository', 'image', 'name'].includes(String(target[target.length - 1]))) return undefined;
  return [{ path: target, value: repositoryString(dest), reason: 'repository (hints template)' }];
}
