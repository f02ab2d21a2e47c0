/**
 * Real helm (the pinned build from scripts/go-tools.sh) as a judge, run in its own homes: each
 * `HelmHome` has its own config, cache and data directories (repositories.yaml, registry
 * credentials, the chart cache) under one directory, so no test reads or writes the user's helm
 * settings or another test's. Fails loudly when helm is missing (toolBinary).
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { helmBinary } from './tools.js';

const run = promisify(execFile);

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface HelmHome {
  dir: string;
  /** The environment helm runs with: HELM_CONFIG_HOME, HELM_CACHE_HOME, HELM_DATA_HOME under `dir`, no proxies. */
  env: NodeJS.ProcessEnv;
  /** Runs helm; resolves with its exit code and output (never throws for a non-zero exit). */
  run(args: string[], opts?: { cwd?: string }): Promise<HelmResult>;
  /** Runs helm and throws with its stderr when it fails; resolves with stdout. */
  ok(args: string[], opts?: { cwd?: string }): Promise<string>;
}

export async function helmHome(dir: string): Promise<HelmHome> {
  await mkdir(dir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    HELM_CONFIG_HOME: path.join(dir, 'config'),
    HELM_CACHE_HOME: path.join(dir, 'cache'),
    HELM_DATA_HOME: path.join(dir, 'data'),
    NO_PROXY: '*',
  };
  const exec = async (args: string[], opts: { cwd?: string } = {}): Promise<HelmResult> => {
    try {
      const r = await run(helmBinary(), args, { env, maxBuffer: 64 * 1024 * 1024, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const err = e as { code?: number | string; stdout?: string; stderr?: string };
      if (typeof err.code !== 'number') throw e;
      return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  };
  return {
    dir,
    env,
    run: exec,
    async ok(args, opts) {
      const r = await exec(args, opts);
      if (r.code !== 0) throw new Error(`helm ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return r.stdout;
    },
  };
}
