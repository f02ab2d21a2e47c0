/**
 * Shared set-up of the fault and mirror suites: the tiny fixture images, a scratch
 * directory with a private HOME and auth file (a developer's own credentials
 * never leak in), CLI runs in-process or as a child process, and checks of
 * what landed, made with skopeo and plain HTTP rather than with airlift.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { createReadStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateLayout, presetTiny, type GeneratedImage, type GeneratedLayout } from '../../fixtures/images/generate.js';
import type { StartedRegistry } from './registry.js';
import { skopeo, skopeoInspectDigest } from './skopeo.js';
import { runCli, type CliResult } from '../helpers/io.js';
import { sha256Digest } from '../helpers/digest.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Workspace {
  dir: string;
  layout: GeneratedLayout;
  /** Environment for airlift: private HOME, containers auth file. */
  env: Record<string, string>;
  authFile: string;
  /** Writes the auth file with credentials for these hosts. */
  setAuth(entries: Array<{ host: string; username: string; password: string }>): Promise<void>;
  remove(): Promise<void>;
}

export async function workspace(prefix: string): Promise<Workspace> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `airlift-${prefix}-`));
  const layoutDir = path.join(dir, 'layout');
  const layout = await generateLayout(layoutDir, presetTiny());
  const home = path.join(dir, 'home');
  await mkdir(home, { recursive: true });
  const authFile = path.join(dir, 'auth.json');
  await writeFile(authFile, '{"auths":{}}\n');
  return {
    dir,
    layout,
    authFile,
    env: { HOME: home, REGISTRY_AUTH_FILE: authFile, PATH: process.env.PATH ?? '/usr/bin:/bin' },
    async setAuth(entries): Promise<void> {
      const auths: Record<string, { auth: string }> = {};
      for (const e of entries) auths[e.host] = { auth: Buffer.from(`${e.username}:${e.password}`).toString('base64') };
      await writeFile(authFile, JSON.stringify({ auths }, null, 2));
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Runs airlift in-process with the workspace environment. */
export function airlift(ws: Workspace, argv: string[]): Promise<CliResult> {
  return runCli(argv, { env: ws.env, cwd: ws.dir });
}

/**
 * Spawns airlift as a real process (the current source through tsx, so a
 * stale dist/ never answers for it). The caller kills or awaits it.
 */
export function spawnAirlift(
  ws: Workspace,
  argv: string[],
  opts: { fileSizeLimitKiB?: number } = {},
): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> } {
  const tsx = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  const cmd = [process.execPath, '--import', tsx, path.join(REPO_ROOT, 'cmd', 'airlift.ts'), ...argv];
  // A file size limit: SIGXFSZ ignored (inherited through exec), so writes past it fail with EFBIG.
  const [bin, ...args] =
    opts.fileSizeLimitKiB === undefined ? cmd : ['bash', '-c', `trap '' XFSZ; ulimit -f ${opts.fileSizeLimitKiB}; exec "$@"`, 'airlift-limited', ...cmd];
  const child = spawn(bin!, args, {
    cwd: ws.dir,
    env: ws.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** `fixtures/alpha:1.0` etc. for the images of the layout. */
export function repoTag(img: GeneratedImage): string {
  return `${img.name}:${img.tag}`;
}

/** Asserts (with skopeo) that every image sits at `reg/prefix/name:tag` with its source digest; returns the mismatches. */
export async function digestMismatches(reg: StartedRegistry, prefix: string, images: GeneratedImage[]): Promise<string[]> {
  const bad: string[] = [];
  for (const img of images) {
    const at = `${prefix ? `${prefix}/` : ''}${repoTag(img)}`;
    try {
      const d = await skopeoInspectDigest(reg, at);
      if (d !== img.digest) bad.push(`${at}: ${d} != ${img.digest}`);
    } catch (err) {
      bad.push(`${at}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return bad;
}

/** index.json and the sha256 of every member of a tar, read with tar-stream (not airlift's reader). */
async function readTar(file: string): Promise<{ index: { manifests: Array<{ mediaType: string; digest: string; annotations?: Record<string, string> }> }; hashes: Map<string, string> }> {
  const ex = tarStream.extract();
  const hashes = new Map<string, string>();
  let index = '';
  ex.on('entry', (header, stream, next) => {
    const h = createHash('sha256');
    const name = header.name.replace(/^\.\//, '');
    stream.on('data', (data: unknown) => {
      const c = data as Buffer;
      h.update(c);
      if (name === 'index.json') index += c.toString('utf8');
    });
    stream.on('end', () => {
      hashes.set(name, h.digest('hex'));
      next();
    });
  });
  await pipeline(createReadStream(file), ex);
  return { index: JSON.parse(index) as { manifests: Array<{ mediaType: string; digest: string; annotations?: Record<string, string> }> }, hashes };
}

/**
 * Digest of the manifest stored under `ref` in an oci-archive bundle: read by
 * skopeo for OCI media types; for Docker media types (which skopeo 1.9's oci
 * transports do not list) from index.json with tar-stream, checking that the
 * manifest blob is in the tar and hashes to its name.
 */
export async function bundleDigest(bundle: string, ref: string): Promise<string> {
  const { index, hashes } = await readTar(bundle);
  const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === ref);
  if (!entry) throw new Error(`${bundle}: no index.json entry named ${ref}`);
  if (entry.mediaType.startsWith('application/vnd.oci.')) {
    const { stdout } = await skopeo(['inspect', '--raw', `oci-archive:${bundle}:${ref}`]);
    return sha256Digest(stdout);
  }
  const hex = entry.digest.replace(/^sha256:/, '');
  const stored = hashes.get(`blobs/sha256/${hex}`);
  if (stored !== hex) throw new Error(`${bundle}: blob of ${ref} is ${stored === undefined ? 'missing' : `sha256:${stored}`}`);
  return entry.digest;
}

/** Status of `HEAD /v2/<repo>/manifests/<reference>` at the registry itself (with its credentials). */
export function manifestStatus(reg: StartedRegistry, repo: string, reference: string): Promise<number> {
  return headStatus(reg, `/v2/${repo}/manifests/${reference}`);
}

/** Status of `HEAD /v2/<repo>/blobs/<digest>` at the registry itself. */
export function blobStatus(reg: StartedRegistry, repo: string, digest: string): Promise<number> {
  return headStatus(reg, `/v2/${repo}/blobs/${digest}`);
}

function headStatus(reg: StartedRegistry, p: string): Promise<number> {
  const u = new URL(p, reg.url);
  const headers: Record<string, string> = {
    accept: [
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.oci.image.manifest.v1+json',
      'application/vnd.docker.distribution.manifest.list.v2+json',
      'application/vnd.docker.distribution.manifest.v2+json',
    ].join(', '),
  };
  if (reg.mode === 'tls-basic') headers.authorization = `Basic ${Buffer.from(`${reg.username}:${reg.password}`).toString('base64')}`;
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(u, { method: 'HEAD', headers, agent: false, ...(reg.caFile ? { ca: readFileSync(reg.caFile) } : {}) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Every repository the registry holds (catalog, plain or tls-basic). */
export async function catalog(reg: StartedRegistry): Promise<string[]> {
  const u = new URL('/v2/_catalog?n=1000', reg.url);
  const headers: Record<string, string> = {};
  if (reg.mode === 'tls-basic') headers.authorization = `Basic ${Buffer.from(`${reg.username}:${reg.password}`).toString('base64')}`;
  const mod = u.protocol === 'https:' ? https : http;
  const body = await new Promise<string>((resolve, reject) => {
    const req = mod.request(u, { headers, agent: false, ...(reg.caFile ? { ca: readFileSync(reg.caFile) } : {}) }, (res) => {
      let b = '';
      res.on('data', (c: Buffer) => (b += c.toString('utf8')));
      res.on('end', () => resolve(b));
    });
    req.on('error', reject);
    req.end();
  });
  return (JSON.parse(body) as { repositories?: string[] }).repositories ?? [];
}
