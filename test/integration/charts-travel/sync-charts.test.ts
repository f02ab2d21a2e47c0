/**
 * `sync` carries the charts it read to the mirror as OCI Helm charts, at the names `load` uses
 * (PREFIX/charts/<name>:<version>): a chart directory packaged as `save` packages it, a `.tgz`
 * (made by real `helm package`) as it is. Real helm is the judge: `helm pull oci://…` of each from
 * the mirror, and `helm template` of what it pulled renders the image the sync copied. A second
 * sync pushes nothing.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { helmPackage, isolatedHelm, writeChart, type Helm } from '../../harness/chart-repo.js';
import { useSeededPair } from '../../harness/use-seeded-pair.js';
import { runCli } from '../../helpers/io.js';
import { sha256Digest } from '../../helpers/digest.js';

const pair = useSeededPair('sync-charts');
let helm: Helm;
let dirChart: string;
let tgzChart: string;

/** helm's stdout (it throws with helm's stderr when helm fails). */
const ok = async (args: string[]): Promise<string> => (await helm.run(args)).stdout;

beforeAll(async () => {
  const { src, tmp } = pair();
  helm = await isolatedHelm(path.join(tmp, 'helm'));
  dirChart = await writeChart(path.join(tmp, 'charts'), { name: 'web', version: '1.2.3', images: [`${src.host}/fixtures/alpha:1.0`] });
  const pkgSrc = await writeChart(path.join(tmp, 'charts'), { name: 'api', version: '0.4.0+build.7', images: [`${src.host}/fixtures/beta:2.1`] });
  tgzChart = await helmPackage(helm, pkgSrc, path.join(tmp, 'packaged'));
}, 60_000);

interface Row {
  kind: string;
  source: string;
  destination: string;
  status: string;
  digest?: string;
}

describe('sync carries its charts to the mirror', () => {
  it('pushes a chart directory and a helm-packaged .tgz as OCI Helm charts that helm pulls and renders; a re-sync pushes nothing', async () => {
    const { src, dst, tmp } = pair();
    const lock = path.join(tmp, 'sync.lock.json');
    const args = ['--plain-http', src.host, '--plain-http', dst.host, 'sync', dirChart, tgzChart, '--to', `${dst.host}/platform`, '--lock-out', lock, '-o', 'json'];
    const first = await runCli(args);
    expect(first.code, first.stderr).toBe(0);
    const rows = JSON.parse(first.stdout) as Row[];
    const charts = rows.filter((r) => r.kind === 'chart');
    expect(charts.map((r) => [r.source, r.destination, r.status]).sort()).toEqual(
      [
        [dirChart, `${dst.host}/platform/charts/web:1.2.3`, 'copied'],
        [tgzChart, `${dst.host}/platform/charts/api:0.4.0_build.7`, 'copied'],
      ].sort(),
    );
    expect(rows.filter((r) => r.kind === 'image').map((r) => r.destination).sort()).toEqual([`${dst.host}/platform/fixtures/alpha:1.0`, `${dst.host}/platform/fixtures/beta:2.1`]);
    const written = JSON.parse(await readFile(lock, 'utf8')) as { charts: Array<{ name: string; version: string; file: string; digest: string; destination: string }> };
    const tgzBytes = await readFile(tgzChart);
    expect(written.charts.find((c) => c.name === 'api')).toEqual({
      name: 'api',
      version: '0.4.0+build.7',
      file: 'charts/api-0.4.0+build.7.tgz',
      digest: sha256Digest(tgzBytes),
      destination: `${dst.host}/platform/charts/api:0.4.0_build.7`,
    });
    expect(written.charts.find((c) => c.name === 'web')?.destination).toBe(`${dst.host}/platform/charts/web:1.2.3`);

    // the judge: real helm pulls both from the mirror and renders them
    const out = path.join(tmp, 'pulled');
    await mkdir(out);
    await ok(['pull', `oci://${dst.host}/platform/charts/web`, '--version', '1.2.3', '--plain-http', '-d', out]);
    await ok(['pull', `oci://${dst.host}/platform/charts/api`, '--version', '0.4.0+build.7', '--plain-http', '-d', out]);
    expect(await readFile(path.join(out, 'api-0.4.0+build.7.tgz'))).toEqual(tgzBytes); // a .tgz travels as it is
    const web = await ok(['template', 'rel', path.join(out, 'web-1.2.3.tgz')]);
    expect(web).toContain(`image: "${src.host}/fixtures/alpha:1.0"`);
    const api = await ok(['template', 'rel', path.join(out, 'api-0.4.0+build.7.tgz')]);
    expect(api).toContain(`image: "${src.host}/fixtures/beta:2.1"`);
    const shown = await ok(['show', 'chart', `oci://${dst.host}/platform/charts/web`, '--version', '1.2.3', '--plain-http']);
    expect(shown).toMatch(/^name: web$/m);

    // again: the charts are there with the same digests, nothing is pushed
    const again = await runCli(args);
    expect(again.code, again.stderr).toBe(0);
    const rows2 = JSON.parse(again.stdout) as Row[];
    expect(rows2.map((r) => `${r.kind} ${r.status}`).sort()).toEqual(['chart skipped', 'chart skipped', 'image skipped', 'image skipped']);
    expect(rows2.filter((r) => r.kind === 'chart').map((r) => r.digest).sort()).toEqual(charts.map((r) => r.digest).sort());
  });

  it('--dry-run lists the charts with their destinations and pushes nothing', async () => {
    const { src, dst } = pair();
    const r = await runCli(['--plain-http', src.host, '--plain-http', dst.host, 'sync', dirChart, '--to', `${dst.host}/dry`, '--dry-run', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as Array<{ kind: string; source: string; destination: string }>;
    expect(plan).toContainEqual({ kind: 'chart', source: dirChart, destination: `${dst.host}/dry/charts/web:1.2.3` });
    await expect(helm.run(['show', 'chart', `oci://${dst.host}/dry/charts/web`, '--version', '1.2.3', '--plain-http'])).rejects.toThrow(/not found|unknown/i);
  });
});
