/**
 * Discovery of what travels with an image at a source store: for a manifest digest D in
 * repository R, its OCI 1.1 referrers (the store's referrers API; where the store has none, the
 * `sha256-<hex>` fallback index, read only when R's tag list holds that tag) and cosign's
 * `sha256-<hex>.sig|.att|.sbom` tags (found in the same tag list). One tag list per repository
 * and run, held while the run's jobs in that repository last (expect/done); the referrers API is asked once per digest (and, at a registry found without it, once
 * per run). Nothing is copied here: the copy engine (src/copy/attachments.ts) does that.
 */
import type { ImageSource } from '../endpoint/types.js';
import { toAirliftError, withHint, withPrefix, type AirliftError } from '../errors.js';
import { cosignTags, digestOfAttachmentTag, fallbackTag, parseReferrersIndex, typeWanted } from '../oci/referrers.js';

/** One attachment found for a subject digest. */
export interface Attachment {
  /** The digest it is about. */
  subject: string;
  /** A cosign tag (kept under that name at the destination); absent for referrers. */
  tag?: string;
  /** Known for referrers (listed with their descriptor); a cosign tag is resolved when copied. */
  digest?: string;
  mediaType?: string;
  size?: number;
  artifactType?: string;
  /** How it was found. */
  via: 'api' | 'fallback-tag' | 'cosign-tag';
}

export interface DiscoveryOptions {
  /** --referrers-type: keep only these artifact types (cosign's may be named `sig`, `att`, `sbom`). */
  types?: readonly string[];
  signal?: AbortSignal;
}

export class Discovery {
  private readonly tagLists = new WeakMap<ImageSource, Map<string, Promise<Set<string> | undefined>>>();
  /** Jobs announced and not yet done, per store and repository: a repository's tag list goes with its last one. */
  private readonly jobsLeft = new WeakMap<ImageSource, Map<string, number>>();
  constructor(private readonly opts: DiscoveryOptions = {}) {}

  /**
   * A job in `repo` at `store` is to come: its tag list, once listed, is kept until every job
   * announced for the repository is done(), then let go (a run of 10,000 repositories held one per
   * repository to its end). A repository never announced keeps its list for the run.
   */
  expect(store: ImageSource, repo: string): void {
    let per = this.jobsLeft.get(store);
    if (!per) this.jobsLeft.set(store, (per = new Map()));
    per.set(repo, (per.get(repo) ?? 0) + 1);
  }

  /** A job announced by expect() is done (whether it copied, skipped or failed). */
  done(store: ImageSource, repo: string): void {
    const per = this.jobsLeft.get(store);
    const left = per?.get(repo);
    if (left === undefined) return;
    if (left > 1) return void per!.set(repo, left - 1);
    per!.delete(repo);
    this.tagLists.get(store)?.delete(repo);
  }

  /** Tag lists held (for tests and diagnostics). */
  heldTagLists(store: ImageSource): number {
    return this.tagLists.get(store)?.size ?? 0;
  }

  /** The tags of `repo` at `store`, listed once per run (undefined: the store lists none). */
  tags(store: ImageSource, repo: string): Promise<Set<string> | undefined> {
    if (!store.listTags) return Promise.resolve(undefined);
    let per = this.tagLists.get(store);
    if (!per) this.tagLists.set(store, (per = new Map()));
    let p = per.get(repo);
    if (!p) {
      p = store.listTags(repo, this.opts.signal).then(
        (t) => new Set(t),
        (err: unknown) => {
          // A registry that refuses tag listings but serves pulls (some do, to anonymous users):
          // the attachment tags are asked for one by one instead (find: a HEAD each).
          if (refusedListing(err)) return undefined;
          return Promise.reject(hinted(err, `listing the tags of ${repo} at ${store.description} (to find signatures and other attachments)`));
        },
      );
      p.catch(() => undefined);
      per.set(repo, p);
    }
    return p;
  }

  /**
   * Whether `repo` holds cosign or fallback tags for a digest other than `known`: an index the
   * run did not read (skipped as unchanged) then has children with attachments worth a look.
   */
  async attachmentTagsBeyond(store: ImageSource, repo: string, known: ReadonlySet<string>): Promise<boolean> {
    const tags = await this.tags(store, repo);
    if (!tags) return false;
    for (const t of tags) {
      const d = digestOfAttachmentTag(t);
      if (d && !known.has(d)) return true;
    }
    return false;
  }

  /** Every attachment of `digest` in `repo` (of the wanted types), cosign tags first. */
  async find(store: ImageSource, repo: string, digest: string): Promise<Attachment[]> {
    const { types, signal } = this.opts;
    const listedTags = await this.tags(store, repo);
    // without a tag list, whether a tag exists is asked (a HEAD each)
    const has = async (tag: string): Promise<boolean> => (listedTags ? listedTags.has(tag) : (await store.resolveManifest(repo, tag, signal)) !== undefined);
    const out: Attachment[] = [];
    const wanted = cosignTags(digest).filter((c) => typeWanted(c.artifactType, types));
    const present = await Promise.all(wanted.map((c) => has(c.tag)));
    wanted.forEach((c, i) => {
      if (present[i]) out.push({ subject: digest, tag: c.tag, artifactType: c.artifactType, via: 'cosign-tag' });
    });
    let listed = store.referrers ? await store.referrers(repo, digest, signal).catch((err: unknown) => Promise.reject(hinted(err, `asking ${store.description} for the referrers of ${repo}@${digest}`))) : undefined;
    let via: Attachment['via'] = 'api';
    if (listed === undefined && (await has(fallbackTag(digest)))) {
      const m = await store.getManifest(repo, fallbackTag(digest), signal);
      listed = parseReferrersIndex(m.bytes).manifests;
      via = 'fallback-tag';
    }
    const seen = new Set<string>();
    for (const d of listed ?? []) {
      if (typeof d?.digest !== 'string' || seen.has(d.digest) || !typeWanted(d.artifactType, types)) continue;
      seen.add(d.digest);
      out.push({ subject: digest, digest: d.digest, mediaType: d.mediaType, size: d.size, ...(d.artifactType ? { artifactType: d.artifactType } : {}), via });
    }
    return out;
  }
}

/** A tag listing the registry refuses (401/403, or 404/405 for a listing it does not serve) rather than fails. */
function refusedListing(err: unknown): boolean {
  const e = toAirliftError(err);
  if (e.code === 'E_AUTH' || e.code === 'E_NOT_FOUND') return true;
  const status = (e as { status?: unknown }).status;
  return e.code === 'E_REGISTRY' && (status === 401 || status === 403 || status === 404 || status === 405);
}

function hinted(err: unknown, doing: string): AirliftError {
  return withHint(withPrefix(toAirliftError(err), doing), 'give --no-referrers to copy the images without their signatures, attestations and SBOMs');
}
