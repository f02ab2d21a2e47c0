/**
 * Small blobs between two registries travel in memory (getBlobBytes → one monolithic PUT with
 * the bytes), on real docker-registry processes with the fault proxy in front of the source:
 * a connection dropped in the middle of a small blob is resumed with Range as a streamed blob
 * is, and a small blob that never matches its digest fails the sync (exit 6) naming the image
 * and the blob, with no manifest pushed for that image and the bad bytes not stored.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_BLOB } from '../../../src/copy/blobs.js';
import { seedRegistry, type GeneratedImage } from '../../../fixtures/images/generate.js';
import { useFaultProxy } from '../../harness/use-fault-proxy.js';
import { useRegistry } from '../../harness/use-registry.js';
import { airlift, blobStatus, digestMismatches, manifestStatus, repoTag, workspace, type Workspace } from '../../harness/workspace.js';

let ws: Workspace;
let victim: GeneratedImage;
let others: GeneratedImage[];
/** fixtures/beta's uncompressed 64 KiB tar layer: small, and in no other image. */
let small: { digest: string; size: number };
beforeAll(async () => {
  ws = await workspace('small-blobs');
  victim = ws.layout.images.find((i) => i.name === 'fixtures/beta')!;
  const shared = new Set(ws.layout.images.filter((i) => i !== victim).flatMap((i) => i.blobs));
  small = victim.manifests[0]!.layers.filter((l) => !shared.has(l.digest) && l.size <= SMALL_BLOB).sort((a, b) => a.size - b.size)[0]!;
  others = ws.layout.images.filter((i) => i !== victim);
});
afterAll(async () => {
  await ws?.remove();
});

describe('small blobs from registry to registry', () => {
  const src = useRegistry('plain');
  const dst = useRegistry('plain');
  const proxy = useFaultProxy(() => src());
  const blobPath = (): RegExp => new RegExp(`/blobs/${small.digest.replace(':', '\\:')}$`);

  beforeAll(async () => {
    await seedRegistry(path.join(ws.dir, 'layout'), src(), ws.layout.images);
  });

  it('the blob under test is small and in one image', () => {
    expect(small.size).toBeGreaterThan(32 * 1024);
    expect(small.size).toBeLessThanOrEqual(SMALL_BLOB);
  });

  it('a connection dropped in the middle of a small blob is resumed with Range, and every image arrives intact', async () => {
    proxy().clearLog();
    proxy().addRule({ method: 'GET', path: blobPath(), times: 1, fault: { kind: 'reset', afterBytes: 20_000 } });
    const images = ws.layout.images.flatMap((i) => ['--image', `${proxy().host}/${repoTag(i)}`]);
    const r = await airlift(ws, ['--plain-http', proxy().host, 'sync', ...images, '--to', `${dst().host}/resumed`]);
    expect(r.code, r.stderr).toBe(0);
    const gets = proxy()
      .requests()
      .filter((q) => q.method === 'GET' && blobPath().test(q.path));
    expect(gets.map((q) => q.fault ?? null)).toEqual(['reset', null]);
    expect(gets[1]!.headers.range).toMatch(/^bytes=\d+-$/);
    expect(await digestMismatches(dst(), 'resumed', ws.layout.images)).toEqual([]);
  });

  it('a small blob corrupted on every download fails the sync naming image and blob; nothing of it is stored', async () => {
    proxy().addRule({ method: 'GET', path: blobPath(), times: Infinity, fault: { kind: 'corrupt' } });
    const images = ws.layout.images.flatMap((i) => ['--image', `${proxy().host}/${repoTag(i)}`]);
    const r = await airlift(ws, ['--plain-http', proxy().host, 'sync', ...images, '--to', `${dst().host}/corrupt`]);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('E_DIGEST_MISMATCH');
    expect(r.stderr).toContain(small.digest);
    expect(r.stderr).toContain(victim.name);
    expect(await manifestStatus(dst(), `corrupt/${victim.name}`, victim.tag)).toBe(404);
    expect(await blobStatus(dst(), `corrupt/${victim.name}`, small.digest)).toBe(404);
    expect(await digestMismatches(dst(), 'corrupt', others)).toEqual([]);
  });
});
