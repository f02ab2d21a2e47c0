/**
 * Test-only in-memory store implementing both sides of the endpoint contract,
 * with call counters and fault injection, to unit-test the copy engine.
 * Acceptance tests use real registries.
 */
import { Readable } from 'node:stream';
import { sha256, verifyBytes } from '../../../src/digest/index.js';
import type { ImageDestination, ImageSource } from '../../../src/endpoint/types.js';
import { NotFoundError } from '../../../src/errors.js';
import { MediaType, type Descriptor, type Platform, type RawManifest } from '../../../src/oci/types.js';

let stores = 0;

export class MemoryStore implements ImageSource, ImageDestination {
  readonly kind = 'registry' as const;
  /** Stands in for a registry: a second read may give other bytes. */
  readonly rereadable = true;
  blobs = new Map<string, Buffer>(); // digest → bytes (store-wide)
  repoBlobs = new Map<string, Set<string>>(); // repo → digests linked
  manifests = new Map<string, RawManifest>(); // digest → manifest (store-wide)
  tags = new Map<string, string>(); // "repo:tag" → digest
  calls: string[] = [];
  corrupt = new Set<string>(); // digests served with a flipped byte
  /** One store per object: another MemoryStore is another store even with the same description. */
  readonly storeId = `memory ${++stores}`;
  constructor(
    readonly description: string,
    readonly supportsMount = true,
  ) {}

  count(prefix: string): number {
    return this.calls.filter((c) => c.startsWith(prefix)).length;
  }
  private link(repo: string, digest: string): void {
    let s = this.repoBlobs.get(repo);
    if (!s) this.repoBlobs.set(repo, (s = new Set()));
    s.add(digest);
  }
  hasIn(repo: string, digest: string): boolean {
    return this.repoBlobs.get(repo)?.has(digest) ?? false;
  }

  async getManifest(repo: string, reference: string): Promise<RawManifest> {
    this.calls.push(`getManifest ${repo} ${reference}`);
    const d = this.tags.get(`${repo}:${reference}`) ?? reference;
    const m = this.manifests.get(d);
    if (!m) throw new NotFoundError(`manifest ${repo}:${reference} not found`);
    return m;
  }
  async resolveManifest(repo: string, reference: string): Promise<{ digest: string; mediaType: string; size: number } | undefined> {
    this.calls.push(`resolveManifest ${repo} ${reference}`);
    const d = this.tags.get(`${repo}:${reference}`) ?? (reference.startsWith('sha256:') ? reference : undefined);
    const m = d ? this.manifests.get(d) : undefined;
    return m ? { digest: m.digest, mediaType: m.mediaType, size: m.bytes.byteLength } : undefined;
  }
  async getBlob(repo: string, desc: Descriptor): Promise<Readable> {
    this.calls.push(`getBlob ${repo} ${desc.digest}`);
    const b = this.blobs.get(desc.digest);
    if (!b || !this.hasIn(repo, desc.digest)) throw new NotFoundError(`blob ${desc.digest} not in ${repo}`);
    let out = b;
    if (this.corrupt.has(desc.digest)) {
      out = Buffer.from(b);
      out[0] = out[0]! ^ 0xff;
    }
    // several chunks, as a network stream would deliver them
    const chunks: Buffer[] = [];
    for (let i = 0; i < out.length; i += 1000) chunks.push(out.subarray(i, i + 1000));
    return Readable.from(chunks);
  }
  async hasBlob(repo: string, desc: Descriptor): Promise<boolean> {
    this.calls.push(`hasBlob ${repo} ${desc.digest}`);
    return this.hasIn(repo, desc.digest);
  }
  async mountBlob(repo: string, desc: Descriptor, fromRepo: string): Promise<boolean> {
    this.calls.push(`mountBlob ${repo} ${desc.digest} ${fromRepo}`);
    if (!this.hasIn(fromRepo, desc.digest)) return false;
    this.link(repo, desc.digest);
    return true;
  }
  async putBlob(repo: string, desc: Descriptor, body: Readable): Promise<void> {
    this.calls.push(`putBlob ${repo} ${desc.digest}`);
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    const bytes = Buffer.concat(chunks);
    verifyBytes(`blob ${desc.digest}`, bytes, desc.digest, desc.size);
    this.blobs.set(desc.digest, bytes);
    this.link(repo, desc.digest);
  }
  async putManifest(repo: string, manifest: RawManifest, tag?: string): Promise<void> {
    this.calls.push(`putManifest ${repo} ${tag ?? manifest.digest}`);
    const m = JSON.parse(Buffer.from(manifest.bytes).toString()) as { manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
    for (const c of m.manifests ?? []) if (!this.manifests.has(c.digest)) throw new Error(`child ${c.digest} missing`);
    // a layer with urls (foreign, non-distributable) is fetched from there, not from the registry
    for (const b of [m.config, ...(m.layers ?? []).filter((l) => !l.urls?.length)]) if (b && !this.hasIn(repo, b.digest)) throw new Error(`blob ${b.digest} missing in ${repo}`);
    this.manifests.set(manifest.digest, manifest);
    if (tag) this.tags.set(`${repo}:${tag}`, manifest.digest);
  }
  async commit(): Promise<void> {}
  async close(): Promise<void> {}

  // ---- building test content
  addBlob(repo: string, bytes: Buffer | string, mediaType: string = MediaType.OciLayerGzip): Descriptor {
    const b = Buffer.from(bytes);
    const digest = sha256(b);
    this.blobs.set(digest, b);
    this.link(repo, digest);
    return { mediaType, digest, size: b.length };
  }
  addManifest(repo: string, obj: unknown, mediaType: string, tag?: string): RawManifest & Descriptor {
    const bytes = Buffer.from(JSON.stringify(obj));
    const raw = { bytes, mediaType, digest: sha256(bytes) };
    this.manifests.set(raw.digest, raw);
    if (tag) this.tags.set(`${repo}:${tag}`, raw.digest);
    return { ...raw, size: bytes.length };
  }
  /** An image with a config naming `platform` and the given layers (strings become blobs). */
  addImage(repo: string, tag: string | undefined, layers: string[], platform: Platform = { os: 'linux', architecture: 'amd64' }): RawManifest & Descriptor {
    const config = this.addBlob(repo, JSON.stringify({ ...platform, rootfs: { type: 'layers', diff_ids: [] }, tag: `${repo}:${tag}:${layers.join()}` }), MediaType.OciConfig);
    const ls = layers.map((l) => this.addBlob(repo, l));
    return this.addManifest(repo, { schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: ls }, MediaType.OciManifest, tag);
  }
  addIndex(repo: string, tag: string, children: Array<{ m: RawManifest & Descriptor; platform: Platform }>): RawManifest & Descriptor {
    const manifests = children.map((c) => ({ mediaType: c.m.mediaType, digest: c.m.digest, size: c.m.size, platform: c.platform }));
    return this.addManifest(repo, { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }, MediaType.OciIndex, tag);
  }
}
