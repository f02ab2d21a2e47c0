/**
 * airlift loads an OCI layout skopeo wrote; `airlift copy` between docker://,
 * oci: and oci-archive:; an interrupted save, run again, reuses what it fetched
 * and never leaves a partial bundle at the output path.
 */
import { access, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedRegistry, type GeneratedLayout } from '../../../fixtures/images/generate.js';
import type { StartedRegistry } from '../../harness/registry.js';
import { skopeo, skopeoInspectDigest, srcFlags } from '../../harness/skopeo.js';
import { runCli } from '../../helpers/io.js';
import { startCountingProxy, type CountingProxy } from './counting-proxy.js';
import { useSeededPair } from '../../harness/use-seeded-pair.js';

let src: StartedRegistry;
let dst: StartedRegistry;
let proxy: CountingProxy;
let tmp: string;
let layout: GeneratedLayout;

const pair = useSeededPair('interop');
beforeAll(async () => {
  ({ src, dst, tmp, layout } = pair());
  proxy = await startCountingProxy(src.host);
}, 120_000);

afterAll(async () => {
  await proxy?.close();
});

const plain = (): string[] => ['--plain-http', src.host, '--plain-http', dst.host, '--plain-http', proxy.host];

describe('interop and copy', () => {
  it('loads an OCI layout that skopeo wrote', async () => {
    const dir = path.join(tmp, 'skopeo-layout');
    const oci = layout.images.filter((i) => i.format === 'oci');
    for (const img of oci) {
      await skopeo(['copy', '--all', '--preserve-digests', ...srcFlags(src), `docker://${src.host}/${img.name}:${img.tag}`, `oci:${dir}:${src.host}/${img.name}:${img.tag}`]);
    }
    const r = await runCli([...plain(), 'load', dir, '--to', `${dst.host}/from-skopeo`]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    for (const img of oci) expect(await skopeoInspectDigest(dst, `from-skopeo/${img.name}:${img.tag}`)).toBe(img.digest);
  }, 120_000);

  it('copy: docker:// → oci: → oci-archive: → docker://, digest unchanged; bad transports are usage errors', async () => {
    const multi = layout.images.find((i) => i.name === 'fixtures/multi')!;
    const dir = path.join(tmp, 'copy-dir');
    const tar = path.join(tmp, 'copy.tar');
    const a = await runCli([...plain(), 'copy', `docker://${src.host}/${multi.name}:${multi.tag}`, `oci:${dir}:app:1`]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout.trim()).toBe(multi.digest);
    const b = await runCli([...plain(), 'copy', `oci:${dir}:app:1`, `oci-archive:${tar}:example.com/app:1`]);
    expect(b.code, b.stderr).toBe(0);
    const c = await runCli([...plain(), 'copy', `oci-archive:${tar}:example.com/app:1`, `docker://${dst.host}/copied/app:1`]);
    expect(c.code, c.stderr).toBe(0);
    expect(await skopeoInspectDigest(dst, 'copied/app:1')).toBe(multi.digest);
    // one platform only: the index is rewritten (new digest) with only that child
    const d = await runCli([...plain(), 'copy', '--platform', 'linux/arm64', `docker://${src.host}/${multi.name}:${multi.tag}`, `docker://${dst.host}/copied/arm:1`]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout.trim()).not.toBe(multi.digest);
    expect(await skopeoInspectDigest(dst, 'copied/arm:1')).toBe(d.stdout.trim());
    const bad = await runCli(['copy', 'ftp://x', `oci:${dir}`]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('unknown transport');
  }, 120_000);

  it('an interrupted save, run again, completes and reuses what it fetched', async () => {
    const out = path.join(tmp, 'resume.tar');
    const images = [...layout.images.map((i) => `${proxy.host}/${i.name}:${i.tag}`), `${proxy.host}/fixtures/late:1.0`];
    const args = [...plain(), 'save', ...images.flatMap((i) => ['--image', i]), '-o', out];
    const first = await runCli(args);
    expect(first.code).not.toBe(0);
    expect(first.stderr).toContain('fixtures/late:1.0');
    await expect(access(out)).rejects.toThrow();
    expect(await readdir(tmp)).toContain('resume.tar.airlift-staging');
    // the missing image appears; the same command now completes without fetching the layers again
    const alpha = layout.images.find((i) => i.name === 'fixtures/alpha')!;
    await seedRegistry(layout.dir, src, [{ ref: alpha.ref, repository: 'fixtures/late', tag: '1.0' }]);
    proxy.reset();
    const second = await runCli(args);
    expect(second.code, second.stderr).toBe(0);
    // no layer is fetched again (only the small configs are read, for the lock's platforms)
    const configs = new Set(layout.images.flatMap((i) => i.manifests.map((m) => m.config.digest)));
    const blobGets = proxy.requests.filter((r) => r.startsWith('GET') && r.includes('/blobs/'));
    const layers = blobGets.filter((r) => !configs.has(r.slice(r.lastIndexOf('/') + 1)));
    expect(layers).toEqual([]);
    expect(blobGets.length).toBeLessThanOrEqual(configs.size);
    expect(await readdir(tmp)).not.toContain('resume.tar.airlift-staging');
    await access(out);
  }, 120_000);
});
