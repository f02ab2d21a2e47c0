import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTgz } from '../../../src/chart/archive.js';
import { chartFileName, chartMetadata, packageChartDir } from '../../../src/bundle/charts.js';
import { HelmChartSource, chartTag } from '../../../src/bundle/helm-oci.js';
import { parseImagesFile } from '../../../src/copy/inputs.js';
import { failureError, formatReport } from '../../../src/copy/report.js';
import { emptyCounts, type CopyResult } from '../../../src/copy/types.js';
import { sha256 } from '../../../src/digest/index.js';
import { NotFoundError } from '../../../src/errors.js';
import { MediaType } from '../../../src/oci/types.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-bundle-unit-'));
  await mkdir(path.join(dir, 'app', 'templates'), { recursive: true });
  await writeFile(path.join(dir, 'app', 'Chart.yaml'), 'apiVersion: v2\nname: app\nversion: 1.2.3+build.4\nappVersion: "2.0"\n');
  await writeFile(path.join(dir, 'app', 'values.yaml'), 'image: nginx:1.25\n');
  await writeFile(path.join(dir, 'app', 'templates', 'cm.yaml'), 'kind: ConfigMap\n');
  await mkdir(path.join(dir, 'app', '.git'));
  await writeFile(path.join(dir, 'app', '.git', 'HEAD'), 'ref\n');
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('chart packaging', () => {
  it('packages a directory deterministically under <name>/, leaving VCS directories out', async () => {
    const a = await packageChartDir(path.join(dir, 'app'), 'app');
    const b = await packageChartDir(path.join(dir, 'app'), 'app');
    expect(sha256(a)).toBe(sha256(b));
    const files = await readTgz(a, 'app.tgz');
    expect([...files.keys()].sort()).toEqual(['app/Chart.yaml', 'app/templates/cm.yaml', 'app/values.yaml']);
    const meta = await chartMetadata(a, 'app.tgz');
    expect(meta).toMatchObject({ name: 'app', version: '1.2.3+build.4', appVersion: '2.0' });
    expect(chartFileName('app', '1.2.3')).toBe('charts/app-1.2.3.tgz');
  });

  it('builds the Helm OCI artifact: config = Chart.yaml as JSON, one chart layer, tag with _ for +', async () => {
    const tgz = await packageChartDir(path.join(dir, 'app'), 'app');
    const src = new HelmChartSource('test');
    const art = src.add(tgz, await chartMetadata(tgz, 'app.tgz'));
    expect(art.tag).toBe('1.2.3_build.4');
    expect(chartTag('1.0.0')).toBe('1.0.0');
    const m = JSON.parse(Buffer.from(art.manifest.bytes).toString()) as { config: { mediaType: string; digest: string }; layers: Array<{ mediaType: string; digest: string; size: number }> };
    expect(m.config.mediaType).toBe(MediaType.HelmConfig);
    expect(m.layers).toHaveLength(1);
    expect(m.layers[0]).toMatchObject({ mediaType: MediaType.HelmChartContent, digest: sha256(tgz), size: tgz.length });
    const chunks: Buffer[] = [];
    for await (const c of await src.getBlob('', { mediaType: MediaType.HelmConfig, digest: m.config.digest, size: 0 })) chunks.push(c as Buffer);
    expect(JSON.parse(Buffer.concat(chunks).toString())).toMatchObject({ name: 'app', version: '1.2.3+build.4' });
    expect((await src.resolveManifest('', art.manifest.digest))?.digest).toBe(art.manifest.digest);
  });

  it('refuses an archive without Chart.yaml', async () => {
    const empty = await packageChartDir(path.join(dir, 'app', 'templates'), 'x');
    await expect(chartMetadata(empty, 'x.tgz')).rejects.toThrow(/Chart\.yaml/);
  });
});

describe('images file, report and failures', () => {
  it('parses one reference per line with comments', () => {
    const refs = parseImagesFile('# images\nnginx:1.25\n\n  quay.io/a/b:1 # trailing comment\n', 'images.txt');
    expect(refs.map((r) => `${r.registry}/${r.repository}:${r.tag}`)).toEqual(['docker.io/library/nginx:1.25', 'quay.io/a/b:1']);
    expect(() => parseImagesFile('ok:1\nBAD REF\n', 'images.txt')).toThrow(/images\.txt:2/);
  });

  it('formats the report as a table and as JSON', () => {
    const rows = [{ kind: 'image' as const, source: 'docker.io/a:1', destination: 'm/a:1', digest: 'sha256:x', status: 'copied' as const }];
    expect(formatReport(rows, 'table')).toBe('STATUS  SOURCE         DESTINATION  DIGEST\ncopied  docker.io/a:1  m/a:1        sha256:x\n');
    expect(JSON.parse(formatReport(rows, 'json'))).toEqual(rows);
  });

  it('turns failed images into one error naming each', () => {
    const result = (name: string, error?: Error): CopyResult =>
      ({ job: {} as CopyResult['job'], name, status: error ? 'failed' : 'copied', blobs: emptyCounts(), manifests: 0, ...(error ? { error } : {}) }) as CopyResult;
    expect(failureError([result('a')], 'copied')).toBeUndefined();
    const one = failureError([result('a'), result('b', new NotFoundError('b: gone'))], 'copied');
    expect(one?.message).toBe('b: gone');
    const two = failureError([result('b', new NotFoundError('b: gone')), result('c', new NotFoundError('c: gone'))], 'copied');
    expect(two?.code).toBe('E_NOT_FOUND');
    expect(two?.message).toContain('2 of 2 images could not be copied');
    expect(two?.message).toContain('c: gone');
  });
});
