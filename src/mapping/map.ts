/** Where each source image lands in the mirror. Pure; tags and digests never change. */
import { ConflictError, InvalidReferenceError, UsageError } from '../errors.js';
import { formatReference, repositoryString, type Reference } from '../reference/index.js';
import { makeReference, normalisePath } from '../reference/parse.js';
import { checkPath } from '../reference/validate.js';
import { formatTarget, type Target } from './target.js';

export type MappingMode = 'default' | 'preserve-registry' | 'flatten';
export const MAPPING_MODES: readonly MappingMode[] = ['default', 'preserve-registry', 'flatten'];

/** Parses a --mapping value. Throws UsageError listing the valid values. */
export function parseMappingMode(s: string): MappingMode {
  const v = typeof s === 'string' ? s.trim() : s;
  if ((MAPPING_MODES as readonly string[]).includes(v)) return v as MappingMode;
  throw new UsageError(`invalid mapping mode ${JSON.stringify(s)}: expected one of ${MAPPING_MODES.join(', ')}`, {
    hint: 'default drops the source registry, preserve-registry keeps it as a path component, flatten keeps only the last path component',
  });
}

/**
 * The source registry as a path component, for preserve-registry:
 * lowercased, with ":PORT" written "_PORT" ("reg.example:5000" →
 * "reg.example_5000"); a host never contains "_", so this cannot collide
 * with another host.
 */
export function registryPathComponent(registry: string): string {
  if (registry.startsWith('[')) {
    throw new UsageError(
      `source registry ${registry} is an IPv6 address and cannot be kept as a repository path component`,
      { hint: 'use --mapping default or --mapping flatten for images from this registry' },
    );
  }
  return registry.toLowerCase().replace(':', '_');
}

function mappedPath(ref: Reference, mode: MappingMode): string {
  switch (mode) {
    case 'default':
      return ref.repository;
    case 'preserve-registry':
      return `${registryPathComponent(ref.registry)}/${ref.repository}`;
    case 'flatten':
      return ref.repository.slice(ref.repository.lastIndexOf('/') + 1);
  }
}

/**
 * Maps a source reference into the target:
 *   default            docker.io/bitnami/nginx:1.25 → HOST/PREFIX/bitnami/nginx:1.25
 *   preserve-registry  → HOST/PREFIX/docker.io/bitnami/nginx:1.25
 *   flatten            → HOST/PREFIX/nginx:1.25
 * Tag and digest are kept as they are.
 */
export function mapReference(ref: Reference, target: Target, mode: MappingMode = 'default'): Reference {
  if (!(MAPPING_MODES as readonly string[]).includes(mode)) parseMappingMode(mode);
  const joined = target.prefix === '' ? mappedPath(ref, mode) : `${target.prefix}/${mappedPath(ref, mode)}`;
  const path = normalisePath(target.host, joined);
  const dest = makeReference(target.host, path, ref.tag, ref.digest);
  const bad = checkPath(path);
  if (bad) {
    throw new InvalidReferenceError(formatReference(dest), `${bad} after mapping ${formatReference(ref)} into ${formatTarget(target)}`, {
      hint: 'use a shorter prefix in --to, or --mapping flatten',
    });
  }
  return dest;
}

/** Source repository identity: registry host names are case-insensitive. */
function sourceKey(ref: Reference): string {
  return `${ref.registry.toLowerCase()}/${ref.repository}`;
}

/**
 * Maps every reference (keyed by formatReference(source)). Throws
 * ConflictError naming the sources when two different source repositories
 * would share one destination repository.
 */
export function mapReferences(refs: Reference[], target: Target, mode: MappingMode = 'default'): Map<string, Reference> {
  const out = new Map<string, Reference>();
  // destination repository → first source repository seen there, and its first reference
  const owners = new Map<string, { key: string; ref: Reference }>();
  const conflicts = new Map<string, Reference[]>();
  for (const src of refs) {
    const dest = mapReference(src, target, mode);
    out.set(formatReference(src), dest);
    const destRepo = repositoryString(dest);
    const owner = owners.get(destRepo);
    if (!owner) {
      owners.set(destRepo, { key: sourceKey(src), ref: src });
      continue;
    }
    if (owner.key === sourceKey(src)) continue;
    const list = conflicts.get(destRepo) ?? [owner.ref];
    if (!list.some((r) => sourceKey(r) === sourceKey(src))) list.push(src);
    conflicts.set(destRepo, list);
  }
  if (conflicts.size > 0) {
    const lines = [...conflicts].map(
      ([destRepo, srcs]) => `${destRepo} ← ${srcs.map((r) => repositoryString(r)).join(' and ')}`,
    );
    const hint =
      mode === 'flatten'
        ? 'use --mapping default or --mapping preserve-registry, or copy these images in separate runs with different --to prefixes'
        : mode === 'default'
          ? 'use --mapping preserve-registry to keep the source registries apart'
          : 'copy these images in separate runs with different --to prefixes';
    throw new ConflictError(
      `${conflicts.size === 1 ? 'two source repositories map' : 'source repositories map'} to the same destination repository with --mapping ${mode}: ${lines.join('; ')}`,
      { hint },
    );
  }
  return out;
}
