import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedLayout } from '../../../fixtures/images/generate.js';
import type { StartedRegistry } from '../../harness/registry.js';
import { skopeoInspectDigest } from '../../harness/skopeo.js';
import { runCli } from '../../helpers/io.js';
import { startCountingProxy, type CountingProxy } from './counting-proxy.js';
import { useSeededPair } from '../../harness/use-seeded-pair.js';

let src: StartedRegistry;
let dst: StartedRegistry;
let srcProxy: CountingProxy;
let dstProxy: CountingProxy;
let tmp: string;
let layout: GeneratedLayout;

const pair = useSeededPair('sync');
beforeAll(async () => {
  ({ src, dst, tmp, layout } = pair());
  srcProxy = await startCountingProxy(src.host);
  dstProxy = await startCountingProxy(dst.host);
}, 120_000);

afterAll(async () => {
  await srcProxy?.close();
  await dstProxy?.close();
});

const plain = (): string[] => ['--plain-http', srcProxy.host, '--plain-http', dstProxy.host];

describe('airlift sync (real registries)', () => {
  it('copies every image with its source digest; a second run costs one HEAD per image at each side, one tag list per source repository and one referrers probe', async () => {
    const images = layout.images.flatMap((i) => ['--image', `${srcProxy.host}/${i.name}:${i.tag}`]);
    const lock = path.join(tmp, 'sync.lock.json');
    const first = await runCli([...plain(), 'sync', ...images, '--to', `${dstProxy.host}/mirror`, '--lock-out', lock, '-o', 'json']);
    expect(first.stderr).not.toContain('error');
    expect(first.code).toBe(0);
    const rows = JSON.parse(first.stdout) as Array<{ status: string; digest: string; destination: string }>;
    expect(rows.map((r) => r.status)).toEqual(layout.images.map(() => 'copied'));
    for (const img of layout.images) {
      expect(await skopeoInspectDigest(dst, `mirror/${img.name}:${img.tag}`)).toBe(img.digest);
    }
    // the shared base was uploaded once and mounted into the other repositories. A POST that
    // mounts from its own repository is the existence probe for a small blob: its 202 starts the
    // upload, so it counts as an upload start, not as a mount.
    const posts = dstProxy.requests.filter((r) => r.startsWith('POST'));
    const selfProbe = (r: string): boolean => {
      const m = /^POST \/v2\/(.+)\/blobs\/uploads\/\?(.*)$/.exec(r);
      return m !== null && new URLSearchParams(m[2]).get('from') === m[1];
    };
    const uploads = posts.filter((r) => !r.includes('mount=') || selfProbe(r));
    const mounts = posts.filter((r) => r.includes('mount=') && !selfProbe(r));
    expect(mounts.length).toBeGreaterThanOrEqual(layout.images.length - 1);
    expect(uploads.length).toBe(layout.blobSizes.size - layout.images.length - layout.images.filter((i) => i.manifests.length > 1).length * 2);
    const written = JSON.parse(await readFile(lock, 'utf8')) as { images: Array<{ source: string; digest: string; platforms: string[] }> };
    expect(written.images).toHaveLength(layout.images.length);
    expect(written.images.find((i) => i.source.endsWith('fixtures/multi:1.0'))?.platforms).toEqual(['linux/amd64', 'linux/arm64/v8']);

    srcProxy.reset();
    dstProxy.reset();
    const second = await runCli([...plain(), 'sync', ...images, '--to', `${dstProxy.host}/mirror`, '--lock-out', lock, '-o', 'json']);
    expect(second.code).toBe(0);
    expect((JSON.parse(second.stdout) as Array<{ status: string }>).every((r) => r.status === 'skipped')).toBe(true);
    const notPing = (r: string): boolean => r !== 'GET /v2/';
    const srcReqs = srcProxy.requests.filter(notPing);
    const dstReqs = dstProxy.requests.filter(notPing);
    console.log(`no-op sync of ${layout.images.length} images: source ${JSON.stringify(srcProxy.requests)}, destination ${JSON.stringify(dstProxy.requests)}`);
    // what travels with the images (issue #20): one tag list per source repository (cosign tags and
    // the referrers fallback tag are found there) and one referrers API probe per source registry
    // (docker-registry 2.8 answers 404: it has none, and is not asked again)
    const heads = srcReqs.filter((r) => r.startsWith('HEAD /v2/') && r.includes('/manifests/'));
    const tagLists = srcReqs.filter((r) => /^GET \/v2\/.+\/tags\/list$/.test(r));
    const probes = srcReqs.filter((r) => /^GET \/v2\/.+\/referrers\/sha256:/.test(r));
    expect(heads).toHaveLength(layout.images.length);
    expect(tagLists).toHaveLength(new Set(layout.images.map((i) => i.name)).size);
    expect(probes).toHaveLength(1);
    expect(srcReqs).toHaveLength(heads.length + tagLists.length + probes.length);
    expect(dstReqs).toHaveLength(layout.images.length);
    expect(dstReqs.every((r) => r.startsWith('HEAD /v2/') && r.includes('/manifests/'))).toBe(true);
  });

  it('--config: images, target and platforms from airlift.yaml; a filtered index is noted in the lock', async () => {
    const multi = layout.images.find((i) => i.name === 'fixtures/multi')!;
    const alpha = layout.images.find((i) => i.name === 'fixtures/alpha')!;
    const cfg = path.join(tmp, 'airlift.yaml');
    await writeFile(
      cfg,
      `target: ${dstProxy.host}/cfg\nplatforms: [linux/arm64]\nimages:\n  - ${srcProxy.host}/${multi.name}:${multi.tag}\n  - ${srcProxy.host}/${alpha.name}:${alpha.tag}\n`,
    );
    const lock = path.join(tmp, 'cfg.lock.json');
    const r = await runCli([...plain(), '--json', 'sync', '--config', cfg, '--lock-out', lock]);
    expect(r.code, r.stderr).toBe(0);
    const events = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(events.filter((e) => e.type === 'image.done')).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ type: 'summary', images: 2, copied: 2 });
    const written = JSON.parse(await readFile(lock, 'utf8')) as { target: string; images: Array<{ source: string; digest: string; platforms: string[]; filtered?: { sourceDigest: string } }> };
    expect(written.target).toBe(`${dstProxy.host}/cfg`);
    const m = written.images.find((i) => i.source.endsWith(`${multi.name}:${multi.tag}`))!;
    expect(m.platforms).toEqual(['linux/arm64/v8']);
    expect(m.filtered?.sourceDigest).toBe(multi.digest);
    expect(m.digest).not.toBe(multi.digest);
    expect(await skopeoInspectDigest(dst, `cfg/${multi.name}:${multi.tag}`)).toBe(m.digest);
    // a single-platform image is copied as it is
    expect(await skopeoInspectDigest(dst, `cfg/${alpha.name}:${alpha.tag}`)).toBe(alpha.digest);
  });

  it('refuses a sync without a destination, and a config with a bad field, with usage/input errors', async () => {
    const none = await runCli(['sync', '--image', 'docker.io/library/nginx:1.25']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('--to');
    const cfg = path.join(tmp, 'bad.yaml');
    await writeFile(cfg, 'images: [nginx]\nmapping: sideways\n');
    const bad = await runCli(['sync', '--config', cfg, '--to', '127.0.0.1:1']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('mapping');
    expect(bad.stderr).toContain('E_INPUT');
  });
});
