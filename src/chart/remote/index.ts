/**
 * Charts where they live: OCI registries and HTTP(S) Helm repositories (by URL or by a name of
 * helm's repositories.yaml). One fetcher per run; each chart is fetched once, however many
 * inputs name it, and each repository's index.yaml is read once.
 *
 *   const f = createChartFetcher({ registry: registryOptions, env });
 *   const c = await f.fetch({ chart: 'oci://reg/charts/app', version: '1.x' });
 *   const c2 = await f.fetch({ repository: 'https://charts.example.com', chart: 'redis', version: '^18' });
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Agent } from 'undici';
import { InputError, registerSecret } from '../../errors.js';
import { silentLogger, type Logger } from '../../log.js';
import { createRegistryClient, type RegistryClient, type RegistryClientOptions } from '../../registry/client.js';
import { createCredentialResolver } from '../../registry/credentials/index.js';
import { readHelmRepositories, withHelmRegistryCredentials, type HelmRepository } from './helm-config.js';
import { repoAgent, type HttpRepoAuth } from './http.js';
import { fetchFromIndex, fetchIndex, type HttpRepoContext, type RepoIndex } from './http-repo.js';
import { fetchOciChart, parseOciChartRef } from './oci.js';
import type { ChartFetcher, ChartFetchRequest, FetchedChart } from './types.js';

export type { ChartFetcher, ChartFetchRequest, ChartOrigin, FetchedChart } from './types.js';
export { originOf } from './types.js';
export { chooseVersion, parseConstraint, parseChartVersion, isExactVersion } from './version.js';
export { parseChartRef, type ChartRef } from './reference.js';
export { readHelmRepositories, repositoryConfigPath, registryConfigPath, type HelmRepository } from './helm-config.js';

export interface ChartFetcherOptions {
  /** Connection settings as for images (--ca-file, --plain-http, per-registry settings, --auth-from-secret); the fetcher's client adds helm's registry config to the credentials. */
  registry?: RegistryClientOptions;
  /** A client to use as is instead (its credentials are its own). */
  client?: RegistryClient;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Credentials for an HTTP repository given by URL (--username / --password-stdin with --repo). */
  username?: string;
  password?: string;
  /** The repository URL username/password are for (--repo): other repositories (a dependency's) never get them. Absent: any repository named by URL. */
  credentialsUrl?: string;
  /** CA files trusted for every HTTP repository (--ca-file), besides a repository's own caFile. */
  caFiles?: string[];
  insecureSkipTlsVerify?: boolean;
  signal?: AbortSignal;
  userAgent?: string;
}

interface Located {
  kind: 'oci' | 'http';
  /** oci: 'oci://HOST/PATH/CHART'; http: the repository URL. */
  location: string;
  chart: string;
  label: string;
  repo?: HelmRepository;
  /** Named by URL (--repo, a dependency's repository URL): --username/--password apply. */
  byUrl?: boolean;
}

class Fetcher implements ChartFetcher {
  private readonly env: NodeJS.ProcessEnv;
  private readonly logger: Logger;
  private clientValue: RegistryClient | undefined;
  private readonly ownsClient: boolean;
  private repositories: Promise<{ file: string; repositories: HelmRepository[] }> | undefined;
  private readonly charts = new Map<string, Promise<FetchedChart>>();
  private readonly indexes = new Map<string, Promise<RepoIndex>>();
  private readonly agents = new Map<string, Promise<{ agent: Agent; userAgent: string }>>();
  private readonly files = new Map<FetchedChart, Promise<string>>();
  private tmp: Promise<string> | undefined;

  constructor(private readonly o: ChartFetcherOptions) {
    this.env = o.env ?? process.env;
    this.logger = o.logger ?? silentLogger;
    this.clientValue = o.client;
    this.ownsClient = !o.client;
    registerSecret(o.password);
  }

  private client(): RegistryClient {
    if (!this.clientValue) {
      const r = this.o.registry ?? {};
      const base = r.credentials ?? createCredentialResolver({ env: r.env ?? this.env, authFromSecret: r.authFromSecret ?? [] });
      this.clientValue = createRegistryClient({ ...r, env: r.env ?? this.env, credentials: withHelmRegistryCredentials(base, r.env ?? this.env) });
    }
    return this.clientValue;
  }

  private helmRepositories() {
    this.repositories ??= readHelmRepositories(this.env);
    return this.repositories;
  }

  /** Where a request points: an OCI repository or an HTTP repository URL (with its repositories.yaml entry). */
  private async locate(req: ChartFetchRequest): Promise<Located> {
    const chart = req.chart.trim();
    if (!chart) throw new InputError('a chart reference is empty', { hint: 'name the chart: oci://HOST/PATH/CHART, REPO/CHART or --repo URL CHART' });
    const repository = req.repository?.trim();
    if (!repository) {
      if (/^oci:\/\//i.test(chart)) {
        const r = parseOciChartRef(chart);
        return { kind: 'oci', location: `oci://${r.host}/${r.repo}`, chart: r.chart, label: `oci://${r.host}/${r.repo}` };
      }
      const slash = chart.indexOf('/');
      if (slash <= 0 || slash === chart.length - 1 || chart.indexOf('/', slash + 1) >= 0) {
        throw new InputError(`${JSON.stringify(chart)} is not a chart reference`, { hint: 'write oci://HOST/PATH/CHART, REPO/CHART (a name from helm repo list), or --repo URL CHART' });
      }
      return this.byName(chart.slice(0, slash), chart.slice(slash + 1));
    }
    if (/^oci:\/\//i.test(repository)) {
      const r = parseOciChartRef(`${repository.replace(/\/+$/, '')}/${chart}`);
      return { kind: 'oci', location: `oci://${r.host}/${r.repo}`, chart: r.chart, label: `oci://${r.host}/${r.repo}` };
    }
    if (/^https?:\/\//i.test(repository)) {
      const url = repository.replace(/\/+$/, '');
      // A URL that repositories.yaml names gets that entry's credentials and TLS files (as helm dependency build does).
      const known = (await this.helmRepositories()).repositories.find((r) => r.url.replace(/\/+$/, '') === url);
      return { kind: 'http', location: url, chart, label: url, byUrl: true, ...(known ? { repo: known } : {}) };
    }
    const name = repository.replace(/^@/, '').replace(/^alias:/, '');
    return this.byName(name, chart);
  }

  private async byName(name: string, chart: string): Promise<Located> {
    const { file, repositories } = await this.helmRepositories();
    const repo = repositories.find((r) => r.name === name);
    if (!repo) {
      const names = repositories.map((r) => r.name).sort();
      throw new InputError(`unknown chart repository "${name}" (in ${name}/${chart}): ${file} ${names.length ? `names ${names.join(', ')}` : repositories.length === 0 ? 'lists no repositories or does not exist' : ''}`, {
        hint: `add it with helm repo add ${name} URL (or set $HELM_REPOSITORY_CONFIG), or give the URL: --repo URL ${chart}; a local chart directory of that name is taken first when it exists`,
      });
    }
    if (/^oci:\/\//i.test(repo.url)) {
      const r = parseOciChartRef(`${repo.url.replace(/\/+$/, '')}/${chart}`);
      return { kind: 'oci', location: `oci://${r.host}/${r.repo}`, chart: r.chart, label: `${name} (oci://${r.host}/${r.repo})` };
    }
    return { kind: 'http', location: repo.url.replace(/\/+$/, ''), chart, label: `${name} (${repo.url})`, repo };
  }

  private agent(l: Located) {
    const r = l.repo;
    const key = JSON.stringify([r?.caFile, r?.certFile, r?.keyFile, r?.insecureSkipTlsVerify]);
    let p = this.agents.get(key);
    if (!p) {
      p = repoAgent(
        {
          caFiles: [...(this.o.caFiles ?? []), ...(r?.caFile ? [r.caFile] : [])],
          ...(r?.certFile ? { certFile: r.certFile } : {}),
          ...(r?.keyFile ? { keyFile: r.keyFile } : {}),
          insecureSkipTlsVerify: Boolean(this.o.insecureSkipTlsVerify || r?.insecureSkipTlsVerify),
        },
        this.o.userAgent ?? 'airlift',
      );
      this.agents.set(key, p);
    }
    return p;
  }

  private async httpContext(l: Located): Promise<HttpRepoContext> {
    const { agent, userAgent } = await this.agent(l);
    let auth: HttpRepoAuth | undefined;
    // --username/--password for a repository given by URL win over its repositories.yaml entry, as with helm --repo
    const forThis = this.o.credentialsUrl === undefined || this.o.credentialsUrl.replace(/\/+$/, '') === l.location;
    if (l.byUrl && forThis && this.o.username !== undefined && this.o.password !== undefined) auth = { username: this.o.username, password: this.o.password, everywhere: false };
    else if (l.repo?.username !== undefined && l.repo.password !== undefined) auth = { username: l.repo.username, password: l.repo.password, everywhere: Boolean(l.repo.passCredentialsAll) };
    return { agent, userAgent, label: l.label, ...(auth ? { auth } : {}), ...(this.o.signal ? { signal: this.o.signal } : {}) };
  }

  fetch(req: ChartFetchRequest): Promise<FetchedChart> {
    const key = JSON.stringify([req.repository ?? '', req.chart, req.version ?? '']);
    let p = this.charts.get(key);
    if (!p) {
      p = this.doFetch(req);
      this.charts.set(key, p);
      p.catch(() => this.charts.delete(key));
    }
    return p;
  }

  private readonly downloads = new Map<string, Promise<FetchedChart>>();
  private readonly logged = new Set<FetchedChart>();

  private async doFetch(req: ChartFetchRequest): Promise<FetchedChart> {
    const l = await this.locate(req);
    let out: FetchedChart;
    if (l.kind === 'oci') {
      out = await fetchOciChart(this.client(), parseOciChartRef(l.location), req.version, this.o.signal, this.downloads);
    } else {
      const ctx = await this.httpContext(l);
      let idx = this.indexes.get(l.location);
      if (!idx) {
        idx = fetchIndex(l.location, ctx);
        this.indexes.set(l.location, idx);
        idx.catch(() => this.indexes.delete(l.location));
      }
      out = await fetchFromIndex(await idx, l.chart, req.version, { ...ctx, downloads: this.downloads });
    }
    if (this.logged.has(out)) return out;
    this.logged.add(out);
    this.logger.log('info', `fetched chart ${out.name} ${out.version} from ${out.source} (${out.sha256.slice(0, 19)}…)`);
    return out;
  }

  localPath(chart: FetchedChart): Promise<string> {
    let p = this.files.get(chart);
    if (!p) {
      const n = this.files.size;
      p = (async () => {
        this.tmp ??= mkdtemp(path.join(os.tmpdir(), 'airlift-charts-'));
        const dir = await this.tmp;
        // DIR/N/NAME-VERSION.tgz: the file name helm would give it, for the paths the scan reports
        const sub = path.join(dir, String(n));
        await mkdir(sub);
        const file = path.join(sub, `${chart.name.replace(/[^A-Za-z0-9._-]/g, '_')}-${chart.version.replace(/[^A-Za-z0-9._+-]/g, '_')}.tgz`);
        await writeFile(file, chart.tgz);
        return file;
      })();
      this.files.set(chart, p);
    }
    return p;
  }

  async close(): Promise<void> {
    const agents = await Promise.allSettled([...this.agents.values()]);
    await Promise.all(agents.map((a) => (a.status === 'fulfilled' ? a.value.agent.close().catch(() => {}) : undefined)));
    if (this.ownsClient && this.clientValue) await this.clientValue.close();
    if (this.tmp) await rm(await this.tmp, { recursive: true, force: true });
    this.tmp = undefined;
    this.files.clear();
  }
}

/** One per run: fetches each (repository, chart, resolved version) once and caches it in memory. */
export function createChartFetcher(opts: ChartFetcherOptions = {}): ChartFetcher {
  return new Fetcher(opts);
}

