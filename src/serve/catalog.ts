/**
 * Which repositories and tags `airlift serve` answers for. Pure.
 *
 * Every index entry named `HOST/PATH:TAG` (or `HOST/PATH@DIGEST`) is served
 * as repository `PATH` (the registry host stripped: `docker.io/library/nginx:1.25`
 * → `library/nginx:1.25`) and also as `HOST/PATH` (host kept as the first path
 * component). A name whose first component is not a host (`fixtures/alpha:1.0`)
 * is served as it is. When two hosts hold the same path, the stripped name goes
 * to the first in sorted order; the other stays reachable with its host kept.
 * Plain tag ref names without a repository (`skopeo copy … oci:DIR:tag`) have no
 * repository and are not served.
 */
import type { Descriptor } from '../oci/types.js';
import { entryName, splitRefName, type NamedEntry } from '../layout/index-json.js';
import { ANNOTATION_REFERRER_REPOSITORY, ANNOTATION_REFERRER_SUBJECT, layoutReferrers } from '../layout/referrers.js';

export interface ServedRepository {
  name: string;
  /** tag → manifest descriptor */
  tags: Map<string, Descriptor>;
  /** Digests of the top-level manifests named in this repository. */
  digests: Set<string>;
  /** subject digest → the referrers the bundle holds for it in this repository (referrers API descriptors). */
  referrers: Map<string, Descriptor[]>;
}

export interface Catalog {
  repositories: Map<string, ServedRepository>;
  /** Names that could not be served, with why (for a log line). */
  skipped: string[];
}

/** A first path component is a registry host when it has a dot or a port, or is localhost (distribution's rule). */
export function isHostComponent(c: string): boolean {
  return c.includes('.') || c.includes(':') || c === 'localhost';
}

function repoFor(map: Map<string, ServedRepository>, name: string): ServedRepository {
  let r = map.get(name);
  if (!r) {
    r = { name, tags: new Map(), digests: new Set(), referrers: new Map() };
    map.set(name, r);
  }
  return r;
}

export function buildCatalog(entries: NamedEntry[]): Catalog {
  const repositories = new Map<string, ServedRepository>();
  const skipped: string[] = [];
  const named: Array<{ full: string; repo: string; reference: string; d: Descriptor }> = [];
  for (const e of entries) {
    const name = e.refName && e.refName.includes('/') ? e.refName : (e.containerdName ?? e.refName);
    if (!name) continue;
    const { repo, reference } = splitRefName(name);
    if (repo === '') {
      skipped.push(`${entryName(e)} (a plain tag without a repository name)`);
      continue;
    }
    named.push({ full: name, repo, reference, d: e.descriptor });
  }
  named.sort((a, b) => (a.full < b.full ? -1 : a.full > b.full ? 1 : 0));
  const add = (repoName: string, reference: string, d: Descriptor): void => {
    const r = repoFor(repositories, repoName);
    r.digests.add(d.digest);
    if (!reference.includes(':') && !r.tags.has(reference)) r.tags.set(reference, d);
  };
  // Full names first, so that a stripped alias never hides a name as written.
  for (const n of named) add(n.repo, n.reference, n.d);
  for (const n of named) {
    const slash = n.repo.indexOf('/');
    if (slash === -1 || !isHostComponent(n.repo.slice(0, slash))) continue;
    const stripped = n.repo.slice(slash + 1);
    const existing = repositories.get(stripped);
    if (existing && existing.tags.has(n.reference) && existing.tags.get(n.reference)!.digest !== n.d.digest) {
      skipped.push(`${n.full} as ${stripped}:${n.reference} (that name is taken by another image; use ${n.repo})`);
      continue;
    }
    add(stripped, n.reference, n.d);
  }
  // Referrers (unnamed entries naming their repository and subject), under each name the repository is served as.
  for (const e of entries) {
    const repo = e.descriptor.annotations?.[ANNOTATION_REFERRER_REPOSITORY];
    const subject = e.descriptor.annotations?.[ANNOTATION_REFERRER_SUBJECT];
    if (repo === undefined || subject === undefined) continue;
    const [d] = layoutReferrers([e], repo, subject);
    const slash = repo.indexOf('/');
    const names = [repo, ...(slash > 0 && isHostComponent(repo.slice(0, slash)) ? [repo.slice(slash + 1)] : [])];
    for (const name of names) {
      const r = repositories.get(name);
      if (!r || !d) continue;
      const list = r.referrers.get(subject) ?? [];
      if (!list.some((x) => x.digest === d.digest)) list.push(d);
      r.referrers.set(subject, list);
    }
  }
  return { repositories, skipped };
}

/** Sorted names after `last`, at most `n` (registry pagination). */
export function paginate(names: string[], n: number | undefined, last: string | undefined): { page: string[]; more: boolean } {
  const sorted = [...names].sort();
  const from = last === undefined ? 0 : sorted.findIndex((x) => x > last);
  const rest = from === -1 ? [] : sorted.slice(from);
  if (n === undefined) return { page: rest, more: false };
  return { page: rest.slice(0, n), more: rest.length > n };
}
