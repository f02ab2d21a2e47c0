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

/**
 * Remembers an inner source's answers (manifests, tag lists, referrers) for the length of one copy
 * (it does not close the inner source). The planning pass asks and is remembered, counting each
 * question; after replay() (the real pass, which asks the same questions again) each answer goes
 * once it has been given as many times as the planning pass asked for it, so that a save holds a
 * manifest only until its image is written, not every manifest of the run to its end.
 */
export class CachingSource implements ImageSource {
  private readonly resolved = new Answers<Awaited<ReturnType<ImageSource['resolveManifest']>>>();
  private readonly manifests = new Answers<RawManifest>();
  private readonly tagLists = new Answers<string[]>();
  private readonly referrerLists = new Answers<Descriptor[] | undefined>();
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
  /** The real pass begins: every answer from now on counts against the planning pass's questions. */
  replay(): void {
    for (const a of [this.resolved, this.manifests, this.tagLists, this.referrerLists]) a.replaying = true;
  }
  /** Answers held (for tests and diagnostics). */
  held(): number {
    return this.resolved.size + this.manifests.size + this.tagLists.size + this.referrerLists.size;
  }
  /** A tag fetched whole before answers from its manifest. */
  resolveManifest(repo: string, reference: string, signal?: AbortSignal): ReturnType<ImageSource['resolveManifest']> {
    const key = `${repo}\0${reference}`;
    const fetched = this.manifests.peek(key);
    const derive = (m: Promise<RawManifest>): ReturnType<ImageSource['resolveManifest']> => {
      const r = m.then(
        (m) => ({ digest: m.digest, mediaType: m.mediaType, size: m.bytes.byteLength }),
        (err: unknown) => (toAirliftError(err).code === 'E_NOT_FOUND' ? undefined : Promise.reject(err)),
      );
      r.catch(() => undefined);
      return r;
    };
    return this.resolved.get(key, () => (fetched ? derive(fetched) : this.inner.resolveManifest(repo, reference, signal)));
  }
  /** A manifest fetched by tag is also kept under its digest (for as long as its tag is). */
  getManifest(repo: string, reference: string, signal?: AbortSignal): Promise<RawManifest> {
    return this.manifests.get(`${repo}\0${reference}`, async () => {
      const m = await this.inner.getManifest(repo, reference, signal);
      if (m.digest !== reference) this.manifests.alias(`${repo}\0${reference}`, `${repo}\0${m.digest}`, m);
      return m;
    });
  }
  getBlob(repo: string, desc: Descriptor, signal?: AbortSignal): Promise<Readable> {
    return this.inner.getBlob(repo, desc, signal);
  }
  get getBlobBytes(): ImageSource['getBlobBytes'] {
    const inner = this.inner;
    return inner.getBlobBytes ? (repo, desc, signal, progress) => inner.getBlobBytes!(repo, desc, signal, progress) : undefined;
  }
  get pumpBlob(): ImageSource['pumpBlob'] {
    const inner = this.inner;
    return inner.pumpBlob ? (repo, desc, sink, signal) => inner.pumpBlob!(repo, desc, sink, signal) : undefined;
  }
  /** Discovery of attachments (src/referrers/): asked once, by the planning pass or the real one. */
  get listTags(): ImageSource['listTags'] {
    const inner = this.inner;
    if (!inner.listTags) return undefined;
    return (repo, signal) => this.tagLists.get(repo, () => inner.listTags!(repo, signal));
  }
  get referrers(): ImageSource['referrers'] {
    const inner = this.inner;
    if (!inner.referrers) return undefined;
    return (repo, digest, signal) => this.referrerLists.get(`${repo}\0${digest}`, () => inner.referrers!(repo, digest, signal));
  }
  async close(): Promise<void> {}
}

/**
 * Answers by key, each asked of the source once. While planning, every question is counted; while
 * replaying, each question takes one use and the answer goes with its last (a question past them,
 * or never planned, is asked of the source). A failure is remembered too: the real pass fails the
 * same way, without asking again.
 */
class Answers<T> {
  private readonly answers = new Map<string, Promise<T>>();
  private readonly uses = new Map<string, number>();
  /** key → the key of the answer kept beside it (a manifest under its digest), which goes with it unless asked for itself. */
  private readonly aliases = new Map<string, string>();
  replaying = false;

  get size(): number {
    return this.answers.size;
  }
  peek(key: string): Promise<T> | undefined {
    return this.answers.get(key);
  }
  get(key: string, load: () => Promise<T>): Promise<T> {
    if (!this.replaying) {
      this.uses.set(key, (this.uses.get(key) ?? 0) + 1);
      return memo(this.answers, key, load);
    }
    const p = this.answers.get(key);
    if (!p) return load();
    const left = (this.uses.get(key) ?? 1) - 1;
    if (left > 0) this.uses.set(key, left);
    else this.release(key);
    return p;
  }
  /** Keeps `value` under `key` too, without a question of its own, while `owner` is kept. */
  alias(owner: string, key: string, value: T): void {
    if (this.replaying || this.answers.has(key)) return;
    this.answers.set(key, Promise.resolve(value));
    this.aliases.set(owner, key);
  }
  private release(key: string): void {
    this.answers.delete(key);
    this.uses.delete(key);
    const alias = this.aliases.get(key);
    if (alias === undefined) return;
    this.aliases.delete(key);
    // asked for under its own key while planning: it goes with its own last use
    if (!this.uses.has(alias)) this.answers.delete(alias);
  }
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
