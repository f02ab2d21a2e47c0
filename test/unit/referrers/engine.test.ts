/**
 * The copy engine with attachments (issue #20) between in-memory stores: a cosign signature
 * (tag), a referrer (by digest, with the 2-byte empty config and a non-image layer), a signature
 * on the referrer; what a store without tag listing costs; attachments found twice copied once.
 */
import { describe, expect, it, vi } from 'vitest';
import { copyImages, type CopyJob } from '../../../src/copy/index.js';
import { AuthError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';
import { OCI_ARTIFACT_MANIFEST, fallbackTag, mergeReferrersIndex } from '../../../src/oci/referrers.js';
import { MediaType, type Descriptor, type RawManifest } from '../../../src/oci/types.js';
import { MemoryStore } from '../copy/memory-store.js';
import { Discovery } from '../../../src/referrers/discover.js';

/** A MemoryStore that lists tags (or refuses to) and keeps no referrers API (the fallback tag is read). */
class ListingStore extends MemoryStore {
  refuseListing = false;
  async listTags(repo: string): Promise<string[]> {
    this.calls.push(`listTags ${repo}`);
    if (this.refuseListing) throw new AuthError(this.description, `${this.description} refuses to list tags`);
    return [...this.tags.keys()].filter((k) => k.startsWith(`${repo}:`)).map((k) => k.slice(repo.length + 1));
  }
}

const opts = { concurrency: 4, logger: silentLogger, referrers: {} };
const job = (src: MemoryStore, dst: MemoryStore, repo: string, tag: string): CopyJob => ({ source: { store: src, repo, reference: tag }, dest: { store: dst, repo: `m/${repo}`, tag }, name: `src/${repo}:${tag}` });

/** alpha:1 with a cosign signature, an SBOM referrer (empty config, SPDX layer) listed in the fallback index, and a signature on the SBOM. */
function signedSource(src: MemoryStore): { image: RawManifest & Descriptor; sig: RawManifest & Descriptor; sbom: RawManifest & Descriptor; sbomSig: RawManifest & Descriptor } {
  const image = src.addImage('alpha', '1', ['layer']);
  const sigLayer = src.addBlob('alpha', '{"critical":{}}', 'application/vnd.dev.cosign.simplesigning.v1+json');
  const cfg = src.addBlob('alpha', '{}', MediaType.OciConfig);
  const sig = src.addManifest('alpha', { schemaVersion: 2, mediaType: MediaType.OciManifest, config: cfg, layers: [sigLayer] }, MediaType.OciManifest, `${fallbackTag(image.digest)}.sig`);
  const empty = src.addBlob('alpha', '{}', MediaType.OciEmpty);
  const spdx = src.addBlob('alpha', '{"spdxVersion":"SPDX-2.3"}', 'application/spdx+json');
  const sbom = src.addManifest(
    'alpha',
    { schemaVersion: 2, mediaType: MediaType.OciManifest, artifactType: 'application/spdx+json', config: empty, layers: [spdx], subject: { mediaType: image.mediaType, digest: image.digest, size: image.size } },
    MediaType.OciManifest,
  );
  const idx = mergeReferrersIndex(undefined, [{ mediaType: sbom.mediaType, digest: sbom.digest, size: sbom.size, artifactType: 'application/spdx+json' }]).bytes!;
  src.addManifest('alpha', JSON.parse(Buffer.from(idx).toString()), MediaType.OciIndex, fallbackTag(image.digest));
  const sbomSigLayer = src.addBlob('alpha', '{"critical":{"sbom":1}}', 'application/vnd.dev.cosign.simplesigning.v1+json');
  const sbomSig = src.addManifest('alpha', { schemaVersion: 2, mediaType: MediaType.OciManifest, config: cfg, layers: [sbomSigLayer] }, MediaType.OciManifest, `${fallbackTag(sbom.digest)}.sig`);
  return { image, sig, sbom, sbomSig };
}

describe('copy engine with attachments', () => {
  it('copies the signature under its tag, the referrer by digest with its empty config, and the signature on the referrer', async () => {
    const src = new ListingStore('src');
    const dst = new MemoryStore('dst');
    const { image, sig, sbom, sbomSig } = signedSource(src);
    const [r] = await copyImages([job(src, dst, 'alpha', '1')], opts);
    expect(r!.status, r!.error?.message).toBe('copied');
    expect(dst.tags.get(`m/alpha:${fallbackTag(image.digest)}.sig`)).toBe(sig.digest);
    expect(dst.manifests.has(sbom.digest)).toBe(true);
    expect(dst.tags.get(`m/alpha:${fallbackTag(sbom.digest)}.sig`)).toBe(sbomSig.digest);
    // the referrer is put without a tag (the store keeps it findable), after its blobs
    expect(dst.calls).toContain(`putManifest m/alpha ${sbom.digest}`);
    expect(r!.referrers!.map((x) => [x.subject, x.tag ?? x.digest, x.status]).sort()).toEqual(
      [
        [image.digest, `${fallbackTag(image.digest)}.sig`, 'copied'],
        [image.digest, sbom.digest, 'copied'],
        [sbom.digest, `${fallbackTag(sbom.digest)}.sig`, 'copied'],
      ].sort(),
    );
    // the source's fallback index is read, never copied over the destination's
    expect(dst.tags.has(`m/alpha:${fallbackTag(image.digest)}`)).toBe(false);
    expect(src.calls.filter((c) => c.startsWith('listTags'))).toHaveLength(1);
  });

  it('a second run copies nothing; two jobs finding the same attachments copy them once', async () => {
    const src = new ListingStore('src');
    const dst = new MemoryStore('dst');
    const { image } = signedSource(src);
    await copyImages([job(src, dst, 'alpha', '1')], opts);
    const puts = dst.count('put');
    const again = await copyImages([job(src, dst, 'alpha', '1'), { ...job(src, dst, 'alpha', image.digest), dest: { store: dst, repo: 'm/alpha' } }], opts);
    expect(again.map((x) => x.status)).toEqual(['skipped', 'skipped']);
    expect(again[0]!.referrers!.every((x) => x.status === 'skipped')).toBe(true);
    expect(dst.count('put')).toBe(puts);
  });

  it('a source that refuses to list tags is asked for each attachment tag instead', async () => {
    const src = new ListingStore('src');
    src.refuseListing = true;
    const dst = new MemoryStore('dst');
    const { image, sig, sbom } = signedSource(src);
    const [r] = await copyImages([job(src, dst, 'alpha', '1')], opts);
    expect(r!.status, r!.error?.message).toBe('copied');
    expect(dst.tags.get(`m/alpha:${fallbackTag(image.digest)}.sig`)).toBe(sig.digest);
    expect(dst.manifests.has(sbom.digest)).toBe(true);
  });

  it('--referrers-type keeps only the named types; without the option nothing travels', async () => {
    const src = new ListingStore('src');
    const { image, sbom } = signedSource(src);
    const typed = new MemoryStore('typed');
    await copyImages([job(src, typed, 'alpha', '1')], { ...opts, referrers: { types: ['application/spdx+json'] } });
    expect(typed.manifests.has(sbom.digest)).toBe(true);
    expect(typed.tags.has(`m/alpha:${fallbackTag(image.digest)}.sig`)).toBe(false);
    const bare = new MemoryStore('bare');
    await copyImages([job(src, bare, 'alpha', '1')], { concurrency: 4, logger: silentLogger });
    expect([...bare.tags.keys()]).toEqual(['m/alpha:1']);
    expect(src.calls.filter((c) => c.startsWith('listTags'))).toHaveLength(1);
  });

  it('an OCI 1.0 artifact manifest (blobs, no config) travels with its blobs', async () => {
    const src = new ListingStore('src');
    const dst = new MemoryStore('dst');
    const image = src.addImage('app', '1', ['layer']);
    const blob = src.addBlob('app', 'signature bytes', 'application/vnd.cncf.notary.signature');
    const art = src.addManifest(
      'app',
      { mediaType: OCI_ARTIFACT_MANIFEST, artifactType: 'application/vnd.cncf.notary.signature', blobs: [blob], subject: { mediaType: image.mediaType, digest: image.digest, size: image.size } },
      OCI_ARTIFACT_MANIFEST,
    );
    const idx = mergeReferrersIndex(undefined, [{ mediaType: OCI_ARTIFACT_MANIFEST, digest: art.digest, size: art.size, artifactType: 'application/vnd.cncf.notary.signature' }]).bytes!;
    src.addManifest('app', JSON.parse(Buffer.from(idx).toString()), MediaType.OciIndex, fallbackTag(image.digest));
    const [r] = await copyImages([job(src, dst, 'app', '1')], opts);
    expect(r!.status, r!.error?.message).toBe('copied');
    expect(dst.manifests.get(art.digest)?.mediaType).toBe(OCI_ARTIFACT_MANIFEST);
    expect(dst.hasIn('m/app', blob.digest)).toBe(true);
  });

  it('a repository\'s tag list is asked once for all its jobs, however far apart, and let go after its last job', async () => {
    const src = new ListingStore('src');
    const dst = new MemoryStore('dst');
    const { image } = signedSource(src);
    for (const n of ['b', 'c', 'd', 'e']) src.addImage(n, '1', [`layer-${n}`]);
    const done = vi.spyOn(Discovery.prototype, 'done');
    try {
      // alpha's two jobs at either end, four other repositories between (two jobs run at once)
      const jobs = [job(src, dst, 'alpha', '1'), ...['b', 'c', 'd', 'e'].map((n) => job(src, dst, n, '1')), { ...job(src, dst, 'alpha', image.digest), dest: { store: dst, repo: 'm/alpha' } }];
      const results = await copyImages(jobs, { ...opts, concurrency: 1 });
      expect(results.map((r) => r.status)).toEqual(['copied', 'copied', 'copied', 'copied', 'copied', 'skipped']);
      expect(results[5]!.referrers!.length).toBe(3);
      const listed = src.calls.filter((c) => c.startsWith('listTags'));
      expect(listed.sort()).toEqual(['listTags alpha', 'listTags b', 'listTags c', 'listTags d', 'listTags e']);
      expect(done).toHaveBeenCalledTimes(6);
      const discovery = done.mock.contexts[0] as Discovery;
      expect(done.mock.contexts.every((c) => c === discovery)).toBe(true);
      expect(discovery.heldTagLists(src)).toBe(0);
    } finally {
      done.mockRestore();
    }
  });
});

describe('Discovery tag lists', () => {
  it('kept while jobs of the repository are announced and not done; asked again only past them; never announced: kept', async () => {
    const src = new ListingStore('src');
    src.addImage('alpha', '1', ['layer']);
    src.addImage('beta', '1', ['layer-b']);
    const d = new Discovery();
    d.expect(src, 'alpha');
    d.expect(src, 'alpha');
    expect([...(await d.tags(src, 'alpha'))!]).toEqual(['1']);
    d.done(src, 'alpha');
    await d.tags(src, 'alpha');
    expect(d.heldTagLists(src)).toBe(1);
    d.done(src, 'alpha');
    expect(d.heldTagLists(src)).toBe(0);
    expect(src.calls.filter((c) => c === 'listTags alpha')).toHaveLength(1);
    // past its announced jobs the list is asked again (a correct answer, one more request)
    await d.tags(src, 'alpha');
    expect(src.calls.filter((c) => c === 'listTags alpha')).toHaveLength(2);
    await d.tags(src, 'beta');
    d.done(src, 'beta');
    expect(d.heldTagLists(src)).toBe(2);
  });
});
