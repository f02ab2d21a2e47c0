/**
 * The planning pass for destinations that lay out their output before any
 * blob arrives (ImageDestination.prepare, an archive written in one pass).
 * The engine walks the jobs once against a PlanningDestination, which claims
 * to hold every blob (so nothing is transferred) and records every blob and
 * manifest; the real pass then runs against the prepared destination.
 * CachingSource keeps what the planning pass read (tag lookups and
 * manifests) so that the real pass reads no manifest twice.
 */
import type { Readable } from 'node:stream';
import { BundleError, toAirliftError } from '../errors.js';
import type { ImageDestination, ImageSource, StorePlan } from '../endpoint/types.js';
import type { Descriptor, RawManifest } from '../oci/types.js';

/** Records what a copy would store; transfers nothing. */
export class PlanningDestination implements ImageDestination {
  readonly supportsMount = false;
  private readonly blobs = new Map<string, Pick<Descriptor, 'digest' | 'size'>>();
  private readonly manifests = new Map<string, RawManifest>();
  constructor(readonly target: ImageDestination) {}

  get kind(): ImageDestination['kind'] {
    return this.target.kind;
  }
  get description(): string {
    return this.target.description;
  }
  async resolveManifest(): Promise<undefined> {
    return undefined;
  }
  /** Records the blob and answers that it is there, so that the engine moves on without fetching it. */
  async hasBlob(_repo: string, desc: Descriptor): Promise<boolean> {
    this.blobs.set(desc.digest, { digest: desc.digest, size: desc.size });
    return true;
  }
  async mountBlob(): Promise<boolean> {
    return false;
  }
  async putBlob(_repo: string, desc: Descriptor): Promise<void> {
    throw new BundleError(`planning ${this.description}: blob ${desc.digest} was sent, not only named`, { hint: 'this is a bug in the copy engine' });
  }
  async putManifest(_repo: string, manifest: RawManifest): Promise<void> {
    this.manifests.set(manifest.digest, manifest);
  }
  plan(): StorePlan {
    return { blobs: [...this.blobs.values()], manifests: [...this.manifests.values()] };
  }
  async commit(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Remembers an inner source's manifest answers for the length of one copy (it does not close the inner source). */
export class CachingSource implements ImageSource {
  private readonly resolved = new Map<string, ReturnType<ImageSource['resolveManifest']>>();
  private readonly manifests = new Map<string, Promise<RawManifest>>();
  private readonly tagLists = new Map<string, Promise<string[]>>();
  private readonly referrerLists = new Map<string, Promise<Descriptor[] | undefined>>();
  constructor(readonly inner: ImageSource) {}

  get kind(): ImageSource['kind'] {
    return this.inner.kind;
  }
  get rereadable(): boolean {
    return this.inner.rereadable;
  }
  get storeId(): string | undefined {
    return this.inner.storeId;
  }
  get description(): string {
    return this.inner.description;
  }
  /** A tag fetched whole before answers from its manifest. */
  resolveManifest(repo: string, reference: string, signal?: AbortSignal): ReturnType<ImageSource['resolveManifest']> {
    const key = `${repo}\0${reference}`;
    const fetched = this.manifests.get(key);
    if (fetched && !this.resolved.has(key)) {
      const r = fetched.then(
        (m) => ({ digest: m.digest, mediaType: m.mediaType, size: m.bytes.byteLength }),
        (err: unknown) => (toAirliftError(err).code === 'E_NOT_FOUND' ? undefined : Promise.reject(err)),
      );
      r.catch(() => undefined);
      this.resolved.set(key, r);
    }
    return memo(this.resolved, key, () => this.inner.resolveManifest(repo, reference, signal));
  }
  /** A manifest fetched by tag is also kept under its digest. */
  getManifest(repo: string, reference: string, signal?: AbortSignal): Promise<RawManifest> {
    return memo(this.manifests, `${repo}\0${reference}`, async () => {
      const m = await this.inner.getManifest(repo, reference, signal);
      if (!this.manifests.has(`${repo}\0${m.digest}`)) this.manifests.set(`${repo}\0${m.digest}`, Promise.resolve(m));
      return m;
    });
  }
  getBlob(repo: string, desc: Descriptor, signal?: AbortSignal): Promise<Readable> {
    return this.inner.getBlob(repo, desc, signal);
  }
  get pumpBlob(): ImageSource['pumpBlob'] {
    const inner = this.inner;
    return inner.pumpBlob ? (repo, desc, sink, signal) => inner.pumpBlob!(repo, desc, sink, signal) : undefined;
  }
  /** Discovery of attachments (src/referrers/): asked once, by the planning pass or the real one. */
  get listTags(): ImageSource['listTags'] {
    const inner = this.inner;
    if (!inner.listTags) return undefined;
    return (repo, signal) => memo(this.tagLists, repo, () => inner.listTags!(repo, signal));
  }
  get referrers(): ImageSource['referrers'] {
    const inner = this.inner;
    if (!inner.referrers) return undefined;
    return (repo, digest, signal) => memo(this.referrerLists, `${repo}\0${digest}`, () => inner.referrers!(repo, digest, signal));
  }
  async close(): Promise<void> {}
}

function memo<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let p = cache.get(key);
  if (!p) {
    p = load();
    cache.set(key, p);
    // a failure is remembered too: the real pass fails the same way, without asking again
    p.catch(() => undefined);
  }
  return p;
}
