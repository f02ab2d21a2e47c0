/**
 * save → load round trip between two real docker-registry processes, checked
 * with skopeo; skopeo reads the bundle; verify; a tampered bundle is refused
 * by verify and load, and load pushes no manifest naming the bad blob.
 */
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedLayout } from '../../../fixtures/images/generate.js';
import { indexTar } from '../../../src/layout/tar-index.js';
import type { StartedRegistry } from '../../harness/registry.js';
import { skopeo, skopeoInspectDigest, skopeoInspectRaw } from '../../harness/skopeo.js';
import { copyWithDamagedBlob } from '../../helpers/damage.js';
import { runCli } from '../../helpers/io.js';
import { useSeededPair } from '../../harness/use-seeded-pair.js';
import { sha256Digest as sha } from '../../helpers/digest.js';

let src: StartedRegistry;
let dst: StartedRegistry;
let tmp: string;
let layout: GeneratedLayout;
let bundle: string;
let chartDir: string;

const pair = useSeededPair('save-load');
beforeAll(async () => {
  ({ src, dst, tmp, layout } = pair());
  // a chart naming two of the images in its values; the other two come from --image
  chartDir = path.join(tmp, 'demo');
  await mkdir(path.join(chartDir, 'templates'), { recursive: true });
  await writeFile(path.join(chartDir, 'Chart.yaml'), 'apiVersion: v2\nname: demo\nversion: 0.1.0\nappVersion: "1.0"\n');
  await writeFile(
    path.join(chartDir, 'values.yaml'),
    `app:\n  image:\n    registry: ${src.host}\n    repository: fixtures/alpha\n    tag: "1.0"\nworker:\n  image: ${src.host}/fixtures/beta:2.1\n`,
  );
  await writeFile(path.join(chartDir, 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n');
  bundle = path.join(tmp, 'bundle.tar');
}, 120_000);

const full = (name: string, tag: string): string => `${src.host}/${name}:${tag}`;
const plain = (): string[] => ['--plain-http', src.host, '--plain-http', dst.host];

describe('save → load (real registries)', () => {
  it('saves the chart images and --image images into one bundle, with the chart and the lock', async () => {
    const extra = layout.images.filter((i) => i.name === 'fixtures/gamma' || i.name === 'fixtures/multi');
    const r = await runCli([...plain(), 'save', chartDir, ...extra.flatMap((i) => ['--image', full(i.name, i.tag)]), '-o', bundle]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect((await stat(bundle)).isFile()).toBe(true);
    expect((await readdir(tmp)).filter((n) => n.includes('staging') || n.includes('.tmp-'))).toEqual([]);
    const entries = await indexTar(bundle);
    expect(entries.has('charts/demo-0.1.0.tgz')).toBe(true);
    expect(entries.has('airlift.lock.json')).toBe(true);
    for (const img of layout.images) expect(r.stdout).toContain(full(img.name, img.tag));
  });

  it('save -o - writes the same bundle, byte for byte, to stdout and nothing else there (issue #17, trap 2)', async () => {
    const extra = layout.images.filter((i) => i.name === 'fixtures/gamma' || i.name === 'fixtures/multi');
    const r = await runCli([...plain(), 'save', chartDir, ...extra.flatMap((i) => ['--image', full(i.name, i.tag)]), '-o', '-'], { cwd: tmp });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/wrote the bundle to stdout: /);
    expect(r.stdoutBuffer.equals(await readFile(bundle))).toBe(true);
    expect((await readdir(tmp)).filter((n) => n === '-' || n.includes('staging'))).toEqual([]);
  });

  it('skopeo copies every OCI image out of the bundle by its full reference, digests unchanged', async () => {
    // skopeo 1.9's oci-archive transport sees only entries with OCI media types (not the Docker schema 2 image)
    for (const img of layout.images.filter((i) => i.format === 'oci')) {
      const out = path.join(tmp, `skopeo-${img.name.replace('/', '-')}`);
      await skopeo(['copy', '--all', '--preserve-digests', `oci-archive:${bundle}:${full(img.name, img.tag)}`, `oci:${out}:x`]);
      expect(sha((await skopeo(['inspect', '--raw', `oci:${out}:x`])).stdout)).toBe(img.digest);
    }
  }, 120_000);

  it('verify accepts the bundle', async () => {
    const r = await runCli(['verify', bundle]);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^ok /gm)).toHaveLength(layout.images.length);
  });

  it('loads every image with its source digest (checked with skopeo) and the chart as an OCI Helm chart', async () => {
    const lockOut = path.join(tmp, 'loaded.lock.json');
    const r = await runCli([...plain(), 'load', bundle, '--to', `${dst.host}/mirror`, '--lock-out', lockOut, '-o', 'json']);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    // the summary counts the chart as a chart, never as an image (issue #17, trap 6)
    expect(r.stderr).toMatch(new RegExp(`^${layout.images.length} images: ${layout.images.length} copied, 0 already there, 0 failed; 1 chart: 1 copied, 0 already there, 0 failed · `, 'm'));
    expect(r.stderr).toMatch(/^copied chart demo:0\.1\.0 /m);
    const rows = JSON.parse(r.stdout) as Array<{ kind: string; source: string; destination: string; digest: string; status: string }>;
    for (const img of layout.images) {
      expect(await skopeoInspectDigest(dst, `mirror/${img.name}:${img.tag}`)).toBe(img.digest);
      const row = rows.find((x) => x.source === full(img.name, img.tag));
      expect(row).toMatchObject({ kind: 'image', status: 'copied', digest: img.digest, destination: `${dst.host}/mirror/${img.name}:${img.tag}` });
    }
    const chart = JSON.parse((await skopeoInspectRaw(dst, 'mirror/charts/demo:0.1.0')).toString('utf8')) as {
      config: { mediaType: string };
      layers: Array<{ mediaType: string }>;
    };
    expect(chart.config.mediaType).toBe('application/vnd.cncf.helm.config.v1+json');
    expect(chart.layers[0]!.mediaType).toBe('application/vnd.cncf.helm.chart.content.v1.tar+gzip');
    expect(rows.find((x) => x.kind === 'chart')?.destination).toBe(`${dst.host}/mirror/charts/demo:0.1.0`);
    const lock = JSON.parse(await (await open(lockOut)).readFile('utf8')) as { target: string; images: Array<{ destination: string }>; charts: Array<{ destination: string }> };
    expect(lock.target).toBe(`${dst.host}/mirror`);
    expect(lock.images).toHaveLength(layout.images.length);
    expect(lock.charts[0]!.destination).toBe(`${dst.host}/mirror/charts/demo:0.1.0`);

    const v = await runCli([...plain(), 'verify', '--to', `${dst.host}/mirror`, bundle]);
    expect(v.code).toBe(0);
    const none = await runCli([...plain(), 'verify', '--to', `${dst.host}/elsewhere`, bundle]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('missing');
  });

  it('--json: a plan event first, charts as charts (kind chart), byte progress, a typed summary last', async () => {
    const r = await runCli([...plain(), '--json', 'load', bundle, '--to', `${dst.host}/json-events`]);
    expect(r.code, r.stderr).toBe(0);
    const events = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events[0]).toMatchObject({ type: 'plan', images: layout.images.length, charts: 1 });
    const done = events.filter((e) => e.type === 'image.done');
    expect(done.filter((e) => e.kind === 'chart').map((e) => e.image)).toEqual(['chart demo:0.1.0']);
    expect(done.filter((e) => e.kind === 'image')).toHaveLength(layout.images.length);
    const summary = events.findLast((e) => e.type === 'summary');
    expect(summary).toMatchObject({ images: layout.images.length, copied: layout.images.length, charts: { total: 1, copied: 1, failed: 0 } });
    expect(events.filter((e) => e.type === 'blob.start').length).toBeGreaterThan(0);
    // nothing on stderr is free text
    expect(events.every((e) => typeof e.type === 'string')).toBe(true);
  });

  it('a bundle with one byte changed in one blob fails verify and load, naming the blob; load pushes no manifest naming it', async () => {
    const alpha = layout.images.find((i) => i.name === 'fixtures/alpha')!;
    const own = alpha.manifests[0]!.layers.at(-1)!; // alpha's own 4 KiB layer
    const bad = path.join(tmp, 'tampered.tar');
    await copyWithDamagedBlob(bundle, bad, own.digest);

    const v = await runCli(['verify', bad]);
    expect(v.code).not.toBe(0);
    expect(v.stderr).toContain(own.digest);
    expect(v.stderr).toContain('E_DIGEST_MISMATCH');

    const l = await runCli([...plain(), 'load', bad, '--to', `${dst.host}/tampered`]);
    expect(l.code).not.toBe(0);
    expect(l.stderr).toContain(own.digest);
    expect(l.stderr).toContain(full(alpha.name, alpha.tag));
    // no manifest naming the bad blob; the other images landed
    await expect(skopeoInspectDigest(dst, `tampered/${alpha.name}:${alpha.tag}`)).rejects.toThrow();
    for (const img of layout.images.filter((i) => i !== alpha)) {
      expect(await skopeoInspectDigest(dst, `tampered/${img.name}:${img.tag}`)).toBe(img.digest);
    }
  });
});
