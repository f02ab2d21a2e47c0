import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../../src/registry/index.js';
import { runCli } from '../../helpers/io.js';
import { useRegistry } from '../../harness/use-registry.js';
import { makeImage } from './image.js';

describe('airlift login / logout against the TLS + htpasswd registry', () => {
  const reg = useRegistry('tls-basic');
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-login-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies the password, writes docker config (0600, other keys kept), and the client then uses it', async () => {
    const r = reg();
    const cfgDir = path.join(dir, 'docker');
    const file = path.join(cfgDir, 'config.json');
    await runCli(['logout', r.host], { env: { DOCKER_CONFIG: cfgDir } });
    await mkdir(cfgDir, { recursive: true });
    await writeFile(file, JSON.stringify({ auths: { 'other.example:5000': { auth: 'eDp5' } }, psFormat: 'table' }));

    const res = await runCli(['--ca-file', r.caFile!, 'login', r.host, '-u', r.username!, '--password-stdin'], {
      env: { DOCKER_CONFIG: cfgDir },
      stdin: `${r.password}\n`,
    });
    expect(res.stderr).toMatch(/Login succeeded/);
    expect(res.code).toBe(0);
    expect(res.stderr).not.toContain(r.password!);
    const cfg = JSON.parse(await readFile(file, 'utf8')) as { auths: Record<string, { auth: string }>; psFormat: string };
    expect(cfg.psFormat).toBe('table');
    expect(cfg.auths['other.example:5000']).toEqual({ auth: 'eDp5' });
    expect(Buffer.from(cfg.auths[r.host]!.auth, 'base64').toString()).toBe(`${r.username}:${r.password}`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    // the client reads the stored credentials from DOCKER_CONFIG
    const c = createRegistryClient({ env: { DOCKER_CONFIG: cfgDir }, caFiles: [r.caFile!], certsDirs: [] });
    try {
      const img = makeImage(1000);
      await c.putBlob(r.host, 'login/app', img.config.desc, Readable.from([img.config.bytes]));
      expect(await c.headBlob(r.host, 'login/app', img.config.desc.digest)).toEqual({ size: img.config.desc.size });
    } finally {
      await c.close();
    }

    const out = await runCli(['logout', r.host], { env: { DOCKER_CONFIG: cfgDir } });
    expect(out.code).toBe(0);
    const after = JSON.parse(await readFile(file, 'utf8')) as { auths: Record<string, unknown> };
    expect(after.auths[r.host]).toBeUndefined();
    expect(after.auths['other.example:5000']).toBeDefined();
  });

  it('refuses a wrong password with exit code 4 and writes nothing', async () => {
    const r = reg();
    const cfgDir = path.join(dir, 'wrong');
    const res = await runCli(['--ca-file', r.caFile!, 'login', r.host, '-u', r.username!, '--password-stdin'], {
      env: { DOCKER_CONFIG: cfgDir },
      stdin: 'wrong-password-xyz\n',
    });
    expect(res.code).toBe(4);
    expect(res.stderr).not.toContain('wrong-password-xyz');
    await expect(stat(path.join(cfgDir, 'config.json'))).rejects.toThrow();
  });

  it('warns about -p and still logs in', async () => {
    const r = reg();
    const cfgDir = path.join(dir, 'dash-p');
    const res = await runCli(['--ca-file', r.caFile!, 'login', r.host, '-u', r.username!, '-p', r.password!], { env: { DOCKER_CONFIG: cfgDir } });
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/--password-stdin/);
  });

  it('asks for a password when none is given (usage error)', async () => {
    const r = reg();
    const res = await runCli(['login', r.host, '-u', 'someone'], { env: { DOCKER_CONFIG: path.join(dir, 'none') } });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--password-stdin/);
  });
});

describe('airlift login against the token-auth registry', () => {
  const reg = useRegistry('token');
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-login-token-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('checks the credentials with a bearer token and refuses wrong ones', async () => {
    const r = reg();
    const good = await runCli(['login', r.host, '-u', r.username!, '--password-stdin'], { env: { DOCKER_CONFIG: dir }, stdin: r.password! });
    expect(good.code).toBe(0);
    const bad = await runCli(['login', r.host, '-u', r.username!, '--password-stdin'], { env: { DOCKER_CONFIG: path.join(dir, 'x') }, stdin: 'nope-nope' });
    expect(bad.code).toBe(4);
    const c = createRegistryClient({ env: { DOCKER_CONFIG: dir } });
    try {
      expect(await c.headManifest(r.host, 'login/none', 'v1')).toBeUndefined();
    } finally {
      await c.close();
    }
  });
});
