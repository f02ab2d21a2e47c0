/**
 * `serve` answers the bundle's charts as OCI Helm charts at charts/<name>:<version>, as `load`
 * pushes them: real `helm pull oci://…` and `helm show chart` against `airlift serve bundle.tar`,
 * the pulled .tgz byte for byte the one in the bundle, and the catalog, tags list, manifest and
 * blob endpoints (Range too) listing and serving them beside the images.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readTgz } from '../../../src/chart/archive.js';
import { startServe } from '../../../src/serve/server.js';
import { helmPackage, isolatedHelm, writeChart, type Helm } from '../../harness/chart-repo.js';
import { useSeededPair } from '../../harness/use-seeded-pair.js';
import { runCli } from '../../helpers/io.js';
import { sha256Digest as sha } from '../../helpers/digest.js';

const pair = useSeededPair('serve-charts');
let helm: Helm;
let bundle: string;
let apiTgz: Buffer;

/** helm's stdout (it throws with helm's stderr when helm fails). */
const ok = async (args: string[]): Promise<string> => (await helm.run(args)).stdout;

beforeAll(async () => {
  const { src, tmp } = pair();
  helm = await isolatedHelm(path.join(tmp, 'helm'));
  const web = await writeChart(path.join(tmp, 'charts'), { name: 'web', version: '1.2.3', images: [`${src.host}/fixtures/alpha:1.0`] });
  const api = await writeChart(path.join(tmp, 'charts'), { name: 'api', version: '0.4.0+build.7', images: [`${src.host}/fixtures/beta:2.1`] });
  const apiFile = await helmPackage(helm, api, path.join(tmp, 'packaged'));
  apiTgz = await readFile(apiFile);
  bundle = path.join(tmp, 'bundle.tar');
  const r = await runCli(['--plain-http', src.host, 'save', web, apiFile, '-o', bundle]);
  expect(r.code, r.stderr).toBe(0);
}, 60_000);

describe('serve answers the bundle charts', () => {
  it('helm pull and helm show chart work against airlift serve; the endpoints list and serve the chart artifacts', async () => {
    const { src, tmp } = pair();
    const server = await startServe({ bundle, listen: '127.0.0.1:0' });
    try {
      const host = server.address;
      const out = path.join(tmp, 'pulled');
      await mkdir(out);
      await ok(['pull', `oci://${host}/charts/web`, '--version', '1.2.3', '--plain-http', '-d', out]);
      await ok(['pull', `oci://${host}/charts/api`, '--version', '0.4.0+build.7', '--plain-http', '-d', out]);
      expect(await readFile(path.join(out, 'api-0.4.0+build.7.tgz'))).toEqual(apiTgz);
      const rendered = await ok(['template', 'rel', path.join(out, 'web-1.2.3.tgz')]);
      expect(rendered).toContain(`image: "${src.host}/fixtures/alpha:1.0"`);
      const shown = await ok(['show', 'chart', `oci://${host}/charts/api`, '--version', '0.4.0+build.7', '--plain-http']);
      expect(shown).toMatch(/^name: api$/m);
      expect(shown).toMatch(/^version: 0\.4\.0\+build\.7$/m);
      // a version the bundle does not carry is helm's not-found, not something else
      await expect(helm.run(['pull', `oci://${host}/charts/web`, '--version', '9.9.9', '--plain-http', '-d', out])).rejects.toThrow(/not found|unknown/i);

      const base = `http://${host}`;
      const catalog = (await (await fetch(`${base}/v2/_catalog`)).json()) as { repositories: string[] };
      expect(catalog.repositories).toEqual(expect.arrayContaining(['charts/web', 'charts/api', 'fixtures/alpha', 'fixtures/beta']));
      expect(await (await fetch(`${base}/v2/charts/api/tags/list`)).json()).toEqual({ name: 'charts/api', tags: ['0.4.0_build.7'] });
      const m = await fetch(`${base}/v2/charts/api/manifests/0.4.0_build.7`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
      expect(m.status).toBe(200);
      expect(m.headers.get('content-type')).toBe('application/vnd.oci.image.manifest.v1+json');
      const manifestBytes = Buffer.from(await m.arrayBuffer());
      const digest = m.headers.get('docker-content-digest')!;
      expect(sha(manifestBytes)).toBe(digest);
      const manifest = JSON.parse(manifestBytes.toString('utf8')) as { config: { mediaType: string; digest: string }; layers: Array<{ mediaType: string; digest: string; size: number }> };
      expect(manifest.config.mediaType).toBe('application/vnd.cncf.helm.config.v1+json');
      expect(manifest.layers).toEqual([expect.objectContaining({ mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: sha(apiTgz), size: apiTgz.length })]);
      // by digest, HEAD, and the blobs whole and by range
      const byDigest = await fetch(`${base}/v2/charts/api/manifests/${digest}`, { method: 'HEAD' });
      expect([byDigest.status, byDigest.headers.get('content-length')]).toEqual([200, String(manifestBytes.length)]);
      const layer = Buffer.from(await (await fetch(`${base}/v2/charts/api/blobs/${sha(apiTgz)}`)).arrayBuffer());
      expect(layer).toEqual(apiTgz);
      const part = await fetch(`${base}/v2/charts/api/blobs/${sha(apiTgz)}`, { headers: { Range: 'bytes=10-19' } });
      expect(part.status).toBe(206);
      expect(Buffer.from(await part.arrayBuffer())).toEqual(apiTgz.subarray(10, 20));
      const config = JSON.parse(Buffer.from(await (await fetch(`${base}/v2/charts/api/blobs/${manifest.config.digest}`)).arrayBuffer()).toString('utf8')) as { name: string; version: string };
      expect([config.name, config.version]).toEqual(['api', '0.4.0+build.7']);
      // the web chart served is the one the bundle holds
      const files = await readTgz(await readFile(path.join(out, 'web-1.2.3.tgz')), 'pulled web');
      expect([...files.keys()]).toContain('web/templates/deployment.yaml');
      // still read-only
      expect((await fetch(`${base}/v2/charts/api/manifests/0.4.0_build.7`, { method: 'PUT' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });
});
