/**
 * Per-registry TLS settings from registries.yaml (AIRLIFT_REGISTRIES_CONFIG)
 * against the real TLS + htpasswd docker-registry, through `airlift login`
 * (which builds its client like every registry command).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/io.js';
import { useRegistry } from '../../harness/use-registry.js';

describe('per-registry caFile / insecureSkipTlsVerify in registries.yaml', () => {
  const reg = useRegistry('tls-basic');
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-perreg-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function login(config: string | undefined): Promise<{ code: number; stderr: string }> {
    const r = reg();
    const env: Record<string, string> = { DOCKER_CONFIG: path.join(dir, 'docker'), XDG_CONFIG_HOME: path.join(dir, 'xdg') };
    if (config !== undefined) {
      const file = path.join(dir, `registries-${Math.random().toString(36).slice(2)}.yaml`);
      await writeFile(file, config);
      env.AIRLIFT_REGISTRIES_CONFIG = file;
    }
    return runCli(['login', r.host, '-u', r.username!, '--password-stdin'], { env, stdin: `${r.password}\n` });
  }

  it('without settings the generated CA is not trusted (exit 7, hint names --ca-file)', async () => {
    const res = await login(undefined);
    expect(res.code).toBe(7);
    expect(res.stderr).toMatch(/--ca-file/);
  });

  it('caFile for this registry makes it trusted; for another registry it does not', async () => {
    const r = reg();
    const ok = await login(`registries:\n  ${JSON.stringify(r.host)}:\n    caFile: ${JSON.stringify(r.caFile)}\n`);
    expect(ok.stderr).toMatch(/Login succeeded/);
    expect(ok.code).toBe(0);
    const other = await login(`registries:\n  "other.example:5000":\n    caFile: ${JSON.stringify(r.caFile)}\n`);
    expect(other.code).toBe(7);
  });

  it('insecureSkipTlsVerify for this registry skips verification; for another registry it does not', async () => {
    const r = reg();
    const ok = await login(`registries:\n  ${JSON.stringify(r.host)}:\n    insecureSkipTlsVerify: true\n`);
    expect(ok.code).toBe(0);
    const other = await login(`registries:\n  "other.example:5000":\n    insecureSkipTlsVerify: true\n`);
    expect(other.code).toBe(7);
  });

  it('a malformed registries.yaml is exit 3 naming the file and field', async () => {
    const res = await login('registries:\n  "m:5000": {plainHttp: maybe}\n');
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/registries-[a-z0-9]+\.yaml: registries\.m:5000\.plainHttp: expected true or false/);
  });
});
