/**
 * --ca-file and --auth-from-secret name files read only when a registry is first contacted: a path
 * that names no file is an error before any work, naming the flag (before: `images` of a local chart
 * went on and exited 0 with a missing Secret; with a loopback registry the missing CA file was
 * buried in a "failed over HTTPS and over plain HTTP" message whose hint said to check the registry).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/io.js';

const chart = path.resolve(import.meta.dirname, '../../../fixtures/charts/example-shop');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-global-files-'));
  await mkdir(path.join(dir, 'adir'));
  await writeFile(path.join(dir, 'secret.yaml'), 'apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: eyJhdXRocyI6e319\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('files named by global flags', () => {
  it('a missing or directory --auth-from-secret / --ca-file is E_INPUT (exit 3) naming the flag, before the command runs', async () => {
    const cases: Array<[string[], string]> = [
      [['--auth-from-secret', 'nosuch.yaml', 'images', chart], '--auth-from-secret nosuch.yaml does not exist'],
      [['images', chart, '--auth-from-secret', 'adir'], '--auth-from-secret adir is a directory'],
      [['--ca-file', 'nosuch.pem', 'verify', 'in.tar', '--to', '127.0.0.1:1'], '--ca-file nosuch.pem does not exist'],
      [['--ca-file', 'adir', 'lock', 'merge', 'a.json'], '--ca-file adir is a directory'],
    ];
    for (const [argv, message] of cases) {
      const r = await runCli(argv, { cwd: dir });
      expect(r.code, argv.join(' ')).toBe(3);
      expect(r.stdout, argv.join(' ')).toBe('');
      expect(r.stderr, argv.join(' ')).toContain(`error [E_INPUT]: ${message}`);
    }
  });

  it('a file that exists passes (relative to the working directory); help needs none', async () => {
    const ok = await runCli(['--auth-from-secret', 'secret.yaml', 'images', chart, '-o', 'list'], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).not.toBe('');
    const help = await runCli(['--ca-file', 'nosuch.pem', 'images', '--help'], { cwd: dir });
    expect(help.code).toBe(0);
  });
});
