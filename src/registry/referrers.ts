/**
 * The registry side of referrers: the referrers API (`GET /v2/R/referrers/D`, every page of it)
 * and, for a registry without it, the upkeep of the `sha256-<hex>` fallback index when a manifest
 * with a subject is pushed (merged, never overwritten: entries already there stay).
 */
import pLimit from 'p-limit';
import { RegistryError, toAirliftError, withHint, type AirliftError } from '../errors.js';
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
 * after our read-back; the window makes that a matter of seconds, not of 100 ms, and the end-of-run
 * re-check (recheckFallbackIndexes) reads every index again once the run's writes are done. The
 * caller serializes writers of one subject within a run. `add`: one entry, or several merged at once.
 */
export async function addToFallbackIndex(r: Requester, host: string, repo: string, subject: string, add: Descriptor | readonly Descriptor[], o: { signal?: AbortSignal } = {}): Promise<'added' | 'present'> {
  const tag = fallbackTag(subject);
  const entries: readonly Descriptor[] = Array.isArray(add) ? add : [add as Descriptor];
  const listsAll = (raw: Uint8Array | undefined): boolean => {
    const listed = new Set(parseReferrersIndex(raw).manifests.map((d) => d.digest));
    return entries.every((e) => listed.has(e.digest));
  };
  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    const current = await readFallback(r, host, repo, tag, o.signal);
    const merged = mergeReferrersIndex(current, entries);
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
      kept = listsAll(raw);
      const quiet = raw !== undefined && written.equals(raw);
      if (!kept || quiet) break;
      written = Buffer.from(raw!);
    }
    if (kept) return 'added';
    if (attempt >= ATTEMPTS) {
      throw withHint(
        new RegistryError({
          status: 200,
          method: 'PUT',
          url: `/v2/${repo}/manifests/${tag}`,
          message: `${host}/${repo}:${tag} (the referrers index of ${subject}) lost ${entries.map((e) => e.digest).join(', ')} to other writers ${ATTEMPTS} times`,
        }),
        RERUN_HINT,
      );
    }
  }
}

const RERUN_HINT =
  're-run the same command once the other writers of this image\'s referrers are done: it merges its entries into the index again (runs that add referrers to one image at a registry without the referrers API are safest one after another)';

/** The fallback index entries one run wrote (or found listed) for one subject: what the end-of-run re-check reads for. */
export interface FallbackWrite {
  repo: string;
  subject: string;
  entries: readonly Descriptor[];
}

/** A fallback index the end-of-run re-check could not make hold, and why. */
export interface FallbackLoss {
  write: FallbackWrite;
  error: AirliftError;
}

/** Re-check rounds at the end of a run (a read of every index written; a rewrite of those that lost an entry). */
const RECHECK_ROUNDS = 3;
const RECHECK_PARALLEL = 8;

/**
 * The end-of-run re-check of the fallback indexes a run wrote: the read-back after each write
 * (addToFallbackIndex) cannot see a concurrent writer's stale index that lands after it. Once every
 * write of the run is done and a settle window has passed since the last (`lastWrite`, ms since the
 * epoch), every index is read again; an index that no longer lists all of this run's entries gets
 * them merged in again (addToFallbackIndex: read, merge, write, read back, its bounded retries) and
 * the re-check goes another round after a jittered window, up to RECHECK_ROUNDS. What still does not
 * hold is returned, with an error that names the tag and what to do: the caller fails the images
 * it belongs to, never reporting a signature reachable that is not.
 */
export async function recheckFallbackIndexes(r: Requester, host: string, writes: readonly FallbackWrite[], o: { signal?: AbortSignal; lastWrite?: number } = {}): Promise<FallbackLoss[]> {
  const losses: FallbackLoss[] = [];
  if (writes.length === 0) return losses;
  const jitter = (): number => Math.floor(Math.random() * JITTER_MS);
  await sleep(Math.max(0, (o.lastWrite ?? 0) + SETTLE_MS + jitter() - Date.now()), o.signal);
  let pending = [...writes];
  for (let round = 1; pending.length > 0; round++) {
    const lost: Array<{ write: FallbackWrite; missing: Descriptor[] }> = [];
    await eachLimited(pending, async (w) => {
      const listed = new Set(parseReferrersIndex(await readFallback(r, host, w.repo, fallbackTag(w.subject), o.signal)).manifests.map((d) => d.digest));
      const missing = w.entries.filter((e) => !listed.has(e.digest));
      if (missing.length > 0) lost.push({ write: w, missing });
    });
    if (lost.length === 0) break;
    if (round >= RECHECK_ROUNDS) {
      for (const { write, missing } of lost) {
        const tag = fallbackTag(write.subject);
        const error = new RegistryError({
          status: 200,
          method: 'GET',
          url: `/v2/${write.repo}/manifests/${tag}`,
          message: `${host}/${write.repo}:${tag} (the referrers index of ${write.subject}) no longer lists ${missing.map((e) => e.digest).join(', ')}: another writer replaced it after this run merged them in, ${RECHECK_ROUNDS} times`,
        });
        losses.push({ write, error: withHint(error, RERUN_HINT) });
      }
      break;
    }
    pending = [];
    await eachLimited(lost, async ({ write, missing }) => {
      try {
        await addToFallbackIndex(r, host, write.repo, write.subject, missing, o);
        pending.push(write);
      } catch (err) {
        if (o.signal?.aborted) throw err;
        const e = toAirliftError(err);
        losses.push({ write, error: e.hint?.includes(RERUN_HINT) ? e : withHint(e, RERUN_HINT) });
      }
    });
    if (pending.length > 0) await sleep(SETTLE_MS + jitter(), o.signal);
  }
  return losses;
}

/** `each` over `items`, RECHECK_PARALLEL at a time (p-limit, as the copy engine and the requester limit theirs). */
async function eachLimited<T>(items: readonly T[], each: (item: T) => Promise<void>): Promise<void> {
  const limit = pLimit(RECHECK_PARALLEL);
  await Promise.all(items.map((item) => limit(() => each(item))));
}

async function readFallback(r: Requester, host: string, repo: string, tag: string, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
  try {
    return (await getManifest(r, host, repo, tag, { push: true, ...(signal ? { signal } : {}) })).bytes;
  } catch (err) {
    if ((err as { code?: string }).code === 'E_NOT_FOUND') return undefined;
    throw err;
  }
}
