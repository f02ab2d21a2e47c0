/**
 * Trap 5 of issue #17: `login` without --password-stdin asks for the password on a terminal, with
 * no echo, as docker, helm and skopeo do (it used to fail with "no password given"). A real
 * pseudo-terminal (util-linux script), the built CLI, and the TLS + htpasswd registry.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInPty } from '../../harness/pty.js';
import { useRegistry } from '../../harness/use-registry.js';

const BIN = path.resolve(import.meta.dirname, '../../../dist/cmd/airlift.js');

describe('airlift login on a terminal', () => {
  const reg = useRegistry('tls-basic');
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-login-prompt-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('asks for the password, does not echo it, checks it and stores it', async () => {
    const r = reg();
    const cfgDir = path.join(dir, 'ok');
    const run = runInPty([process.execPath, BIN, '--ca-file', r.caFile!, 'login', r.host, '-u', r.username!], { cols: 80, env: { ...process.env, DOCKER_CONFIG: cfgDir } });
    await run.waitFor(new RegExp(`Password for ${r.username}@${r.host.replace(/\./g, '\\.')}: `));
    // a typo corrected with backspace, as a person would
    run.type(`${r.password!}x\u007f\r`);
    expect(await run.exit, run.output()).toBe(0);
    expect(run.output()).toMatch(/Login succeeded/);
    expect(run.output()).not.toContain(r.password!);
    const cfg = JSON.parse(await readFile(path.join(cfgDir, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    expect(Buffer.from(cfg.auths[r.host]!.auth, 'base64').toString()).toBe(`${r.username}:${r.password}`);
  }, 30_000);

  it('a wrong password typed is refused (exit 4); Ctrl-C at the prompt stops with 130; neither stores anything', async () => {
    const r = reg();
    const cfgDir = path.join(dir, 'bad');
    const env = { ...process.env, DOCKER_CONFIG: cfgDir };
    const wrong = runInPty([process.execPath, BIN, '--ca-file', r.caFile!, 'login', r.host, '-u', r.username!], { cols: 80, env });
    await wrong.waitFor(/Password for /);
    wrong.type('not-the-password\r');
    expect(await wrong.exit, wrong.output()).toBe(4);
    expect(wrong.output()).not.toContain('not-the-password');
    const stopped = runInPty([process.execPath, BIN, '--ca-file', r.caFile!, 'login', r.host, '-u', r.username!], { cols: 80, env });
    await stopped.waitFor(/Password for /);
    stopped.type('abc\u0003');
    expect(await stopped.exit, stopped.output()).toBe(130);
    await expect(readFile(path.join(cfgDir, 'config.json'), 'utf8')).rejects.toThrow();
  }, 30_000);
});
