/**
 * The copy engine's part of what travels with an image: for each manifest digest an image job
 * stored (or found unchanged), the attachments src/referrers/ discovers at the source are copied
 * byte for byte with their blobs, through the same blob scheduler as the images: cosign tags under
 * their own names, referrers (a manifest with a `subject`) by digest, the destination keeping them
 * findable (ImageDestination.putManifest). Attachments of attachments follow (a signed SBOM).
 * Nothing here reads a platform: an attachment's config may be the 2-byte `{}` or any media type.
 */
import { isDigestRef } from '../digest/index.js';
import type { ImageDestination } from '../endpoint/types.js';
import { BundleError, IncompleteError, UnsupportedError } from '../errors.js';
import { parseManifest, type ParsedManifest } from '../oci/manifest.js';
import { MediaType, type BasicDescriptor, type Descriptor, type RawManifest } from '../oci/types.js';
import { OCI_ARTIFACT_MANIFEST, attachmentRecord } from '../oci/referrers.js';
import { Discovery, type Attachment } from '../referrers/discover.js';
import type { BlobScheduler } from './blobs.js';
import { ensureJobBlob } from './job-blob.js';
import type { CopyJob, CopyOptions, CopyResult, ReferrerResult } from './types.js';

/** How deep attachments of attachments are followed (a signature on an SBOM on an image is 2). */
const MAX_DEPTH = 4;

export class AttachmentCopier {
  readonly discovery: Discovery;
  /** One copy per destination repository and attachment, shared by the jobs that find it. */
  private readonly done = new WeakMap<ImageDestination, Map<string, Promise<ReferrerResult>>>();

  constructor(
    private readonly blobs: BlobScheduler,
    private readonly opts: CopyOptions,
  ) {
    this.discovery = new Discovery({ ...(opts.referrers?.types ? { types: opts.referrers.types } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
  }

  /**
   * Copies the attachments of `subjects` (digests the destination holds after the job) and of their
   * attachments. `dropped` is an index --platform rewrote: what is attached to it cannot hold at
   * the mirror (its digest is not there), which is a warning, or with `strict` an error.
   */
  async copyFor(job: CopyJob, name: string, subjects: readonly string[], dropped: string | undefined, result: CopyResult, repoNew: () => Promise<boolean>): Promise<void> {
    const { source } = job;
    if (dropped) {
      const lost = await this.discovery.find(source.store, source.repo, dropped);
      if (lost.length > 0) {
        const what = lost.map((a) => a.tag ?? a.artifactType ?? a.digest).join(', ');
        const message = `${name}: the index ${dropped} has ${lost.length} attachment(s) (${what}); --platform rewrote the index to a new digest, so they cannot hold at the mirror (the kept platforms' own signatures travel)`;
        if (this.opts.referrers?.strict) throw new IncompleteError(message, { hint: 'copy without --platform to keep the signed index, or sign the filtered index at the mirror' });
        this.opts.logger.log('warn', message);
        result.warnings = [...(result.warnings ?? []), message];
      }
    }
    const found: ReferrerResult[] = [];
    const visited = new Set<string>(subjects);
    let level = [...subjects];
    for (let depth = 0; level.length > 0 && depth < MAX_DEPTH; depth++) {
      const lists = await Promise.all(level.map((d) => this.discovery.find(source.store, source.repo, d)));
      const copied = await Promise.all(lists.flat().map((a) => this.copyOne(job, name, a, result, repoNew)));
      found.push(...copied);
      level = [];
      for (const r of copied) if (!visited.has(r.digest)) (visited.add(r.digest), level.push(r.digest));
    }
    if (found.length > 0) {
      result.referrers = [...(result.referrers ?? []), ...found];
      const copied = found.filter((r) => r.status === 'copied').length;
      this.opts.logger.log('info', `${name}: ${found.length} attachment(s) (signatures, attestations, SBOMs): ${copied} copied, ${found.length - copied} already there`);
    }
  }

  private copyOne(job: CopyJob, name: string, a: Attachment, result: CopyResult, repoNew: () => Promise<boolean>): Promise<ReferrerResult> {
    const store = job.dest.store;
    let per = this.done.get(store);
    if (!per) this.done.set(store, (per = new Map()));
    const key = `${job.dest.repo}\0${a.tag ?? a.digest}`;
    let p = per.get(key);
    if (!p) {
      p = this.copyAttachment(job, name, a, result, repoNew);
      per.set(key, p);
      return p;
    }
    // found by another job too: its outcome, without counting its blobs twice
    return p.then((r) => ({ ...r, subject: a.subject }));
  }

  private async copyAttachment(job: CopyJob, name: string, a: Attachment, result: CopyResult, repoNew: () => Promise<boolean>): Promise<ReferrerResult> {
    const { source, dest } = job;
    const { signal } = this.opts;
    const skip = this.opts.skipExisting !== false;
    const ref = a.tag ?? a.digest!;
    const entry = (m: BasicDescriptor, status: ReferrerResult['status']): ReferrerResult => ({ ...attachmentRecord(a.subject, m, a), status });
    let srcDigest = a.digest;
    if (skip) {
      const [there, at] = await Promise.all([dest.store.resolveManifest(dest.repo, ref, signal), a.tag ? source.store.resolveManifest(source.repo, a.tag, signal) : undefined]);
      srcDigest ??= at?.digest;
      if (there && srcDigest && there.digest === srcDigest) return entry(there, 'skipped');
    }
    const raw = await this.fetch(job, name, srcDigest ?? ref);
    await this.copyContent(job, name, raw, result, repoNew, 0);
    await dest.store.putManifest(dest.repo, raw, a.tag, signal);
    result.manifests++;
    return entry({ digest: raw.digest, mediaType: raw.mediaType, size: raw.bytes.byteLength }, 'copied');
  }

  private async fetch(job: CopyJob, name: string, reference: string): Promise<RawManifest & { parsed: ParsedManifest }> {
    const raw = await job.source.store.getManifest(job.source.repo, reference, this.opts.signal);
    if (isDigestRef(reference) && raw.digest !== reference) {
      throw new UnsupportedError(`${name}: ${job.source.store.description} answered manifest ${raw.digest} when asked for ${reference}`);
    }
    const what = `attachment ${raw.digest} of ${name}`;
    return { ...raw, parsed: raw.mediaType === OCI_ARTIFACT_MANIFEST ? artifactManifest(what, raw) : parseManifest(what, raw) };
  }

  /** The blobs (and, for an index, the child manifests) an attachment names, before the attachment itself. */
  private async copyContent(job: CopyJob, name: string, m: RawManifest & { parsed: ParsedManifest }, result: CopyResult, repoNew: () => Promise<boolean>, depth: number): Promise<void> {
    const { parsed } = m;
    if (parsed.kind === 'index') {
      if (depth >= MAX_DEPTH) throw new UnsupportedError(`${name}: attachment ${m.digest} nests indexes deeper than ${MAX_DEPTH}`);
      await Promise.all(
        parsed.children.map(async (c) => {
          const child = await this.fetch(job, name, c.digest);
          await this.copyContent(job, name, child, result, repoNew, depth + 1);
          await job.dest.store.putManifest(job.dest.repo, child, undefined, this.opts.signal);
          result.manifests++;
        }),
      );
      return;
    }
    // an OCI 1.0 artifact manifest (what oras pushed before OCI 1.1) has blobs and no config
    const blobs = parsed.json.mediaType === OCI_ARTIFACT_MANIFEST ? parsed.layers : [parsed.config, ...parsed.layers];
    const first = parsed.json.mediaType === OCI_ARTIFACT_MANIFEST ? -1 : 0;
    await Promise.all(
      blobs.map((desc, i) => ensureJobBlob(this.blobs, { job, name, desc, result, layer: i > first, destRepoNew: repoNew })),
    );
  }
}

/**
 * An OCI 1.0 artifact manifest (withdrawn from the spec, still served: `blobs`, no config) read as
 * an image whose layers are its blobs; the config slot holds the first blob and is never used as one.
 */
function artifactManifest(what: string, raw: RawManifest): ParsedManifest {
  const json = (() => {
    try {
      return JSON.parse(Buffer.from(raw.bytes).toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new BundleError(`${what}: not valid JSON`);
    }
  })();
  const blobs = Array.isArray(json.blobs) ? (json.blobs as Descriptor[]) : [];
  for (const [i, b] of blobs.entries()) {
    if (!b || typeof b.digest !== 'string' || typeof b.mediaType !== 'string' || typeof b.size !== 'number') throw new BundleError(`${what}: blobs[${i}] is not a descriptor`);
  }
  return { kind: 'image', mediaType: OCI_ARTIFACT_MANIFEST, json: { ...json, mediaType: OCI_ARTIFACT_MANIFEST }, config: blobs[0] ?? { mediaType: MediaType.OciEmpty, digest: EMPTY_DIGEST, size: 2 }, layers: blobs };
}

const EMPTY_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';
