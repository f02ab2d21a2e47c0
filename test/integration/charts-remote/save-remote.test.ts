/**
 * Issue #19's acceptance on real components: `airlift save oci://HOST/charts/app --version 1.x`
 * (a chart helm pushed to a docker-registry) and `airlift save --repo https://HOST/charts app
 * --version 1.2.3` (nginx with TLS and basic auth, index.yaml by helm repo index) end to end: the
 * bundle holds the exact .tgz fetched, the lock its sha256, source and version; `load` pushes it to
 * another registry, and `helm template` of the bundled chart (no network) renders the saved images.
 * `images`, `relocate` and airlift.yaml take the same references.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexTar } from '../../../src/layout/tar-index.js';
import { parseLock } from '../../../src/lock/io.js';
import { helmPackage, helmPush, isolatedHelm, startChartRepo, writeChart, type ChartRepo, type Helm } from '../../harness/chart-repo.js';
import type { StartedRegistry } from '../../harness/registry.js';
import { useSeededPair } from '../../harness/use-seeded-pair.js';
import { runCli } from '../../helpers/io.js';
import { sha256Digest as sha } from '../../helpers/digest.js';

const PROV = '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nname: app\n...\n';
const pair = useSeededPair('charts-remote');
let src: StartedRegistry;
let dst: StartedRegistry;
let tmp: string;
let helm: Helm;
let repo: ChartRepo;
let images: { v1: string; v2: string };
const tgz = new Map<string, string>();

async function tarEntry(bundle: string, name: string): Promise<Buffer> {
  const entries = await indexTar(bundle);
  const e = entries.get(name);
  if (!e) throw new Error(`${name} is not in ${bundle}: ${[...entries.keys()].join(', ')}`);
  const fh = await import('node:fs/promises').then((fs) => fs.open(bundle, 'r'));
  try {
    const buf = Buffer.alloc(e.size);
    await fh.read(buf, 0, e.size, e.offset);
    return buf;
  } finally {
    await fh.close();
  }
}

beforeAll(async () => {
  const p = pair();
  ({ src, dst, tmp } = p);
  const oci = p.layout.images.filter((i) => i.format === 'oci');
  images = { v1: `${src.host}/${oci[0]!.name}:${oci[0]!.tag}`, v2: `${src.host}/${oci[1]!.name}:${oci[1]!.tag}` };
  helm = await isolatedHelm(path.join(tmp, 'helm'));
  repo = await startChartRepo({ tls: true, auth: { username: 'reader', password: 'repo-pass-19' } });
  for (const v of ['1.0.0', '1.2.3', '2.0.0']) {
    const dir = await writeChart(path.join(tmp, `src-${v}`), { name: 'app', version: v, images: v === '1.2.3' ? [images.v1, images.v2] : [images.v1] });
    tgz.set(v, await helmPackage(helm, dir, path.join(tmp, 'pkg')));
    if (v === '1.2.3') await writeFile(`${tgz.get(v)!}.prov`, PROV); // pushed as the provenance layer
    await helmPush(helm, tgz.get(v)!, src, 'charts');
  }
  await repo.publish(helm, [...tgz.values()]);
}, 180_000);
afterAll(async () => {
  await repo?.stop();
});

const plain = (): string[] => ['--plain-http', src.host, '--plain-http', dst.host];

async function noLeftovers(dir: string): Promise<void> {
  expect((await readdir(dir)).filter((n) => n.endsWith('.tar') || n.includes('staging') || n.includes('.tmp-'))).toEqual([]);
}

describe('save of charts where they live', () => {
  it('save oci://HOST/charts/app --version 1.x: the exact .tgz, its sha256, source and version in the lock; load pushes it; helm template renders the saved images offline', async () => {
    const out = path.join(tmp, 'oci', 'b.tar');
    await mkdir(path.dirname(out), { recursive: true });
    const r = await runCli([...plain(), 'save', `oci://${src.host}/charts/app`, '--version', '1.x', '-o', out], { env: helm.env as Record<string, string> });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(images.v1);
    expect(r.stdout).toContain(images.v2); // 1.2.3's images, not 2.0.0's or 1.0.0's only
    const bundled = await tarEntry(out, 'charts/app-1.2.3.tgz');
    const helmMade = await readFile(tgz.get('1.2.3')!);
    expect(bundled.equals(helmMade)).toBe(true);
    const lock = parseLock((await tarEntry(out, 'airlift.lock.json')).toString('utf8'), 'lock');
    expect(lock.charts).toEqual([
      expect.objectContaining({ name: 'app', version: '1.2.3', file: 'charts/app-1.2.3.tgz', digest: sha(helmMade), packaging: 'fetched', source: `oci://${src.host}/charts/app:1.2.3`, sourceDigest: expect.stringMatching(/^sha256:/) }),
    ]);
    // the provenance file travels beside the chart, listed in the lock with its digest
    const prov = await tarEntry(out, 'charts/app-1.2.3.tgz.prov');
    expect(prov.toString('utf8')).toBe(PROV);
    expect(lock.charts[0]!.prov).toEqual({ file: 'charts/app-1.2.3.tgz.prov', digest: sha(prov) });
    expect((await runCli(['verify', out])).code).toBe(0);

    // load into another registry, then helm pulls it from there and renders it with no network
    const landed = path.join(tmp, 'oci', 'landed.lock.json');
    const l = await runCli([...plain(), 'load', out, '--to', `${dst.host}/mirror`, '--lock-out', landed], { env: helm.env as Record<string, string> });
    expect(l.code, l.stderr).toBe(0);
    expect(parseLock(await readFile(landed, 'utf8'), landed).charts).toEqual([
      expect.objectContaining({ version: '1.2.3', digest: sha(helmMade), packaging: 'fetched', source: `oci://${src.host}/charts/app:1.2.3`, destination: `${dst.host}/mirror/charts/app:1.2.3` }),
    ]);
    const pulled = path.join(tmp, 'oci', 'pulled');
    await mkdir(pulled, { recursive: true });
    await helm.run(['pull', `oci://${dst.host}/mirror/charts/app`, '--version', '1.2.3', '--plain-http', '--destination', pulled]);
    expect((await readFile(path.join(pulled, 'app-1.2.3.tgz'))).equals(helmMade)).toBe(true);
    const bundledFile = path.join(tmp, 'oci', 'bundled-app.tgz');
    await writeFile(bundledFile, bundled);
    const rendered = (await helm.run(['template', 'r', bundledFile])).stdout;
    expect(rendered).toContain(`image: "${images.v1}"`);
    expect(rendered).toContain(`image: "${images.v2}"`);
  });

  it('save --repo https://HOST/charts app --version 1.2.3 with --username/--password-stdin and the CA', async () => {
    const out = path.join(tmp, 'http', 'b.tar');
    await mkdir(path.dirname(out), { recursive: true });
    const r = await runCli([...plain(), '--ca-file', repo.caFile!, 'save', '--repo', repo.url, 'app', '--version', '1.2.3', '--username', 'reader', '--password-stdin', '-o', out], {
      env: helm.env as Record<string, string>,
      stdin: 'repo-pass-19\n',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('repo-pass-19');
    const bundled = await tarEntry(out, 'charts/app-1.2.3.tgz');
    expect(bundled.equals(await readFile(tgz.get('1.2.3')!))).toBe(true);
    const lock = parseLock((await tarEntry(out, 'airlift.lock.json')).toString('utf8'), 'lock');
    expect(lock.charts[0]).toMatchObject({ version: '1.2.3', packaging: 'fetched', source: `${repo.url}/app-1.2.3.tgz`, digest: sha(bundled) });
    expect(JSON.stringify(lock)).not.toContain('repo-pass-19');
    const bundledFile = path.join(tmp, 'http', 'app.tgz');
    await writeFile(bundledFile, bundled);
    const rendered = (await helm.run(['template', 'r', bundledFile])).stdout;
    expect(rendered).toContain(`image: "${images.v2}"`);
  });

  it('airlift.yaml charts: {chart: oci://…, version} and {repo: https://…, chart, version}; a repositories.yaml name on the command line', async () => {
    const dir = path.join(tmp, 'cfg');
    await mkdir(dir, { recursive: true });
    const repos = path.join(dir, 'repositories.yaml');
    await writeFile(repos, `repositories:\n- name: internal\n  url: ${repo.url}\n  username: reader\n  password: repo-pass-19\n  caFile: ${repo.caFile}\n`);
    await writeFile(
      path.join(dir, 'airlift.yaml'),
      `charts:\n  - chart: oci://${src.host}/charts/app\n    version: "1.0.x"\n  - repo: internal\n    chart: app\n    version: "~1.2"\n`,
    );
    const env = { ...(helm.env as Record<string, string>), HELM_REPOSITORY_CONFIG: repos };
    const r = await runCli([...plain(), 'save', '--config', path.join(dir, 'airlift.yaml'), '-o', path.join(dir, 'b.tar')], { env });
    expect(r.code, r.stderr).toBe(0);
    const entries = await indexTar(path.join(dir, 'b.tar'));
    expect(entries.has('charts/app-1.0.0.tgz')).toBe(true);
    expect(entries.has('charts/app-1.2.3.tgz')).toBe(true);
    const listed = await runCli([...plain(), 'images', 'internal/app', '--version', '2.0.0', '-o', 'list'], { env, cwd: dir });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout.trim().split('\n')).toEqual([images.v1]);
  });

  it('images names a fetched chart by the reference given (and the file inside it), never by its temporary path: table, json, yaml, warnings and errors', async () => {
    const env = helm.env as Record<string, string>;
    const oci = `oci://${src.host}/charts/app:1.2.3`;
    const json = await runCli([...plain(), 'images', `oci://${src.host}/charts/app`, '--version', '1.2.x', '-o', 'json'], { env });
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).not.toContain('airlift-charts-');
    const wheres = JSON.stringify(JSON.parse(json.stdout));
    expect(wheres).toContain(`${oci}!/app/values.yaml`);
    for (const format of ['table', 'yaml']) {
      const r = await runCli([...plain(), 'images', `oci://${src.host}/charts/app`, '--version', '1.2.3', '-o', format], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toContain('airlift-charts-');
      if (format === 'yaml') expect(r.stdout).toContain(`${oci}!/app/values.yaml`);
    }
    // a repositories.yaml name: REPO/CHART VERSION
    const dir = path.join(tmp, 'named');
    await mkdir(dir, { recursive: true });
    const repos = path.join(dir, 'repositories.yaml');
    await writeFile(repos, `repositories:\n- name: internal\n  url: ${repo.url}\n  username: reader\n  password: repo-pass-19\n  caFile: ${repo.caFile}\n`);
    const named = await runCli([...plain(), 'images', 'internal/app', '--version', '2.0.0', '-o', 'json'], { env: { ...env, HELM_REPOSITORY_CONFIG: repos }, cwd: dir });
    expect(named.code, named.stderr).toBe(0);
    expect(named.stdout).toContain('internal/app 2.0.0!/app/');
    expect(named.stdout).not.toContain('airlift-charts-');
    // --repo URL CHART: the chart URL fetched
    const byUrl = await runCli([...plain(), '--ca-file', repo.caFile!, 'images', '--repo', repo.url, 'app', '--version', '1.0.0', '-o', 'json', '--username', 'reader', '--password-stdin'], { env, stdin: 'repo-pass-19\n' });
    expect(byUrl.code, byUrl.stderr).toBe(0);
    expect(byUrl.stdout).toContain(`${repo.url}/app-1.0.0.tgz!/app/`);
    expect(byUrl.stdout).not.toContain('airlift-charts-');

    // what goes to stderr (a malformed reference) does not name the temporary path
    const bad = await writeChart(path.join(tmp, 'src-broken'), { name: 'broken', version: '0.1.0', images: [images.v1, 'Not A Reference::x'] });
    await helmPush(helm, await helmPackage(helm, bad, path.join(tmp, 'pkg-broken')), src, 'charts');
    const broken = await runCli([...plain(), 'images', `oci://${src.host}/charts/broken`, '--version', '0.1.0', '-o', 'list'], { env });
    expect(broken.stdout.trim()).toBe(images.v1);
    expect(broken.stderr).toContain('"Not A Reference::x", which is not a valid image reference');
    expect(broken.stderr).not.toContain('airlift-charts-');
  });

  it('sync takes a chart reference (its images are what it copies)', async () => {
    const r = await runCli([...plain(), 'sync', `oci://${src.host}/charts/app`, '--version', '~1.2', '--to', `${dst.host}/synced`, '-o', 'json'], { env: helm.env as Record<string, string> });
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ kind: string; source: string; destination: string; status: string }>;
    expect(rows.filter((x) => x.kind === 'image').map((x) => x.source).sort()).toEqual([images.v1, images.v2].sort());
    // the chart travels too (i19b: sync pushes the charts it read), at the version the range picked
    expect(rows.filter((x) => x.kind === 'chart').map((x) => x.destination)).toEqual([expect.stringMatching(new RegExp(`^${dst.host}/synced/charts/app:1\\.2\\.`))]);
  });

  it('relocate takes a chart reference', async () => {
    const r = await runCli([...plain(), 'relocate', `oci://${src.host}/charts/app`, '--version', '1.2.3', '--to', `${dst.host}/mirror`], { env: helm.env as Record<string, string> });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${dst.host}/mirror/`);
  });
});

describe('bad chart references: a clear error naming what and where, exit code from the error tree, nothing written', () => {
  const save = async (args: string[], env: Record<string, string> = helm.env as Record<string, string>) => {
    const dir = path.join(tmp, 'bad', String(Math.random()).slice(2));
    await mkdir(dir, { recursive: true });
    const r = await runCli([...plain(), '--ca-file', repo.caFile!, 'save', ...args, '-o', path.join(dir, 'b.tar')], { env, cwd: dir, stdin: 'repo-pass-19\n' });
    await noLeftovers(dir);
    expect(r.stdout).toBe('');
    return r;
  };
  const auth = ['--username', 'reader', '--password-stdin'];

  it('an unknown repository name', async () => {
    const r = await save(['nosuchrepo/app']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/unknown chart repository "nosuchrepo" \(in nosuchrepo\/app\): .*repositories\.yaml/);
    expect(r.stderr).toMatch(/hint: add it with helm repo add nosuchrepo URL/);
  });

  it('a version no release matches, with the nearest versions', async () => {
    const r = await save(['--repo', repo.url, 'app', '--version', '1.4.x', ...auth]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/chart "app" in https:\/\/127\.0\.0\.1:\d+\/charts: no release matches version "1\.4\.x"; nearest: 2\.0\.0, 1\.2\.3, 1\.0\.0/);
    const o = await save([`oci://${src.host}/charts/app`, '--version', '>=3']);
    expect(o.code).toBe(5);
    expect(o.stderr).toMatch(/no tag matches version ">=3"; nearest: 2\.0\.0/);
  });

  it('a chart URL that answers 404', async () => {
    const base = path.join(repo.dir, '..', 'gone');
    await mkdir(base, { recursive: true });
    const url = repo.url.replace(/\/charts$/, '/gone');
    await writeFile(path.join(base, 'index.yaml'), `apiVersion: v1\nentries:\n  app:\n  - name: app\n    version: 1.0.0\n    urls: [app-1.0.0.tgz]\n`);
    const r = await save(['--repo', url, 'app', ...auth]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(new RegExp(`chart "app" 1\\.0\\.0 from ${url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: GET ${url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/app-1\\.0\\.0\\.tgz answered HTTP 404`));
  });

  it('an index.yaml that is not YAML', async () => {
    const base = path.join(repo.dir, '..', 'notyaml');
    await mkdir(base, { recursive: true });
    await writeFile(path.join(base, 'index.yaml'), '<html><body>\n  login: [here\n</body></html>\n');
    const r = await save(['--repo', repo.url.replace(/\/charts$/, '/notyaml'), 'app', ...auth]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/the repository index https:\/\/127\.0\.0\.1:\d+\/notyaml\/index\.yaml is not YAML/);
  });

  it('a chart .tgz whose digest does not match index.yaml', async () => {
    const base = path.join(repo.dir, '..', 'tampered');
    await mkdir(base, { recursive: true });
    const index = (await readFile(path.join(repo.dir, 'index.yaml'), 'utf8')).replaceAll(repo.url, repo.url.replace(/\/charts$/, '/tampered'));
    await writeFile(path.join(base, 'index.yaml'), index);
    for (const v of ['1.0.0', '1.2.3', '2.0.0']) await writeFile(path.join(base, `app-${v}.tgz`), await readFile(tgz.get(v === '2.0.0' ? '1.0.0' : v)!));
    const r = await save(['--repo', repo.url.replace(/\/charts$/, '/tampered'), 'app', '--version', '2.0.0', ...auth]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/chart "app" 2\.0\.0 from https:\/\/127\.0\.0\.1:\d+\/tampered: https:\/\/127\.0\.0\.1:\d+\/tampered\/app-2\.0\.0\.tgz does not match the digest index\.yaml gives: expected sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}/);
  });
});
