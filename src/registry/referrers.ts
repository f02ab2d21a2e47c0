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
/**
 * How long after its write an entry is read back (at least; jittered by up to JITTER_MS, so two
 * writers do not keep meeting). Another writer's stale index (read before our write) lands within
 * its own read-to-write time; a window of 100-200 ms was outrun at a load average of 28 (four runs
 * at once, one lost its entry yet exited 0), so the window is at least SETTLE_MS and four times
 * what our own read-merge-write took (a loaded machine slows the others as it slows us), up to MAX_SETTLE_MS.
 */
const SETTLE_MS = 1000;
const MAX_SETTLE_MS = 20_000;
const JITTER_MS = 250;

/**
 * Adds `entry` to the fallback index of `subject` (tag `sha256-<hex>`) at a registry without the
 * referrers API: read, merge (entries already listed are kept), write, and read back once the other
 * writers have settled (see SETTLE_MS; and again, up to ATTEMPTS times, while the index read back is
 * not the one last seen: others are writing). Another writer that replaced the index in between (its own
 * read-merge-write over an index read before ours landed) is caught by the read-back and the merge is
 * made again over its index, so neither loses its entry; after ATTEMPTS lost writes the run fails
 * rather than report the entry listed. A registry offers no conditional write, so this cannot be
 * airtight: a writer whose own read-to-write time exceeds the window can still replace the index
 * after our read-back; the window makes that a matter of seconds, not of 100 ms. The caller
 * serializes writers of one subject within a run.
 */
export async function addToFallbackIndex(r: Requester, host: string, repo: string, subject: string, entry: Descriptor, o: { signal?: AbortSignal } = {}): Promise<'added' | 'present'> {
  const tag = fallbackTag(subject);
  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    const current = await readFallback(r, host, repo, tag, o.signal);
    const merged = mergeReferrersIndex(current, [entry]);
    if (!merged.bytes) return 'present';
    const bytes = merged.bytes;
    await putManifest(r, host, repo, tag, { bytes, mediaType: MediaType.OciIndex, digest: digestOf('sha256', Buffer.from(bytes)) }, o);
    const settle = Math.min(MAX_SETTLE_MS, Math.max(SETTLE_MS, 4 * (Date.now() - started)));
    let written = Buffer.from(bytes);
    let kept = false;
    // while others are seen writing (the index is not the one we, or they, last left), more may be on their way: watch again
    for (let look = 0; look < ATTEMPTS; look++) {
      await sleep(settle + Math.floor(Math.random() * JITTER_MS), o.signal);
      const raw = await readFallback(r, host, repo, tag, o.signal);
      kept = parseReferrersIndex(raw).manifests.some((d) => d.digest === entry.digest);
      const quiet = raw !== undefined && written.equals(raw);
      if (!kept || quiet) break;
      written = Buffer.from(raw!);
    }
    if (kept) return 'added';
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
