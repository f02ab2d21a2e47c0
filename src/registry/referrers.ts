/**
 * The registry side of referrers: the referrers API (`GET /v2/R/referrers/D`, every page of it)
 * and, for a registry without it, the upkeep of the `sha256-<hex>` fallback index when a manifest
 * with a subject is pushed (merged, never overwritten: entries already there stay).
 */
import { RegistryError } from '../errors.js';
import { MediaType, type Descriptor } from '../oci/types.js';
import { fallbackTag, mergeReferrersIndex, parseReferrersIndex } from '../oci/referrers.js';
import { digestOf, parseDigest } from '../digest/index.js';
import { repoScope } from './challenge.js';
import { readCapped } from './errors.js';
import { nextLink } from './link.js';
import { getManifest, putManifest } from './manifests.js';
import type { Requester } from './request.js';
import { sleep } from './retry.js';

const PAGE_CAP = 4 * 1024 * 1024;
const MAX_PAGES = 1000;

/**
 * Every descriptor the referrers API lists for `digest` (following `Link: <…>; rel="next"`), or
 * undefined when the registry answers 404 (it does not implement the API: the distribution spec
 * says a registry that does answers 200 with an empty index for a digest it does not know).
 */
export async function listReferrers(r: Requester, host: string, repo: string, digest: string, o: { signal?: AbortSignal; push?: boolean } = {}): Promise<Descriptor[] | undefined> {
  parseDigest(digest);
  const out: Descriptor[] = [];
  let path: string | undefined = `/v2/${repo}/referrers/${digest}`;
  for (let page = 0; path && page < MAX_PAGES; page++) {
    const { res, url } = await r.request({
      method: 'GET',
      host,
      path,
      scopes: [o.push ? repoScope(repo, 'pull', 'push') : repoScope(repo, 'pull')],
      headers: { accept: MediaType.OciIndex },
      accept: [200, 404],
      what: `referrers of ${host}/${repo}@${digest}`,
      signal: o.signal,
    });
    if (res.statusCode === 404) {
      await res.body.dump();
      if (page === 0) return undefined;
      throw new RegistryError({ status: 404, method: 'GET', url, message: `${host} lost the next page of the referrers of ${repo}@${digest}` });
    }
    const { bytes, truncated } = await readCapped(res.body, PAGE_CAP);
    if (truncated) throw new RegistryError({ status: 200, method: 'GET', url, message: `a page of the referrers of ${repo}@${digest} is larger than ${PAGE_CAP} bytes` });
    let manifests: unknown;
    try {
      manifests = (JSON.parse(bytes.toString('utf8')) as { manifests?: unknown }).manifests;
    } catch {
      throw new RegistryError({ status: 200, method: 'GET', url, message: `${host} answered the referrers of ${repo}@${digest} with something that is not JSON` });
    }
    if (Array.isArray(manifests)) {
      for (const d of manifests as Descriptor[]) if (d && typeof d.digest === 'string' && typeof d.mediaType === 'string' && typeof d.size === 'number') out.push(d);
    }
    const next = nextLink(res.headers.link, url);
    path = next && new URL(next).origin === new URL(url).origin ? next : undefined;
  }
  return out;
}

const ATTEMPTS = 5;
/** The pause before reading a written fallback index back (up to twice this, jittered). */
const READ_BACK_MS = 100;

/**
 * Adds `entry` to the fallback index of `subject` (tag `sha256-<hex>`) at a registry without the
 * referrers API: read, merge (entries already listed are kept), write, read back. Another writer
 * that replaced the index in between (its own read-merge-write) is caught by the read-back and the
 * merge is made again over its index, so neither loses its entry. The caller serializes writers
 * of one subject within a run.
 */
export async function addToFallbackIndex(r: Requester, host: string, repo: string, subject: string, entry: Descriptor, o: { signal?: AbortSignal } = {}): Promise<'added' | 'present'> {
  const tag = fallbackTag(subject);
  for (let attempt = 1; ; attempt++) {
    const current = await readFallback(r, host, repo, tag, o.signal);
    const merged = mergeReferrersIndex(current, [entry]);
    if (!merged.bytes) return 'present';
    const bytes = merged.bytes;
    await putManifest(r, host, repo, tag, { bytes, mediaType: MediaType.OciIndex, digest: digestOf('sha256', Buffer.from(bytes)) }, o);
    // A registry offers no conditional write: another run's read-merge-write that overlapped ours may
    // land just after it. Reading back a moment later (jittered, so two writers do not keep meeting)
    // catches that and merges again.
    await sleep(READ_BACK_MS + Math.floor(Math.random() * READ_BACK_MS), o.signal);
    const back = parseReferrersIndex(await readFallback(r, host, repo, tag, o.signal));
    if (back.manifests.some((d) => d.digest === entry.digest)) return 'added';
    if (attempt >= ATTEMPTS) {
      throw new RegistryError({
        status: 200,
        method: 'PUT',
        url: `/v2/${repo}/manifests/${tag}`,
        message: `${host}/${repo}:${tag} (the referrers index of ${subject}) lost the entry ${entry.digest} to other writers ${ATTEMPTS} times`,
      });
    }
  }
}

async function readFallback(r: Requester, host: string, repo: string, tag: string, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
  try {
    return (await getManifest(r, host, repo, tag, { push: true, ...(signal ? { signal } : {}) })).bytes;
  } catch (err) {
    if ((err as { code?: string }).code === 'E_NOT_FOUND') return undefined;
    throw err;
  }
}
