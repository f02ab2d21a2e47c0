/**
 * An umbrella chart (fixtures/charts/umbrella-deps) whose dependencies are not vendored: `web`
 * from an HTTPS Helm repository with basic auth (nginx, index.yaml by real `helm repo index`, the
 * repository added with real `helm repo add`), `cache` from an OCI registry (real `helm push`),
 * `local` by file:// (aliased twice). Real helm is the judge: `helm dependency build` + `helm
 * template` gives the images `airlift images` must find; `save` → `load` → `helm pull` from the
 * mirror → `helm template` of the bundled chart with no network renders them (every one saved).
 * A dependency no release matches is an error naming it with nothing written; with
 * --skip-missing-deps a warning, the run goes on and the lock names what was left out.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../../src/cli/exit-codes.js';
import { helmPackage, helmPush, isolatedHelm, startChartRepo, type ChartRepo, type Helm } from '../../harness/chart-repo.js';
import { helmBinary } from '../../harness/tools.js';
import { useSeededPair } from '../../harness/use-seeded-pair.js';
import { runCli } from '../../helpers/io.js';
import { renderedImages } from '../charts/helm-images.js';
import { sha256Digest as sha } from '../../helpers/digest.js';

const run = promisify(execFile);
const FIXTURE = path.resolve(import.meta.dirname, '../../../fixtures/charts/umbrella-deps');

const pair = useSeededPair('umbrella-deps');
let repo: ChartRepo;
let helm: Helm;
/** helm with nothing configured: no repositories, no credentials (the airgap). */
let offline: Helm;
let webTgz: Buffer;
let cacheTgz: Buffer;
let cacheDigest: string;

/** The fixture copied to DIR with its placeholders filled; returns DIR/umbrella. */
async function layOut(dir: string, o: { webVersion?: string } = {}): Promise<string> {
  const { src } = pair();
  await cp(FIXTURE, dir, { recursive: true });
  for (const c of ['umbrella', 'web', 'cache', 'local']) {
    const f = path.join(dir, c, 'values.yaml');
    await writeFile(f, (await readFile(f, 'utf8')).replaceAll('@REGISTRY@', src.host));
  }
  const chartYaml = (await readFile(path.join(dir, 'umbrella', 'Chart.yaml.in'), 'utf8'))
    .replace('@HTTP_REPO@', repo.url)
    .replace('@OCI_REPO@', `oci://${src.host}/charts`)
    .replace('version: "1.x"', `version: "${o.webVersion ?? '1.x'}"`);
  await writeFile(path.join(dir, 'umbrella', 'Chart.yaml'), chartYaml);
  await rm(path.join(dir, 'umbrella', 'Chart.yaml.in'));
  return path.join(dir, 'umbrella');
}

const env = (): Record<string, string> => Object.fromEntries(Object.entries(helm.env).filter((e): e is [string, string] => e[1] !== undefined));
const airlift = (args: string[]) => runCli(['--plain-http', pair().src.host, '--plain-http', pair().dst.host, ...args], { env: env() });
const sortedLines = (s: string): string[] => s.trim().split('\n').filter(Boolean).sort();

beforeAll(async () => {
  const { src, tmp } = pair();
  helm = await isolatedHelm(path.join(tmp, 'helm'));
  offline = await isolatedHelm(path.join(tmp, 'helm-offline'));
  repo = await startChartRepo({ tls: true, auth: { username: 'reader', password: 'umbrella-secret-7' } });
  const pkgs = await layOut(path.join(tmp, 'packages'));
  const web = await helmPackage(helm, path.join(pkgs, '..', 'web'), path.join(tmp, 'pkg'));
  const cache = await helmPackage(helm, path.join(pkgs, '..', 'cache'), path.join(tmp, 'pkg'));
  webTgz = await readFile(web);
  cacheTgz = await readFile(cache);
  await repo.publish(helm, [web]);
  cacheDigest = await helmPush(helm, cache, src, 'charts');
  // the repository as users have it: added with helm (its CA and credentials in repositories.yaml)
  await helm.run(['repo', 'add', 'team', repo.url, '--ca-file', repo.caFile!, '--username', repo.username!, '--password-stdin'], { input: repo.password! });
}, 180_000);

afterAll(async () => {
  await repo?.stop();
});

describe('an umbrella chart with unvendored dependencies from HTTP, OCI and file://', () => {
  it('airlift images finds what helm dependency build + helm template render', async () => {
    const { tmp } = pair();
    const judged = await layOut(path.join(tmp, 'judge'));
    await helm.run(['dependency', 'build', judged, '--plain-http']);
    const { stdout } = await helm.run(['template', 'rel', judged]);
    const expected = [...new Set(renderedImages(stdout).map((i) => i.image))].sort();
    expect(expected).toHaveLength(4); // alpha (umbrella, local), beta (web), gamma (sidecar alias), multi (cache)

    const chart = await layOut(path.join(tmp, 'images'));
    const webGets = async (): Promise<number> => (await repo.requests()).filter((g) => g.endsWith('/web-1.3.0.tgz')).length;
    const before = await webGets();
    const r = await airlift(['images', chart, '-o', 'list']);
    expect(await webGets()).toBe(before + 1); // fetched once per run
    expect(r.code, r.stderr).toBe(0);
    expect(sortedLines(r.stdout)).toEqual(expected);
    // the condition applies to a fetched dependency as to a vendored one
    const off = await airlift(['images', chart, '-o', 'list', '--set', 'cache.enabled=false']);
    expect(sortedLines(off.stdout)).toEqual(expected.filter((i) => !i.endsWith('/fixtures/multi:1.0')));
  });

  it('save → load → helm template of the bundled chart with no network renders every dependency; the lock names each with its source and sha256', async () => {
    const { src, dst, tmp } = pair();
    const chart = await layOut(path.join(tmp, 'save'));
    const bundle = path.join(tmp, 'umbrella.tar');
    const saved = await airlift(['save', chart, '-o', bundle]);
    expect(saved.code, saved.stderr).toBe(0);
    const lock = JSON.parse((await run('tar', ['-xOf', bundle, 'airlift.lock.json'])).stdout) as {
      images: Array<{ source: string }>;
      charts: Array<{ name: string; file: string; digest: string; dependencies: Array<{ name: string; version: string; source: string; digest: string }> }>;
    };
    const deps = lock.charts[0]!.dependencies;
    expect(deps.map((d) => [d.name, d.version])).toEqual([
      ['web', '1.3.0'],
      ['cache', '0.3.2'],
      ['local', '0.1.0'],
    ]);
    expect(deps[0]).toEqual({ name: 'web', version: '1.3.0', source: `${repo.url}/web-1.3.0.tgz`, digest: sha(webTgz) });
    expect(deps[1]).toEqual({ name: 'cache', version: '0.3.2', source: `oci://${src.host}/charts/cache:0.3.2`, digest: sha(cacheTgz) });
    expect(deps[2]!.source).toBe(`file://${path.join(tmp, 'save', 'local')}`);
    expect(cacheDigest).toMatch(/^sha256:/);

    // the bundled chart, with no repository configured and no network: helm template renders the saved images
    const out = path.join(tmp, 'from-bundle');
    await mkdir(out);
    await run('tar', ['-xf', bundle, '-C', out, lock.charts[0]!.file]);
    const bundled = path.join(out, lock.charts[0]!.file);
    const rendered = [...new Set(renderedImages((await offline.run(['template', 'rel', bundled])).stdout).map((i) => i.image))].sort();
    expect(rendered).toEqual(lock.images.map((i) => i.source).sort());
    expect(rendered).toHaveLength(4);

    // verify re-hashes the repackaged chart against the lock
    const verified = await airlift(['verify', bundle]);
    expect(verified.code, verified.stderr).toBe(0);

    // load pushes it to the mirror; helm pulls it from there and renders it offline
    const loaded = await airlift(['load', bundle, '--to', `${dst.host}/platform`]);
    expect(loaded.code, loaded.stderr).toBe(0);
    const pulled = path.join(tmp, 'pulled');
    await mkdir(pulled);
    await offline.run(['pull', `oci://${dst.host}/platform/charts/umbrella`, '--version', '2.0.0', '--plain-http', '-d', pulled]);
    const again = [...new Set(renderedImages((await offline.run(['template', 'rel', path.join(pulled, 'umbrella-2.0.0.tgz')])).stdout).map((i) => i.image))].sort();
    expect(again).toEqual(rendered);
    expect(await readFile(path.join(pulled, 'umbrella-2.0.0.tgz'))).toEqual(await readFile(bundled));
  });

  it('sync pushes the umbrella chart with its dependencies inside; helm renders it from the mirror offline', async () => {
    const { dst, tmp } = pair();
    const chart = await layOut(path.join(tmp, 'sync'));
    const lockOut = path.join(tmp, 'sync.lock.json');
    const r = await airlift(['sync', chart, '--to', `${dst.host}/synced`, '-o', 'json', '--lock-out', lockOut]);
    expect(r.code, r.stderr).toBe(0);
    const lock = JSON.parse(await readFile(lockOut, 'utf8')) as { charts: Array<{ name: string; dependencies: Array<{ name: string; digest: string }> }> };
    expect(lock.charts[0]!.dependencies.map((d) => [d.name, d.digest])).toEqual([
      ['web', sha(webTgz)],
      ['cache', sha(cacheTgz)],
      ['local', expect.stringMatching(/^sha256:/)],
    ]);
    const rows = JSON.parse(r.stdout) as Array<{ kind: string; destination: string; status: string }>;
    expect(rows.filter((x) => x.kind === 'chart').map((x) => [x.destination, x.status])).toEqual([[`${dst.host}/synced/charts/umbrella:2.0.0`, 'copied']]);
    const pulled = path.join(tmp, 'sync-pulled');
    await mkdir(pulled);
    await offline.run(['pull', `oci://${dst.host}/synced/charts/umbrella`, '--version', '2.0.0', '--plain-http', '-d', pulled]);
    const images = [...new Set(renderedImages((await offline.run(['template', 'rel', path.join(pulled, 'umbrella-2.0.0.tgz')])).stdout).map((i) => i.image))].sort();
    expect(images).toHaveLength(4);
  });

  it('relocate --check renders the chart airlift scanned (its fetched dependencies inside): it passes, and every pod of helm dependency build + helm template pulls from the mirror', async () => {
    const { dst, tmp } = pair();
    const chart = await layOut(path.join(tmp, 'relocate'));
    const overrides = path.join(tmp, 'relocate-overrides.yaml');
    const checkDirsBefore = (await readdir(tmpdir())).filter((f) => f.startsWith('airlift-check-'));
    const r = await airlift(['relocate', chart, '--to', `${dst.host}/platform`, '-o', overrides, '--check', '--helm', helmBinary()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/--check: 5 image\(s\) in 5 pod spec\(s\) rendered by helm; all under the mirror/);
    // helm was given a temporary package: the chart directory is as it was, with nothing vendored
    expect(await stat(path.join(chart, 'charts')).catch(() => undefined)).toBeUndefined();
    expect((await readdir(tmpdir())).filter((f) => f.startsWith('airlift-check-'))).toEqual(checkDirsBefore);

    // the judge: helm builds the dependencies itself and renders with the overrides
    const judged = await layOut(path.join(tmp, 'relocate-judge'));
    await helm.run(['dependency', 'build', judged, '--plain-http']);
    const images = [...new Set(renderedImages((await helm.run(['template', 'rel', judged, '-f', overrides])).stdout).map((i) => i.image))].sort();
    expect(images).toHaveLength(4);
    for (const image of images) expect(image.startsWith(`${dst.host}/platform/`), image).toBe(true);

    // when helm refuses, the error names the chart as given, not the temporary package
    const refused = await airlift(['relocate', chart, '--to', `${dst.host}/platform`, '-o', path.join(tmp, 'refused.yaml'), '--check', '--helm', helmBinary(), '--kube-version', 'not-a-version']);
    expect(refused.code).toBe(EXIT_CODES.E_INPUT);
    expect(refused.stderr).toContain(`helm template ${chart} with the overrides failed`);
    expect(refused.stderr).not.toContain('airlift-check-');
  });

  it('a dependency no release matches: an error naming the chart, the dependency and the repository, nothing written; --skip-missing-deps: a warning, the lock names it', async () => {
    const { tmp } = pair();
    const chart = await layOut(path.join(tmp, 'missing'), { webVersion: '9.x' });
    const bundle = path.join(tmp, 'missing.tar');
    const r = await airlift(['save', chart, '-o', bundle]);
    expect(r.code).not.toBe(0);
    expect([EXIT_CODES.E_NOT_FOUND, EXIT_CODES.E_INPUT]).toContain(r.code);
    expect(r.stderr).toContain(`umbrella: dependency web 9.x from ${repo.url} cannot be fetched`);
    expect(await stat(bundle).catch(() => undefined)).toBeUndefined();
    expect((await readdir(tmp)).filter((f) => f.startsWith('missing.tar'))).toEqual([]);

    const skipped = await airlift(['save', chart, '-o', bundle, '--skip-missing-deps']);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stderr).toMatch(/umbrella: dependency web 9\.x .*--skip-missing-deps/);
    const lock = JSON.parse((await run('tar', ['-xOf', bundle, 'airlift.lock.json'])).stdout) as {
      images: Array<{ source: string }>;
      charts: Array<{ dependencies: Array<{ name: string }>; skippedDependencies: Array<{ name: string; version: string; repository: string; reason: string }> }>;
    };
    expect(lock.charts[0]!.skippedDependencies).toEqual([{ name: 'web', version: '9.x', repository: repo.url, reason: expect.stringContaining('dependency web 9.x') }]);
    expect(lock.charts[0]!.dependencies.map((d) => d.name)).toEqual(['cache', 'local']);
    expect(lock.images.map((i) => i.source).some((s) => s.endsWith('/fixtures/beta:2.1'))).toBe(false);
  });
});
