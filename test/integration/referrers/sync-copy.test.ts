/**
 * Issue #20: signatures, attestations and SBOMs travel with their images in `sync` and `copy`,
 * registry to registry. Real docker-registry 2.8 (no referrers API: the fallback tag schema is
 * what it exercises), real cosign (sign, attest, verify against the mirror) and oras (attach a
 * referrer, discover), crane for tag lists.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedLayout } from '../../../fixtures/images/generate.js';
import type { StartedRegistry } from '../../harness/registry.js';
import { makeSigner, type Signer } from '../../harness/signing.js';
import { useSeededPair } from '../../harness/use-seeded-pair.js';
import { runCli } from '../../helpers/io.js';

let src: StartedRegistry;
let dst: StartedRegistry;
let tmp: string;
let layout: GeneratedLayout;
let s: Signer;
/** alpha's SBOM referrer (oras attach) at the source, and the signature on it. */
let sbom: string;
let preexisting: string;

const pair = useSeededPair('referrers');
const image = (n: string) => layout.images.find((i) => i.name === `fixtures/${n}`)!;
const hexTag = (d: string) => d.replace(':', '-');

beforeAll(async () => {
  ({ src, dst, tmp, layout } = pair());
  s = await makeSigner(path.join(tmp, 'signer'));
  const alpha = `${src.host}/fixtures/alpha@${image('alpha').digest}`;
  await s.sign(alpha);
  await s.attest(alpha);
  sbom = await s.attach(alpha, 'application/spdx+json', '{"spdxVersion":"SPDX-2.3","name":"alpha"}');
  // a signature on the SBOM: an attachment of an attachment
  await s.sign(`${src.host}/fixtures/alpha@${sbom}`);
  // the multi-platform index and each of its platforms signed
  await s.sign(`${src.host}/fixtures/multi@${image('multi').digest}`, { recursive: true });
  // the mirror already holds alpha with a referrer of its own: the sync must keep it listed
  const r = await runCli(['--plain-http', src.host, '--plain-http', dst.host, 'copy', '--no-referrers', `docker://${src.host}/fixtures/alpha:1.0`, `docker://${dst.host}/m/fixtures/alpha:1.0`]);
  expect(r.code, r.stderr).toBe(0);
  preexisting = await s.attach(`${dst.host}/m/fixtures/alpha:1.0`, 'application/vnd.example.scan+json', '{"scan":"clean"}');
}, 240_000);

describe('sync carries signatures, attestations and referrers', () => {
  it('copies every attachment byte for byte, keeps the mirror fallback index entry it had, and cosign verifies at the mirror', async () => {
    const r = await runCli(['--plain-http', src.host, '--plain-http', dst.host, 'sync', '--image', `${src.host}/fixtures/alpha:1.0`, '--image', `${src.host}/fixtures/multi:1.0`, '--to', `${dst.host}/m`, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const alpha = image('alpha').digest;
    const srcTags = (await s.tags(`${src.host}/fixtures/alpha`)).filter((t) => t.startsWith('sha256-')).sort();
    const dstTags = (await s.tags(`${dst.host}/m/fixtures/alpha`)).filter((t) => t.startsWith('sha256-')).sort();
    expect(dstTags).toEqual(srcTags);
    expect(dstTags).toEqual(expect.arrayContaining([`${hexTag(alpha)}.sig`, `${hexTag(alpha)}.att`, hexTag(alpha), `${hexTag(sbom)}.sig`]));
    // cosign tags: same digests at both sides
    for (const t of dstTags.filter((x) => x.includes('.'))) {
      expect(await s.resolve(`${dst.host}/m/fixtures/alpha:${t}`), t).toBe(await s.resolve(`${src.host}/fixtures/alpha:${t}`));
    }
    // the SBOM referrer by digest, byte for byte, and the mirror's fallback index lists it and the referrer it had
    expect((await s.manifest(`${dst.host}/m/fixtures/alpha@${sbom}`)).equals(await s.manifest(`${src.host}/fixtures/alpha@${sbom}`))).toBe(true);
    const listed = await s.discover(`${dst.host}/m/fixtures/alpha@${alpha}`);
    expect(listed.map((d) => d.digest).sort()).toEqual([preexisting, sbom].sort());
    await s.verify(`${dst.host}/m/fixtures/alpha@${alpha}`);
    await s.verify(`${dst.host}/m/fixtures/alpha@${sbom}`);
    // the index and each platform
    await s.verify(`${dst.host}/m/fixtures/multi@${image('multi').digest}`);
    for (const m of image('multi').manifests) await s.verify(`${dst.host}/m/fixtures/multi@${m.descriptor.digest}`);
  }, 240_000);
});
