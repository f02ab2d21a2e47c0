/** The pure shapes of issue #20 (src/oci/referrers.ts): fallback tags, cosign tags, the merged fallback index, type filters. */
import { describe, expect, it } from 'vitest';
import { digestOf } from '../../../src/digest/index.js';
import { cosignTags, digestOfAttachmentTag, fallbackTag, mergeReferrersIndex, referrerDescriptor, referrersResponse, subjectOf, typeWanted } from '../../../src/oci/referrers.js';
import { MediaType, type RawManifest } from '../../../src/oci/types.js';

const D = `sha256:${'ab'.repeat(32)}`;
const raw = (o: unknown, mediaType: string = MediaType.OciManifest): RawManifest => {
  const bytes = new TextEncoder().encode(JSON.stringify(o));
  return { bytes, mediaType, digest: digestOf('sha256', bytes) };
};
const empty = { mediaType: MediaType.OciEmpty, digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 };

describe('tags', () => {
  it('names the fallback and cosign tags of a digest, and reads a digest back from them', () => {
    expect(fallbackTag(D)).toBe(`sha256-${'ab'.repeat(32)}`);
    expect(cosignTags(D).map((t) => t.tag)).toEqual(['sig', 'att', 'sbom'].map((x) => `sha256-${'ab'.repeat(32)}.${x}`));
    expect(digestOfAttachmentTag(`sha256-${'ab'.repeat(32)}.att`)).toBe(D);
    expect(digestOfAttachmentTag(`sha256-${'ab'.repeat(32)}`)).toBe(D);
    expect(digestOfAttachmentTag('1.0')).toBeUndefined();
    expect(digestOfAttachmentTag(`sha256-${'ab'.repeat(32)}.other`)).toBeUndefined();
  });

  it('--referrers-type keeps the named artifact types; sig, att and sbom name cosign tags', () => {
    expect(typeWanted('application/spdx+json', undefined)).toBe(true);
    expect(typeWanted('application/spdx+json', ['application/spdx+json'])).toBe(true);
    expect(typeWanted('application/spdx+json', ['sig'])).toBe(false);
    expect(typeWanted(cosignTags(D)[0]!.artifactType, ['sig'])).toBe(true);
    expect(typeWanted(undefined, ['sig'])).toBe(false);
  });
});

describe('descriptors of referrers', () => {
  it('takes artifactType from the manifest, else from a non-empty config, and keeps annotations', () => {
    const withType = raw({ schemaVersion: 2, mediaType: MediaType.OciManifest, artifactType: 'application/spdx+json', config: empty, layers: [], subject: { mediaType: MediaType.OciManifest, digest: D, size: 10 }, annotations: { a: 'b' } });
    expect(referrerDescriptor(withType)).toEqual({ mediaType: MediaType.OciManifest, digest: withType.digest, size: withType.bytes.byteLength, artifactType: 'application/spdx+json', annotations: { a: 'b' } });
    expect(subjectOf(withType)?.digest).toBe(D);
    const fromConfig = raw({ schemaVersion: 2, config: { mediaType: 'application/vnd.example.config', digest: D, size: 3 }, layers: [] });
    expect(referrerDescriptor(fromConfig).artifactType).toBe('application/vnd.example.config');
    expect(referrerDescriptor(raw({ schemaVersion: 2, config: empty, layers: [] })).artifactType).toBeUndefined();
    expect(subjectOf(fromConfig)).toBeUndefined();
  });
});

describe('the fallback index', () => {
  const a = { mediaType: MediaType.OciManifest, digest: `sha256:${'01'.repeat(32)}`, size: 1, artifactType: 'x/a' };
  const b = { mediaType: MediaType.OciManifest, digest: `sha256:${'02'.repeat(32)}`, size: 2, artifactType: 'x/b' };

  it('is created when absent', () => {
    const m = mergeReferrersIndex(undefined, [a]);
    expect(JSON.parse(Buffer.from(m.bytes!).toString())).toEqual({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [a] });
  });

  it('keeps every entry already there, with fields it does not know, and appends the new ones once', () => {
    const before = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ ...a, annotations: { kept: 'yes' } }], annotations: { owner: 'other tool' } }));
    const m = mergeReferrersIndex(before, [b, b, a]);
    const j = JSON.parse(Buffer.from(m.bytes!).toString()) as { manifests: unknown[]; annotations: unknown };
    expect(j.manifests).toEqual([{ ...a, annotations: { kept: 'yes' } }, b]);
    expect(j.annotations).toEqual({ owner: 'other tool' });
  });

  it('asks for no write when every entry is listed', () => {
    const before = mergeReferrersIndex(undefined, [a, b]).bytes!;
    expect(mergeReferrersIndex(before, [b]).bytes).toBeUndefined();
  });

  it('answers the referrers API with artifactType applied', () => {
    const all = JSON.parse(Buffer.from(referrersResponse([a, b])).toString()) as { manifests: unknown[] };
    expect(all.manifests).toEqual([a, b]);
    const one = JSON.parse(Buffer.from(referrersResponse([a, b], 'x/b')).toString()) as { manifests: unknown[] };
    expect(one.manifests).toEqual([b]);
  });
});
