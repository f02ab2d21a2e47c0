/**
 * `npm run release` from the sources: the one-file airlift.mjs and the single executables run the
 * whole example (save, verify, login, load, verify --to, relocate, scan back) against real registries
 * on loopback, as they would where there is no npm: airlift.mjs under a bare Node with an empty
 * NODE_PATH in a directory with no node_modules, the executable with no Node on PATH. sha256sum
 * judges SHA256SUMS. The arm64 executable runs the example too, under qemu-user (~2 min).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateLayout, presetTiny, seedRegistry } from '../../../fixtures/images/generate.js';
import { startRegistry } from '../../harness/registry.js';

const root = path.resolve(import.meta.dirname, '../../..');
const SEA_FUSE_INJECTED = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1';
let tmp: string;
let out: string;

/** A fresh directory where no parent holds a node_modules (module resolution walks up the parents). */
function bareDir(name: string): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir);
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'node_modules'))) throw new Error(`${d} holds a node_modules: the release tests need a temp dir outside any package`);
    if (path.dirname(d) === d) break;
  }
  return dir;
}

function runExample(cli: string, env: Record<string, string>, timeout = 150_000): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/example.ts'], {
    cwd: root,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, AIRLIFT_EXAMPLE_CLI: cli, AIRLIFT_EXAMPLE_WORK: path.join(tmp, `work-${path.basename(cli)}`), ...env },
  });
}

function expectExampleDone(r: { status: number | null; stdout: string; stderr: string }): void {
  expect(r.stderr).toContain('example done: 4 images exported');
  expect(r.status).toBe(0);
  const mirrorRefs = r.stdout.split('\n').filter((l) => /^127\.0\.0\.1:\d+\/airgap\/fixtures\/\w+:[\w.]+@sha256:[0-9a-f]{64}$/.test(l));
  expect(mirrorRefs).toHaveLength(4);
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'airlift-release-test-'));
  out = path.join(tmp, 'release');
  const r = spawnSync(process.execPath, ['scripts/release.mjs'], { cwd: root, encoding: 'utf8', timeout: 540_000, env: { ...process.env, AIRLIFT_RELEASE_OUT: out } });
  if (r.status !== 0) throw new Error(`npm run release failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
}, 600_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('npm run release', () => {
  test('writes airlift.mjs, the x64 and arm64 executables and SHA256SUMS over them, which sha256sum accepts', () => {
    expect(readdirSync(out).sort()).toEqual(['SHA256SUMS', 'airlift-linux-arm64', 'airlift-linux-x64', 'airlift.mjs']);
    const sums = readFileSync(path.join(out, 'SHA256SUMS'), 'utf8');
    expect(sums.trim().split('\n').map((l) => l.split('  ')[1])).toEqual(['airlift.mjs', 'airlift-linux-x64', 'airlift-linux-arm64']);
    const check = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out, encoding: 'utf8' });
    expect(check.stdout).toBe('airlift.mjs: OK\nairlift-linux-x64: OK\nairlift-linux-arm64: OK\n');
    expect(check.status).toBe(0);
  });

  test('airlift.mjs under a bare Node, with no node_modules: --version, and --help (which loads every command)', () => {
    const dir = bareDir('version');
    copyFileSync(path.join(out, 'airlift.mjs'), path.join(dir, 'airlift.mjs'));
    const env = { PATH: '/usr/bin:/bin', HOME: dir, NODE_PATH: '' };
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    const version = spawnSync(process.execPath, ['airlift.mjs', '--version'], { cwd: dir, encoding: 'utf8', env });
    expect(version.stderr).toBe('');
    expect(version.stdout.trim()).toBe(pkg.version);
    const help = spawnSync(process.execPath, ['airlift.mjs', '--help'], { cwd: dir, encoding: 'utf8', env });
    expect(help.stderr).toBe('');
    for (const command of ['images', 'save', 'load', 'sync', 'copy', 'verify', 'serve', 'relocate', 'login', 'logout', 'lock']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(help.status).toBe(0);
    // save --include-self looks for the release files beside the running airlift.mjs (here: none)
    const self = spawnSync(process.execPath, ['airlift.mjs', 'save', '--image', '127.0.0.1:1/x:1', '--include-self', '-o', 'b.tar'], { cwd: dir, encoding: 'utf8', env });
    expect(self.stderr).toContain(`--include-self: no release files at ${dir} (SHA256SUMS is missing)`);
    expect(self.status).toBe(3);
    expect(existsSync(path.join(dir, 'b.tar'))).toBe(false);
  });

  test('airlift.mjs with a bare Node and an empty NODE_PATH, in a directory with no node_modules, runs the whole example', () => {
    const dir = bareDir('mjs');
    copyFileSync(path.join(out, 'airlift.mjs'), path.join(dir, 'airlift.mjs'));
    expectExampleDone(runExample(path.join(dir, 'airlift.mjs'), { AIRLIFT_EXAMPLE_NODE: process.execPath }));
  }, 200_000);

  test('airlift-linux-x64 with no Node on PATH runs the whole example', () => {
    const dir = bareDir('exe');
    const exe = path.join(dir, 'airlift');
    copyFileSync(path.join(out, 'airlift-linux-x64'), exe);
    spawnSync('chmod', ['+x', exe]);
    const emptyPath = bareDir('path');
    expect(spawnSync('sh', ['-c', 'command -v node'], { env: { PATH: emptyPath } }).status).not.toBe(0);
    expectExampleDone(runExample(exe, { AIRLIFT_EXAMPLE_PATH: emptyPath }));
  }, 200_000);

  test('airlift-linux-arm64 is an aarch64 ELF executable that, under qemu-user with no Node on PATH, runs the whole example', () => {
    const exe = path.join(out, 'airlift-linux-arm64');
    const bin = readFileSync(exe);
    expect(bin.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(bin.readUInt16LE(18)).toBe(183); // e_machine EM_AARCH64
    expect(bin.includes(SEA_FUSE_INJECTED)).toBe(true);
    const qemu = '/usr/bin/qemu-aarch64';
    const sysroot = '/usr/aarch64-linux-gnu';
    if (!existsSync(qemu) || !existsSync(path.join(sysroot, 'lib', 'libstdc++.so.6'))) {
      throw new Error(`${qemu} or the arm64 libraries are missing: run scripts/install-system-deps.sh (qemu-user libc6-arm64-cross libstdc++6-arm64-cross)`);
    }
    const emptyPath = bareDir('path-arm64');
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    const version = spawnSync(qemu, ['-L', sysroot, exe, '--version'], { encoding: 'utf8', env: { PATH: emptyPath }, timeout: 120_000 });
    expect(version.stdout.trim(), version.stderr).toBe(pkg.version);
    // the example runs one program: a two-line launcher that puts qemu in front (absolute paths, no PATH)
    const dir = bareDir('arm64');
    const launcher = path.join(dir, 'airlift');
    writeFileSync(launcher, `#!/bin/sh\nexec ${qemu} -L ${sysroot} ${exe} "$@"\n`, { mode: 0o755 });
    expectExampleDone(runExample(launcher, { AIRLIFT_EXAMPLE_PATH: emptyPath }, 400_000));
  }, 450_000);

  test('two steps: the executable saves a bundle --include-self; the airlift extracted from it loads the bundle, with no Node on PATH', async () => {
    const [src, dst] = await Promise.all([startRegistry({ mode: 'plain' }), startRegistry({ mode: 'plain' })]);
    try {
      const layout = await generateLayout(path.join(tmp, 'layout'), presetTiny());
      await seedRegistry(layout.dir, src, layout.images);
      const emptyPath = bareDir('path2');
      const env = { PATH: emptyPath, HOME: emptyPath };
      const plain = ['--plain-http', src.host, '--plain-http', dst.host];
      // the connected side: airlift as released (release files beside it)
      const bundle = path.join(tmp, 'two-step.tar');
      const save = spawnSync(path.join(out, 'airlift-linux-x64'), [...plain, 'save', '--image', `${src.host}/fixtures/alpha:1.0`, '--include-self', '-o', bundle], { encoding: 'utf8', env });
      expect(save.status, save.stderr).toBe(0);
      // the airgap: only the bundle arrives; GNU tar takes airlift out of it
      const side = bareDir('airgap');
      copyFileSync(bundle, path.join(side, 'bundle.tar'));
      expect(spawnSync('tar', ['-xf', 'bundle.tar', 'airlift/'], { cwd: side }).status).toBe(0);
      const sums = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: path.join(side, 'airlift'), encoding: 'utf8' });
      expect(sums.stdout).toBe('airlift.mjs: OK\nairlift-linux-x64: OK\nairlift-linux-arm64: OK\n');
      const load = spawnSync('./airlift/airlift-linux-x64', [...plain, 'load', 'bundle.tar', '--to', `${dst.host}/airgap`], { cwd: side, encoding: 'utf8', env });
      expect(load.status, load.stderr).toBe(0);
      const verify = spawnSync(process.execPath, ['airlift/airlift.mjs', ...plain, 'verify', 'bundle.tar', '--to', `${dst.host}/airgap`], { cwd: side, encoding: 'utf8', env: { ...env, NODE_PATH: '' } });
      expect(verify.status, verify.stderr).toBe(0);
      expect(verify.stdout).toMatch(new RegExp(`^ok +${src.host.replace(/\./g, '\\.')}/fixtures/alpha:1\\.0 +sha256:`, 'm'));
    } finally {
      await Promise.all([src.stop(), dst.stop()]);
    }
  }, 200_000);
});
