/**
 * Chart sources on real components: an HTTP(S) Helm repository served by Debian's nginx on
 * 127.0.0.1 (its own prefix, config, pid and logs in a temporary directory; TLS with a CA made per
 * start; basic auth from an htpasswd file), whose index.yaml is written by real `helm repo index
 * --url`, holding charts packaged by real `helm package`; and `helm push` of a packaged chart to a
 * harness registry (plain, or TLS + htpasswd after `helm registry login`). helm runs with its
 * config, cache and data in a temporary directory: the user's ~/.config/helm is never touched.
 * Missing binaries throw; a test needing them fails, never skips.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { generateLeaf, generateServerCert } from './certs.js';
import { freePort, type StartedRegistry } from './registry.js';
import { helmBinary } from './tools.js';

export const NGINX = '/usr/sbin/nginx';

function run(bin: string, args: string[], o: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(bin, args, { env: o.env ?? process.env, cwd: o.cwd, encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException;
        reject(new Error(e.code === 'ENOENT' ? `${bin} not found: run scripts/install-system-deps.sh` : `${path.basename(bin)} ${args.join(' ')} failed: ${stderr || err.message}`));
        return;
      }
      resolve({ stdout, stderr });
    });
    if (o.input !== undefined) child.stdin!.end(o.input);
  });
}

/** An isolated helm: HELM_* homes under `dir`, so no test reads or writes the user's helm config. */
export interface Helm {
  env: NodeJS.ProcessEnv;
  /** $HELM_REGISTRY_CONFIG */
  registryConfig: string;
  /** $HELM_REPOSITORY_CONFIG */
  repositoryConfig: string;
  run(args: string[], o?: { cwd?: string; input?: string }): Promise<{ stdout: string; stderr: string }>;
}

export async function isolatedHelm(dir: string): Promise<Helm> {
  await mkdir(dir, { recursive: true });
  const registryConfig = path.join(dir, 'registry', 'config.json');
  const repositoryConfig = path.join(dir, 'repositories.yaml');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    HELM_CONFIG_HOME: path.join(dir, 'config'),
    HELM_CACHE_HOME: path.join(dir, 'cache'),
    HELM_DATA_HOME: path.join(dir, 'data'),
    HELM_REGISTRY_CONFIG: registryConfig,
    HELM_REPOSITORY_CONFIG: repositoryConfig,
    DOCKER_CONFIG: path.join(dir, 'docker'),
    NO_PROXY: '*',
  };
  const bin = helmBinary();
  return { env, registryConfig, repositoryConfig, run: (args, o = {}) => run(bin, args, { env, ...o }) };
}

export interface ChartSpec {
  name: string;
  version: string;
  /** image references the chart's one Deployment runs (values image.<key>), in order */
  images: string[];
  appVersion?: string;
}

/** Writes a small application chart: one Deployment whose containers take their images from values. */
export async function writeChart(dir: string, spec: ChartSpec): Promise<string> {
  const root = path.join(dir, spec.name);
  await mkdir(path.join(root, 'templates'), { recursive: true });
  await writeFile(path.join(root, 'Chart.yaml'), `apiVersion: v2\nname: ${spec.name}\nversion: ${spec.version}\nappVersion: "${spec.appVersion ?? '1.0'}"\n`);
  const values = spec.images.map((img, i) => `  c${i}: ${JSON.stringify(img)}`).join('\n');
  await writeFile(path.join(root, 'values.yaml'), `images:\n${values || '  {}'}\n`);
  const containers = spec.images.map((_, i) => `        - name: c${i}\n          image: {{ .Values.images.c${i} | quote }}`).join('\n');
  await writeFile(
    path.join(root, 'templates', 'deployment.yaml'),
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-${spec.name}\nspec:\n  selector:\n    matchLabels: {app: ${spec.name}}\n  template:\n    metadata:\n      labels: {app: ${spec.name}}\n    spec:\n      containers:\n${containers}\n`,
  );
  return root;
}

/** `helm package` of a chart directory into `outDir`; returns the .tgz path. */
export async function helmPackage(helm: Helm, chartDir: string, outDir: string): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const { stdout } = await helm.run(['package', chartDir, '--destination', outDir]);
  const m = /saved it to: (.+\.tgz)/.exec(stdout);
  if (!m) throw new Error(`helm package printed no path: ${stdout}`);
  return m[1]!.trim();
}

/** `helm registry login` (TLS registries: --ca-file) into the isolated registry config. */
export async function helmRegistryLogin(helm: Helm, reg: StartedRegistry): Promise<void> {
  if (!reg.username || !reg.password) return;
  await helm.run(['registry', 'login', reg.host, '--username', reg.username, '--password-stdin', '--registry-config', helm.registryConfig, ...(reg.caFile ? ['--ca-file', reg.caFile] : ['--plain-http'])], { input: reg.password });
}

/** `helm push CHART.tgz oci://HOST/PATH` (plain HTTP or the registry's CA); returns the pushed digest. */
export async function helmPush(helm: Helm, tgz: string, reg: StartedRegistry, repoPath: string): Promise<string> {
  const tls = reg.caFile ? ['--ca-file', reg.caFile] : ['--plain-http'];
  const { stdout, stderr } = await helm.run(['push', tgz, `oci://${reg.host}/${repoPath}`, '--registry-config', helm.registryConfig, ...tls]);
  const m = /Digest: (sha256:[0-9a-f]{64})/.exec(stdout + stderr);
  if (!m) throw new Error(`helm push printed no digest: ${stdout}${stderr}`);
  return m[1]!;
}

export interface ChartRepoOptions {
  tls?: boolean;
  /** Basic auth: username and password (nginx auth_basic with an htpasswd file). */
  auth?: { username: string; password: string };
  /** Charts are served under this path (default 'charts'): the repository URL is https://127.0.0.1:PORT/charts */
  path?: string;
  /** tls: nginx asks for a client certificate signed by its CA (ssl_verify_client on); one is made (clientCertFile, clientKeyFile). */
  clientCert?: boolean;
}

export interface ChartRepo {
  /** The repository URL, e.g. "https://127.0.0.1:PORT/charts" */
  url: string;
  host: string;
  /** CA that signed nginx's certificate (tls only) */
  caFile?: string;
  /** A client certificate and key nginx accepts (clientCert only) */
  clientCertFile?: string;
  clientKeyFile?: string;
  username?: string;
  password?: string;
  /** nginx's document root for the repository path: files placed here are served. */
  dir: string;
  /** Copies packaged charts into the repository and runs `helm repo index --url URL` over it. */
  publish(helm: Helm, tgzs: string[], o?: { merge?: boolean }): Promise<void>;
  /** The GET requests nginx logged so far (paths). */
  requests(): Promise<string[]>;
  stop(): Promise<void>;
}

export function nginxBinary(): string {
  try {
    accessSync(NGINX, fsConstants.X_OK);
    return NGINX;
  } catch {
    throw new Error(`nginx not found at ${NGINX}: run scripts/install-system-deps.sh`);
  }
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** Starts nginx on 127.0.0.1 serving an (empty) chart repository; publish() fills it. */
export async function startChartRepo(o: ChartRepoOptions = {}): Promise<ChartRepo> {
  const bin = nginxBinary();
  const base = await mkdtemp(path.join(os.tmpdir(), 'airlift-chart-repo-'));
  const sub = o.path ?? 'charts';
  const www = path.join(base, 'www');
  const dir = path.join(www, sub);
  await mkdir(dir, { recursive: true });
  await mkdir(path.join(base, 'tmp'), { recursive: true });
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const scheme = o.tls ? 'https' : 'http';
  const url = `${scheme}://${host}/${sub}`;
  const cert = o.tls ? await generateServerCert(path.join(base, 'tls')) : undefined;
  const client =
    cert && o.clientCert
      ? await generateLeaf(path.join(base, 'tls'), 'client', { caFile: cert.caFile, caPem: cert.caPem, caKeyFile: path.join(base, 'tls', 'ca.key') }, 'airlift test client', [
          'basicConstraints=critical,CA:FALSE',
          'keyUsage=critical,digitalSignature',
          'extendedKeyUsage=clientAuth',
        ])
      : undefined;
  if (o.auth) {
    const { stdout } = await run('htpasswd', ['-nbm', o.auth.username, o.auth.password]);
    await writeFile(path.join(base, 'htpasswd'), stdout.trim() + '\n');
  }
  const userLine = process.getuid?.() === 0 ? 'user root root;\n' : '';
  const tmp = (n: string) => `${n} ${path.join(base, 'tmp', n)};`;
  await writeFile(
    path.join(base, 'nginx.conf'),
    `${userLine}daemon off;\nmaster_process on;\nworker_processes 1;\npid ${path.join(base, 'nginx.pid')};\nerror_log ${path.join(base, 'error.log')} warn;\n` +
      `events { worker_connections 128; }\nhttp {\n  access_log ${path.join(base, 'access.log')};\n` +
      `  ${tmp('client_body_temp_path')} ${tmp('proxy_temp_path')} ${tmp('fastcgi_temp_path')} ${tmp('uwsgi_temp_path')} ${tmp('scgi_temp_path')}\n` +
      `  types { text/yaml yaml; application/gzip tgz; application/octet-stream prov; }\n  default_type application/octet-stream;\n` +
      `  server {\n    listen 127.0.0.1:${port}${o.tls ? ' ssl' : ''};\n` +
      (cert ? `    ssl_certificate ${cert.certFile};\n    ssl_certificate_key ${cert.keyFile};\n` : '') +
      (client ? `    ssl_client_certificate ${cert!.caFile};\n    ssl_verify_client on;\n` : '') +
      `    root ${www};\n` +
      (o.auth ? `    auth_basic "charts";\n    auth_basic_user_file ${path.join(base, 'htpasswd')};\n` : '') +
      `  }\n}\n`,
  );
  const child = spawn(bin, ['-p', base, '-c', path.join(base, 'nginx.conf'), '-e', path.join(base, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGQUIT');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    running.delete(child);
    await rm(base, { recursive: true, force: true });
  };
  // ready when it answers (any status)
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      const log = await readFile(path.join(base, 'error.log'), 'utf8').catch(() => '');
      await stop();
      throw new Error(`nginx exited with ${child.exitCode}: ${stderr}${log}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const req = (o.tls ? https : http).get(`${scheme}://${host}/`, { rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.setTimeout(1000, () => req.destroy());
    });
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not answer on ${host} within 15 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    host,
    ...(cert ? { caFile: cert.caFile } : {}),
    ...(client ? { clientCertFile: client.certFile, clientKeyFile: client.keyFile } : {}),
    ...(o.auth ? { username: o.auth.username, password: o.auth.password } : {}),
    dir,
    async publish(helm, tgzs, po = {}) {
      for (const t of tgzs) await copyFile(t, path.join(dir, path.basename(t)));
      const merge = po.merge ? ['--merge', path.join(dir, 'index.yaml')] : [];
      await helm.run(['repo', 'index', dir, '--url', url, ...merge]);
    },
    async requests() {
      const log = await readFile(path.join(base, 'access.log'), 'utf8').catch(() => '');
      return log
        .split('\n')
        .map((l) => /"GET ([^ ]+) HTTP/.exec(l)?.[1])
        .filter((p): p is string => p !== undefined);
    },
    stop,
  };
}
