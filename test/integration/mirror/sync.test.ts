import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLayout, presetTiny, seedRegistry, type GeneratedLayout } from '../../../fixtures/images/generate.js';
import { startRegistry, type StartedRegistry } from '../../harness/registry.js';
import { skopeoInspectDigest } from '../../harness/skopeo.js';
import { runCli } from '../../helpers/io.js';
import { startCountingProxy, type CountingProxy } from './counting-proxy.js';

let src: StartedRegistry;
let dst: StartedRegistry;
let srcProxy: CountingProxy;
let dstProxy: CountingProxy;
let tmp: string;
let layout: GeneratedLayout;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'airlift-sync-'));
  [src, dst] = await Promise.all([startRegistry({ mode: 'plain' }), startRegistry({ mode: 'plain' })]);
  layout = await generateLayout(path.join(tmp, 'layout'), presetTiny());
  await seedRegistry(layout.dir, src, layout.images);
  srcProxy = await startCountingProxy(src.host);
  dstProxy = await startCountingProxy(dst.host);
}, 120_000);

afterAll(async () => {
  await srcProxy?.close();
  await dstProxy?.close();
  await Promise.all([src?.stop(), dst?.stop()]);
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const plain = (): string[] => ['--plain-http', srcProxy.host, '--plain-http', dstProxy.host];

describe('airlift sync (real registries)', () => {
  it('copies every image with its source digest; a second run costs one HEAD per image at each side', async () => {
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
    // the shared base was uploaded once and mounted into the other repositories
    const uploads = dstProxy.requests.filter((r) => r.startsWith('POST') && !r.includes('mount='));
    const mounts = dstProxy.requests.filter((r) => r.startsWith('POST') && r.includes('mount='));
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
    expect(srcReqs).toHaveLength(layout.images.length);
    expect(dstReqs).toHaveLength(layout.images.length);
    expect([...srcReqs, ...dstReqs].every((r) => r.startsWith('HEAD /v2/') && r.includes('/manifests/'))).toBe(true);
  });
});
