/**
 * `airlift inspect` (issue #21 item 4) on bundles saved from a real registry: images with their
 * platforms and sizes, the chart, totals and the bytes shared blobs save, the same on a split and
 * compressed bundle; it reads index.json, manifests and the lock and never a layer (counted on
 * the bundle's files), and its totals match the blobs the tar holds (indexed independently).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { GeneratedLayout } from '../../../fixtures/images/generate.js';
import { inspectBundle, lockBase, type InspectReport } from '../../../src/bundle/inspect.js';
import { openBundle } from '../../../src/bundle/images.js';
import type { Lock } from '../../../src/lock/types.js';
import { indexTar } from '../../../src/layout/tar-index.js';
import type { StartedRegistry } from '../../harness/registry.js';
import { toolBinary } from '../../harness/tools.js';
import { useSeededPair } from '../../harness/use-seeded-pair.js';
import { runCli } from '../../helpers/io.js';

let src: StartedRegistry;
let tmp: string;
let layout: GeneratedLayout;
let tar: string;
let packed: string;
const pair = useSeededPair('inspect');
beforeAll(async () => {
  ({ src, tmp, layout } = pair());
  const chart = path.join(tmp, 'demo');
  await mkdir(path.join(chart, 'templates'), { recursive: true });
  await writeFile(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: demo\nversion: 0.3.0\n');
  await writeFile(path.join(chart, 'values.yaml'), `image: ${src.host}/fixtures/alpha:1.0\n`);
  await writeFile(path.join(chart, 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n');
  const images = layout.images.flatMap((i) => ['--image', `${src.host}/${i.name}:${i.tag}`]);
  tar = path.join(tmp, 'bundle.tar');
  packed = path.join(tmp, 'packed.tar.gz');
  for (const extra of [['-o', tar], ['--compress', 'gzip', '--split-size', '1MiB', '-o', packed]]) {
    const r = await runCli(['--plain-http', src.host, 'save', chart, ...images, ...extra]);
    if (r.code !== 0) throw new Error(r.stderr);
  }
}, 120_000);

/** inspect with every read of the bundle's files counted. */
async function countedInspect(file: string): Promise<{ report: InspectReport; streams: string[]; reads: string[] }> {
  const streams: string[] = [];
  const reads: string[] = [];
  const report = await inspectBundle(
    { bundle: file, where: path.basename(file) },
    {
      open: async (f) => {
        const b = await openBundle(f);
        const files = b.reader.files;
        const stream = files.stream.bind(files);
        const read = files.read.bind(files);
        files.stream = async (name, range, opts) => {
          streams.push(name);
          return stream(name, range, opts);
        };
        files.read = async (name, max) => {
          reads.push(name);
          return read(name, max);
        };
        return b;
      },
    },
  );
  return { report, streams, reads };
}

describe('inspect', () => {
  it('lists images (platforms, sizes), the chart and totals; reads manifests and the lock, never a layer', async () => {
    const { report, streams, reads } = await countedInspect(tar);
    expect(streams).toEqual([]);
    const manifestDigests = new Set(layout.images.flatMap((i) => [i.digest, ...i.manifests.map((m) => m.descriptor.digest)]));
    for (const name of reads) {
      if (name === 'oci-layout' || name === 'index.json' || name === 'airlift.lock.json') continue;
      expect(manifestDigests.has(name.replace(/^blobs\/sha256\//, 'sha256:')), `${name} read`).toBe(true);
    }
    expect(report.images.map((i) => i.reference).sort()).toEqual(layout.images.map((i) => `${src.host}/${i.name}:${i.tag}`).sort());
    const multi = report.images.find((i) => i.reference.endsWith('fixtures/multi:1.0'))!;
    expect(multi.platforms.sort()).toEqual(['linux/amd64', 'linux/arm64/v8']);
    expect(report.images.find((i) => i.reference.endsWith('fixtures/alpha:1.0'))!.platforms).toEqual(['linux/amd64']);
    for (const img of layout.images) expect(report.images.find((i) => i.reference.endsWith(`${img.name}:${img.tag}`))!.digest).toBe(img.digest);
    expect(report.charts).toEqual([expect.objectContaining({ name: 'demo', version: '0.3.0', file: 'charts/demo-0.3.0.tgz' })]);
    expect(report.charts[0]!.digest).toMatch(/^sha256:/);

    // totals against the blobs the tar holds, indexed on their own
    const entries = [...(await indexTar(tar)).values()].filter((e) => e.name.startsWith('blobs/'));
    expect(report.totals.blobs).toBe(entries.length);
    expect(report.totals.bytes).toBe(entries.reduce((a, e) => a + e.size, 0));
    // the 256 KiB base layer is in every image: stored once, it saves at least three copies
    expect(report.totals.sharedBlobs).toBeGreaterThanOrEqual(1);
    expect(report.totals.savedBytes).toBeGreaterThanOrEqual(3 * 256 * 1024);
    expect(report.totals.imageBytes - report.totals.savedBytes).toBe(report.totals.bytes);
    expect(report.form).toMatchObject({ kind: 'tar' });
    expect(report.base).toBeUndefined();
  });

  it('gives the same report for a split, gzip-compressed bundle (through the .parts file), without reading a layer', async () => {
    const plain = (await countedInspect(tar)).report;
    const { report, streams } = await countedInspect(`${packed}.parts`);
    expect(streams).toEqual([]);
    expect(report.images).toEqual(plain.images);
    expect(report.totals).toEqual(plain.totals);
    expect(report.form.compression).toEqual({ kind: 'gzip', seekable: true });
    expect(report.form.parts!.length).toBeGreaterThanOrEqual(2);
    expect(report.form.tarBytes).toBe(plain.form.bytes);
  });

  it('-o table, json and yaml from the CLI', async () => {
    const t = await runCli(['inspect', tar]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/^IMAGE +PLATFORMS +SIZE +DIGEST$/m);
    expect(t.stdout).toContain('linux/amd64,linux/arm64/v8');
    expect(t.stdout).toMatch(/^demo 0\.3\.0 +sha256:/m);
    expect(t.stdout).toMatch(/^4 images, 1 chart; \d+ blobs, .* stored; \d+ blobs? shared between images save /m);
    const j = await runCli(['inspect', `${packed}.000`, '-o', 'json']);
    expect(j.code, j.stderr).toBe(0);
    expect((JSON.parse(j.stdout) as InspectReport).totals.images).toBe(layout.images.length);
    const y = await runCli(['inspect', tar, '-o', 'yaml']);
    expect((parseYaml(y.stdout) as InspectReport).charts[0]!.name).toBe('demo');
    const missing = await runCli(['inspect', path.join(tmp, 'nope.tar')]);
    expect(missing.code).toBe(5);
  });

  it('names attachments: an SBOM attached with oras, copied with its referrers into a layout by oras', async () => {
    const oras = toolBinary('oras');
    const sbom = path.join(tmp, 'sbom.json');
    await writeFile(sbom, '{"bomFormat":"CycloneDX"}');
    const ref = `${src.host}/fixtures/alpha:1.0`;
    execFileSync(oras, ['attach', '--plain-http', '--disable-path-validation', '--artifact-type', 'application/vnd.example.sbom+json', ref, `${sbom}:application/json`], { cwd: tmp, stdio: 'pipe' });
    const dir = path.join(tmp, 'with-referrers');
    execFileSync(oras, ['cp', '-r', '--from-plain-http', ref, '--to-oci-layout', `${dir}:alpha`], { stdio: 'pipe' });
    const alpha = layout.images.find((i) => i.name === 'fixtures/alpha')!;
    const { report, streams } = await countedInspect(dir);
    expect(streams).toEqual([]);
    const img = report.images.find((i) => i.digest === alpha.digest)!;
    expect(img.attachments).toEqual([expect.objectContaining({ type: 'application/vnd.example.sbom+json', subject: alpha.digest })]);
    expect(report.form).toEqual({ kind: 'directory' });
  });

  it('reads the differential base from a lock that records one (item 1 writes it)', () => {
    const lock = { version: 1, generator: 'x', charts: [], images: [], base: { sha256: 'sha256:abc', images: 3 } } as unknown as Lock;
    expect(lockBase(lock)).toEqual({ sha256: 'sha256:abc', images: 3 });
    expect(lockBase({ version: 1, generator: 'x', charts: [], images: [] })).toBeUndefined();
  });
});
