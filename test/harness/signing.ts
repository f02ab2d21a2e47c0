/**
 * The real `cosign` (v2.6.5) and `oras` (v1.3.6) that scripts/go-tools.sh builds, against harness
 * registries on loopback: key pairs, signatures, attestations, referrers attached, and their
 * listings, as independent judges of what airlift carries with images. Plain-HTTP registries only
 * (the mirror tests' pairs). Each call throws with the tool's stderr when it exits non-zero.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { toolBinary } from './tools.js';

export interface ToolRun {
  stdout: string;
  stderr: string;
}

/** Runs a pinned tool; `home` keeps its caches (cosign's TUF root, oras' config) out of the user's. */
export function runTool(name: 'cosign' | 'oras' | 'crane', args: string[], o: { home: string; env?: Record<string, string>; timeoutMs?: number; cwd?: string }): Promise<ToolRun> {
  const bin = toolBinary(name);
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      args,
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: o.home, DOCKER_CONFIG: path.join(o.home, '.docker'), TUF_ROOT: path.join(o.home, '.sigstore'), COSIGN_PASSWORD: '', ...o.env },
        timeout: o.timeoutMs ?? 120_000,
        ...(o.cwd ? { cwd: o.cwd } : {}),
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${name} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        else resolve({ stdout, stderr });
      },
    );
  });
}

export interface Signer {
  home: string;
  key: string;
  pub: string;
  /** cosign sign --key (no transparency log); `recursive` signs an index and each of its manifests. */
  sign(ref: string, o?: { recursive?: boolean }): Promise<void>;
  /** cosign attest --type spdxjson with a small SPDX predicate. */
  attest(ref: string): Promise<void>;
  /** cosign verify --key against `ref`; resolves with cosign's stdout (the verified payloads). */
  verify(ref: string): Promise<string>;
  /** oras attach: a referrer of `artifactType` holding one file; resolves with its manifest digest. */
  attach(ref: string, artifactType: string, content: string): Promise<string>;
  /** oras discover: the descriptors of the referrers of `ref` (the registry's API or the fallback tag). */
  discover(ref: string): Promise<Array<{ digest: string; artifactType?: string }>>;
  /** oras resolve: the digest a reference has. */
  resolve(ref: string): Promise<string>;
  /** oras manifest fetch: the manifest's exact bytes. */
  manifest(ref: string): Promise<Buffer>;
  /** crane ls: the tags of a repository. */
  tags(repo: string): Promise<string[]>;
}

/** A cosign key pair (empty password) in `home`, and the cosign/oras/crane calls that use it. */
export async function makeSigner(home: string): Promise<Signer> {
  await mkdir(home, { recursive: true });
  const run = (name: 'cosign' | 'oras' | 'crane', args: string[]) => runTool(name, args, { home });
  await runTool('cosign', ['generate-key-pair', '--output-key-prefix', path.join(home, 'cosign')], { home });
  const key = path.join(home, 'cosign.key');
  const pub = path.join(home, 'cosign.pub');
  let n = 0;
  const file = async (name: string, content: string): Promise<string> => {
    const dir = path.join(home, `f${n++}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, name), content);
    return dir;
  };
  return {
    home,
    key,
    pub,
    async sign(ref, o = {}) {
      await run('cosign', ['sign', '--key', key, '--tlog-upload=false', '--allow-http-registry', '--allow-insecure-registry', '--yes', ...(o.recursive ? ['--recursive'] : []), ref]);
    },
    async attest(ref) {
      const predicate = path.join(await file('sbom.spdx.json', JSON.stringify({ spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: ref, dataLicense: 'CC0-1.0', packages: [] })), 'sbom.spdx.json');
      await run('cosign', ['attest', '--key', key, '--type', 'spdxjson', '--predicate', predicate, '--tlog-upload=false', '--allow-http-registry', '--allow-insecure-registry', '--yes', ref]);
    },
    async verify(ref) {
      return (await run('cosign', ['verify', '--key', pub, '--insecure-ignore-tlog=true', '--allow-http-registry', '--allow-insecure-registry', ref])).stdout;
    },
    async attach(ref, artifactType, content) {
      // oras names the layer after the path it is given: relative, in its working directory
      const dir = await file('sbom.json', content);
      const r = await runTool('oras', ['attach', '--plain-http', '--artifact-type', artifactType, '--format', 'json', ref, 'sbom.json'], { home, cwd: dir });
      return (JSON.parse(r.stdout) as { digest: string }).digest;
    },
    async discover(ref) {
      const r = await run('oras', ['discover', '--plain-http', '--format', 'json', ref]);
      const j = JSON.parse(r.stdout) as { referrers?: Array<{ digest: string; artifactType?: string }>; manifests?: Array<{ digest: string; artifactType?: string }> };
      return (j.referrers ?? j.manifests ?? []).map((d) => ({ digest: d.digest, ...(d.artifactType ? { artifactType: d.artifactType } : {}) }));
    },
    async resolve(ref) {
      return (await run('oras', ['resolve', '--plain-http', ref])).stdout.trim();
    },
    async manifest(ref) {
      const r = await run('oras', ['manifest', 'fetch', '--plain-http', ref]);
      return Buffer.from(r.stdout, 'utf8');
    },
    async tags(repo) {
      return (await run('crane', ['ls', '--insecure', repo])).stdout.split('\n').filter(Boolean);
    },
  };
}
