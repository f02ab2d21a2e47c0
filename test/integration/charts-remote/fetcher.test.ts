/**
 * The chart fetcher (src/chart/remote) against real components: charts packaged by `helm
 * package`, served by nginx (TLS + basic auth) with an index.yaml from `helm repo index`, and
 * pushed with `helm push` to a plain and a TLS + htpasswd docker-registry (credentials from the
 * registry config `helm registry login` wrote). The bytes fetched are the bytes helm packaged.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChartFetcher } from '../../../src/chart/remote/index.js';
import { helmPackage, helmPush, helmRegistryLogin, isolatedHelm, startChartRepo, writeChart, type ChartRepo, type Helm } from '../../harness/chart-repo.js';
import { startRegistry, type StartedRegistry } from '../../harness/registry.js';
import { sha256Digest as sha } from '../../helpers/digest.js';

const VERSIONS = ['1.0.0', '1.2.3', '1.3.0-rc.1', '2.0.0'];
const PROV = '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nname: app\nversion: 1.2.3\n...\n-----END PGP SIGNATURE-----\n';

let tmp: string;
let helm: Helm;
let repo: ChartRepo;
let plain: StartedRegistry;
let secure: StartedRegistry;
const tgz = new Map<string, string>();
const pushed = new Map<string, string>();

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'airlift-fetcher-'));
  helm = await isolatedHelm(path.join(tmp, 'helm'));
  [repo, plain, secure] = await Promise.all([
    startChartRepo({ tls: true, auth: { username: 'reader', password: 'chart-secret-1' } }),
    startRegistry({ mode: 'plain' }),
    startRegistry({ mode: 'tls-basic' }),
  ]);
  for (const v of VERSIONS) {
    const dir = await writeChart(path.join(tmp, `src-${v}`), { name: 'app', version: v, images: [`example.com/app:${v}`] });
    tgz.set(v, await helmPackage(helm, dir, path.join(tmp, 'pkg')));
  }
  // a provenance file beside 1.2.3: helm push uploads it as the provenance layer, nginx serves it beside the chart
  await writeFile(`${tgz.get('1.2.3')!}.prov`, PROV);
  await repo.publish(helm, [...tgz.values()]);
  await writeFile(path.join(repo.dir, 'app-1.2.3.tgz.prov'), PROV);
  await helmRegistryLogin(helm, secure);
  for (const v of VERSIONS) {
    pushed.set(`plain:${v}`, await helmPush(helm, tgz.get(v)!, plain, 'charts'));
    pushed.set(`secure:${v}`, await helmPush(helm, tgz.get(v)!, secure, 'team/charts'));
  }
}, 180_000);

afterAll(async () => {
  await Promise.all([repo?.stop(), plain?.stop(), secure?.stop()]);
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('OCI charts pushed with helm push', () => {
  it('picks the newest release a range admits, with the exact bytes and the manifest digest', async () => {
    const f = createChartFetcher({ env: helm.env, registry: { plainHttp: [plain.host] } });
    try {
      const c = await f.fetch({ chart: `oci://${plain.host}/charts/app`, version: '1.x' });
      expect(c.version).toBe('1.2.3');
      expect(c.tgz.equals(await readFile(tgz.get('1.2.3')!))).toBe(true);
      expect(c.sha256).toBe(sha(c.tgz));
      expect(c.digest).toBe(pushed.get('plain:1.2.3'));
      expect(c.source).toBe(`oci://${plain.host}/charts/app:1.2.3`);
      expect(c.prov?.toString('utf8')).toBe(PROV); // the provenance layer helm push added
      const newest = await f.fetch({ repository: `oci://${plain.host}/charts`, chart: 'app' });
      expect(newest.version).toBe('2.0.0'); // not the release candidate
      expect(newest.prov).toBeUndefined();
      const rc = await f.fetch({ chart: `oci://${plain.host}/charts/app`, version: '>=1.3.0-0, <2' });
      expect(rc.version).toBe('1.3.0-rc.1');
    } finally {
      await f.close();
    }
  });

  it('reads credentials from the registry config helm registry login wrote, and trusts the CA given', async () => {
    const f = createChartFetcher({ env: helm.env, registry: { caFiles: [secure.caFile!] } });
    try {
      const c = await f.fetch({ chart: `oci://${secure.host}/team/charts/app`, version: '1.2.3' });
      expect(c.tgz.equals(await readFile(tgz.get('1.2.3')!))).toBe(true);
      expect(c.digest).toBe(pushed.get('secure:1.2.3'));
    } finally {
      await f.close();
    }
  });

  it('names the versions nearest to one no tag matches', async () => {
    const f = createChartFetcher({ env: helm.env, registry: { plainHttp: [plain.host] } });
    try {
      await expect(f.fetch({ chart: `oci://${plain.host}/charts/app`, version: '3.x' })).rejects.toMatchObject({
        code: 'E_NOT_FOUND',
        message: expect.stringMatching(/oci:\/\/127\.0\.0\.1:\d+\/charts\/app: no tag matches version "3\.x"; nearest: 2\.0\.0/),
      });
    } finally {
      await f.close();
    }
  });
});

describe('an OCI chart whose layer the registry serves altered', () => {
  it('is refused with E_DIGEST_MISMATCH naming the blob', async () => {
    const dir = await writeChart(path.join(tmp, 'src-tampered'), { name: 'tampered', version: '9.9.9', images: ['example.com/t:1'] });
    const file = await helmPackage(helm, dir, path.join(tmp, 'pkg-tampered'));
    await helmPush(helm, file, plain, 'charts');
    const digest = sha(await readFile(file)).slice('sha256:'.length);
    const data = path.join(plain.storageDir, 'docker/registry/v2/blobs/sha256', digest.slice(0, 2), digest, 'data');
    const bytes = await readFile(data);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff; // same size, other bytes
    await writeFile(data, bytes);
    const f = createChartFetcher({ env: helm.env, registry: { plainHttp: [plain.host] } });
    try {
      await expect(f.fetch({ chart: `oci://${plain.host}/charts/tampered` })).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH', message: expect.stringContaining(digest) });
    } finally {
      await f.close();
    }
  });
});

describe('an HTTP repository on nginx (TLS, basic auth) with a helm repo index', () => {
  it('fetches by --repo URL with --username/--password and the CA, digest from index.yaml checked', async () => {
    const f = createChartFetcher({ env: helm.env, caFiles: [repo.caFile!], username: 'reader', password: 'chart-secret-1' });
    try {
      const c = await f.fetch({ repository: repo.url, chart: 'app', version: '1.2.3' });
      expect(c.version).toBe('1.2.3');
      expect(c.tgz.equals(await readFile(tgz.get('1.2.3')!))).toBe(true);
      expect(c.source).toBe(`${repo.url}/app-1.2.3.tgz`);
      expect(c.prov?.toString('utf8')).toBe(PROV);
      const again = await f.fetch({ repository: repo.url, chart: 'app', version: '~1.2' });
      expect(again).toBe(c); // one chart, fetched once
      const newest = await f.fetch({ repository: repo.url, chart: 'app' });
      expect(newest.version).toBe('2.0.0');
      const gets = await repo.requests();
      expect(gets.filter((p) => p.endsWith('/index.yaml'))).toHaveLength(1);
      expect(gets.filter((p) => p.endsWith('/app-1.2.3.tgz'))).toHaveLength(1);
    } finally {
      await f.close();
    }
  });

  it('concurrent requests share one download; localPath writes NAME-VERSION.tgz once, removed by close()', async () => {
    const f = createChartFetcher({ env: helm.env, caFiles: [repo.caFile!], username: 'reader', password: 'chart-secret-1' });
    const before = (await repo.requests()).filter((p) => p.endsWith('/app-1.0.0.tgz')).length;
    const [a, b] = await Promise.all([f.fetch({ repository: repo.url, chart: 'app', version: '1.0.0' }), f.fetch({ repository: repo.url, chart: 'app', version: '1.0.x' })]);
    expect(a).toBe(b);
    expect((await repo.requests()).filter((p) => p.endsWith('/app-1.0.0.tgz')).length - before).toBe(1);
    const [p1, p2] = await Promise.all([f.localPath(a), f.localPath(a)]);
    expect(p1).toBe(p2);
    expect(path.basename(p1)).toBe('app-1.0.0.tgz');
    expect((await readFile(p1)).equals(a.tgz)).toBe(true);
    await f.close();
    await expect(readFile(p1)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('takes a repositories.yaml name with its credentials and caFile', async () => {
    const cfg = path.join(tmp, 'repos', 'repositories.yaml');
    await import('node:fs/promises').then((fs) => fs.mkdir(path.dirname(cfg), { recursive: true }));
    await writeFile(cfg, `apiVersion: ""\nrepositories:\n- name: internal\n  url: ${repo.url}\n  username: reader\n  password: chart-secret-1\n  caFile: ${repo.caFile}\n`);
    const f = createChartFetcher({ env: { ...helm.env, HELM_REPOSITORY_CONFIG: cfg } });
    try {
      const c = await f.fetch({ chart: 'internal/app', version: '1.0.x' });
      expect(c.version).toBe('1.0.0');
      expect(c.tgz.equals(await readFile(tgz.get('1.0.0')!))).toBe(true);
      const byAt = await f.fetch({ repository: '@internal', chart: 'app', version: '2.0.0' });
      expect(byAt.version).toBe('2.0.0');
    } finally {
      await f.close();
    }
  });

  it('presents the certFile/keyFile of repositories.yaml to a repository that asks for a client certificate; insecure_skip_tls_verify skips the CA', async () => {
    const mtls = await startChartRepo({ tls: true, clientCert: true });
    try {
      await mtls.publish(helm, [tgz.get('1.2.3')!]);
      const cfg = path.join(tmp, 'repos-mtls', 'repositories.yaml');
      await import('node:fs/promises').then((fs) => fs.mkdir(path.dirname(cfg), { recursive: true }));
      const entry = (name: string, extra: string) => `- name: ${name}\n  url: ${mtls.url}\n${extra}`;
      await writeFile(
        cfg,
        `repositories:\n${entry('mtls', `  caFile: ${mtls.caFile}\n  certFile: ${mtls.clientCertFile}\n  keyFile: ${mtls.clientKeyFile}\n`)}` +
          `${entry('nocert', `  caFile: ${mtls.caFile}\n`)}${entry('skipverify', `  certFile: ${mtls.clientCertFile}\n  keyFile: ${mtls.clientKeyFile}\n  insecure_skip_tls_verify: true\n`)}`,
      );
      const f = createChartFetcher({ env: { ...helm.env, HELM_REPOSITORY_CONFIG: cfg } });
      try {
        expect((await f.fetch({ chart: 'mtls/app' })).tgz.equals(await readFile(tgz.get('1.2.3')!))).toBe(true);
      } finally {
        await f.close();
      }
      // a repository entry with insecure_skip_tls_verify and no caFile (a fetcher of its own: the first cached this URL)
      const h = createChartFetcher({ env: { ...helm.env, HELM_REPOSITORY_CONFIG: cfg } });
      try {
        expect((await h.fetch({ chart: 'skipverify/app' })).version).toBe('1.2.3');
      } finally {
        await h.close();
      }
      // without the client certificate nginx answers 400 ("No required SSL certificate was sent")
      const g = createChartFetcher({ env: { ...helm.env, HELM_REPOSITORY_CONFIG: cfg } });
      try {
        await expect(g.fetch({ chart: 'nocert/app' })).rejects.toMatchObject({ message: expect.stringMatching(/index\.yaml: GET https:\/\/127\.0\.0\.1:\d+\/charts\/index\.yaml answered HTTP 400/), hint: expect.stringContaining('certFile') });
      } finally {
        await g.close();
      }
    } finally {
      await mtls.stop();
    }
  });

  it('refuses without credentials (E_AUTH) and without the CA (E_NETWORK naming caFile)', async () => {
    const noAuth = createChartFetcher({ env: helm.env, caFiles: [repo.caFile!] });
    await expect(noAuth.fetch({ repository: repo.url, chart: 'app' })).rejects.toMatchObject({ code: 'E_AUTH', message: expect.stringContaining('index.yaml') });
    await noAuth.close();
    // --username/--password are for the --repo URL only: another repository (a dependency's) never gets them
    const other = createChartFetcher({ env: helm.env, caFiles: [repo.caFile!], username: 'reader', password: 'chart-secret-1', credentialsUrl: 'https://127.0.0.1:9/other' });
    await expect(other.fetch({ repository: repo.url, chart: 'app' })).rejects.toMatchObject({ code: 'E_AUTH', message: expect.stringContaining('no credentials given') });
    await other.close();
    const noCa = createChartFetcher({ env: helm.env, username: 'reader', password: 'chart-secret-1' });
    await expect(noCa.fetch({ repository: repo.url, chart: 'app' })).rejects.toMatchObject({ code: 'E_NETWORK', hint: expect.stringContaining('caFile') });
    await noCa.close();
  });
});
