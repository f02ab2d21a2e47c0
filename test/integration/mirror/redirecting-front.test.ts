/**
 * A registry.k8s.io-style source (token at /v2/, every manifest and blob a 307 to another
 * loopback host and port) mirrors with `sync` and `save`; skopeo checks the digests
 * (issue #16 item 1 and its acceptance test).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedLayout } from '../../../fixtures/images/generate.js';
import { startRedirectingFront, type RedirectingFront } from '../../harness/redirecting-front.js';
import type { StartedRegistry } from '../../harness/registry.js';
import { skopeo, skopeoInspectDigest } from '../../harness/skopeo.js';
import { runCli } from '../../helpers/io.js';
import { bundleDigest } from '../../harness/workspace.js';
import { useSeededPair } from '../../harness/use-seeded-pair.js';
import { sha256Digest as sha } from '../../helpers/digest.js';

let src: StartedRegistry;
let dst: StartedRegistry;
let front: RedirectingFront;
let tmp: string;
let layout: GeneratedLayout;

const pair = useSeededPair('k8s-front');
beforeAll(async () => {
  ({ src, dst, tmp, layout } = pair());
  front = await startRedirectingFront({ target: src.host });
}, 120_000);

afterAll(async () => {
  await front?.close();
});

const plain = (): string[] => ['--plain-http', front.host, '--plain-http', dst.host];
const images = (): string[] => layout.images.flatMap((i) => ['--image', `${front.host}/${i.name}:${i.tag}`]);

function expectRedirectedWithoutAuthorization(): void {
  const manifests = front.frontRequests.filter((r) => r.path.includes('/manifests/') && r.status === 307);
  const blobs = front.frontRequests.filter((r) => r.path.includes('/blobs/') && r.status === 307);
  expect(manifests.length).toBeGreaterThanOrEqual(layout.images.length);
  expect(blobs.length).toBeGreaterThan(0);
  expect(front.tokensIssued()).toBeGreaterThan(0);
  expect(front.storageRequests.length).toBeGreaterThanOrEqual(manifests.length + blobs.length);
  expect(front.storageRequests.filter((r) => r.authorization !== undefined)).toEqual([]);
}

describe('a source that redirects every manifest and blob to another host (registry.k8s.io)', () => {
  it('sync follows manifest redirects and mirrors every image with its digest', async () => {
    front.frontRequests.length = 0;
    front.storageRequests.length = 0;
    const r = await runCli([...plain(), 'sync', ...images(), '--to', `${dst.host}/k8s`, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ status: string }>;
    expect(rows.map((x) => x.status)).toEqual(layout.images.map(() => 'copied'));
    for (const img of layout.images) expect(await skopeoInspectDigest(dst, `k8s/${img.name}:${img.tag}`)).toBe(img.digest);
    expectRedirectedWithoutAuthorization();

    // a second run asks the front (HEAD, redirected too) and copies nothing
    const again = await runCli([...plain(), 'sync', ...images(), '--to', `${dst.host}/k8s`, '-o', 'json']);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as Array<{ status: string }>).every((x) => x.status === 'skipped')).toBe(true);
  }, 120_000);

  it('save follows manifest redirects; skopeo reads every image out of the bundle with its digest', async () => {
    front.frontRequests.length = 0;
    front.storageRequests.length = 0;
    const bundle = path.join(tmp, 'k8s.tar');
    const r = await runCli([...plain(), 'save', ...images(), '-o', bundle]);
    expect(r.code, r.stderr).toBe(0);
    expectRedirectedWithoutAuthorization();
    for (const img of layout.images) {
      // skopeo for OCI media types; Docker ones from index.json and the hashed blob (skopeo 1.9's
      // oci transports list only OCI entries)
      expect(await bundleDigest(bundle, `${front.host}/${img.name}:${img.tag}`)).toBe(img.digest);
      if (img.format !== 'oci') continue;
      const ref = `oci-archive:${bundle}:${front.host}/${img.name}:${img.tag}`;
      // skopeo verifies every blob it copies out
      const out = path.join(tmp, `out-${img.name.replace(/\//g, '-')}`);
      await skopeo(['copy', '--all', '--preserve-digests', ref, `oci:${out}:x`]);
      expect(sha((await skopeo(['inspect', '--raw', `oci:${out}:x`])).stdout)).toBe(img.digest);
      for (const m of img.manifests) for (const l of m.layers) expect(sha(await readFile(path.join(out, 'blobs', 'sha256', l.digest.slice(7))))).toBe(l.digest);
    }
    const v = await runCli(['verify', bundle]);
    expect(v.code, v.stderr).toBe(0);
  }, 120_000);
});
