/**
 * Trap 4 of issue #17: failures say what to do, once. Missing credentials and refused ones are
 * different messages; a host that blocks many images is named once, with how many it blocked; a
 * failed save says its staging directory was kept and how to resume or remove it.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/io.js';
import { useRegistry } from '../../harness/use-registry.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-failures-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('credentials: none stored vs refused (TLS + htpasswd registry)', () => {
  const reg = useRegistry('tls-basic');

  it('none stored: says so, where it looked, and how to store them', async () => {
    const r = reg();
    const cfg = path.join(dir, 'empty-docker');
    const res = await runCli(['--ca-file', r.caFile!, 'copy', `docker://${r.host}/team/app:1`, `oci:${path.join(dir, 'l1')}`], { env: { DOCKER_CONFIG: cfg, HOME: dir } });
    expect(res.code, res.stderr).toBe(4);
    expect(res.stderr).toContain(`no credentials stored for ${r.host} (looked in `);
    expect(res.stderr).toContain(path.join(cfg, 'config.json'));
    expect(res.stderr).toMatch(new RegExp(`hint: store them with airlift login ${r.host.replace(/\./g, '\\.')} -u USER`));
    expect(res.stderr).not.toMatch(/refused/);
  });

  it('stored but wrong: "credentials for HOST refused", naming where they came from', async () => {
    const r = reg();
    const cfg = path.join(dir, 'wrong-docker');
    await mkdir(cfg, { recursive: true });
    await writeFile(path.join(cfg, 'config.json'), JSON.stringify({ auths: { [r.host]: { auth: Buffer.from(`${r.username}:not-the-password`).toString('base64') } } }));
    const res = await runCli(['--ca-file', r.caFile!, 'copy', `docker://${r.host}/team/app:1`, `oci:${path.join(dir, 'l2')}`], { env: { DOCKER_CONFIG: cfg, HOME: dir } });
    expect(res.code, res.stderr).toBe(4);
    expect(res.stderr).toContain(`credentials for ${r.host} refused`);
    expect(res.stderr).toContain(path.join(cfg, 'config.json'));
    expect(res.stderr).toMatch(/wrong or expired/);
    expect(res.stderr).not.toMatch(/no credentials stored/);
    expect(res.stderr).not.toContain('not-the-password');
  });
});

describe('a host that blocks many images', () => {
  it('is named once with how many images it blocked; the save says its staging directory was kept and how to resume or remove it', async () => {
    const out = path.join(dir, 'blocked.tar');
    const images = ['a/one:1', 'a/two:1', 'a/three:1', 'a/four:1'].flatMap((i) => ['--image', `127.0.0.1:9/${i}`]);
    const res = await runCli(['save', ...images, '-o', out]);
    expect(res.code, res.stderr).toBe(7);
    const error = res.stderr.slice(res.stderr.indexOf('error ['));
    expect(error).toMatch(/^error \[E_NETWORK\]: 4 of 4 images could not be saved:\n  127\.0\.0\.1:9 blocked 4 images \(127\.0\.0\.1:9\/a\/four:1, 127\.0\.0\.1:9\/a\/one:1, 127\.0\.0\.1:9\/a\/three:1, … \(1 more\)\): 127\.0\.0\.1:9 failed over HTTPS and over plain HTTP \(a loopback host is tried with both\): HTTPS: cannot reach 127\.0\.0\.1:9: .*; plain HTTP: cannot reach 127\.0\.0\.1:9: /);
    // said once (both attempts at the host), not once per image
    expect(error.match(/failed over HTTPS and over plain HTTP/g)).toHaveLength(1);
    expect(error.match(/cannot reach/g)).toHaveLength(2);
    const staging = `${out}.airlift-staging`;
    expect(existsSync(out)).toBe(false);
    expect(existsSync(staging)).toBe(true);
    expect(error).toContain(`no bundle was written at ${out}; what was fetched stays in ${staging}: run the same save again to resume, or remove it with rm -r ${staging}`);
  }, 30_000);
});
