/**
 * `save --include-self`: the release files (as SHA256SUMS lists them) go into the bundle under
 * airlift/, executables with mode 0755; the lock lists them with sha256 and size; verify re-hashes
 * them and load leaves them alone. GNU tar reads the bundle; sha256sum checks the extracted files.
 * The release directory here holds small stand-in files: test/integration/release runs the real
 * ones (and carries a real executable through a bundle).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLayout, presetTiny, seedRegistry } from '../../../fixtures/images/generate.js';
import { startRegistry, type StartedRegistry } from '../../harness/registry.js';
import { runCli } from '../../helpers/io.js';
import { sha256Hex as hex } from '../../helpers/digest.js';

let src: StartedRegistry;
let dst: StartedRegistry;
let tmp: string;
let release: string;
const files: Record<string, string> = {
  'airlift.mjs': '#!/usr/bin/env node\nconsole.log("airlift stand-in");\n',
  'airlift-linux-x64': '\x7fELF stand-in x64\n',
  'airlift-linux-arm64': '\x7fELF stand-in arm64\n',
};

async function writeRelease(dir: string, contents: Record<string, string>, sums: Record<string, string> = contents): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(contents)) await writeFile(path.join(dir, name), text, { mode: 0o755 });
  await writeFile(path.join(dir, 'SHA256SUMS'), Object.entries(sums).map(([n, t]) => `${hex(t)}  ${n}\n`).join(''));
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'airlift-include-self-'));
  [src, dst] = await Promise.all([startRegistry({ mode: 'plain' }), startRegistry({ mode: 'plain' })]);
  const layout = await generateLayout(path.join(tmp, 'layout'), presetTiny());
  await seedRegistry(layout.dir, src, layout.images);
  release = path.join(tmp, 'release');
  await writeRelease(release, files);
}, 120_000);
afterAll(async () => {
  await Promise.all([src?.stop(), dst?.stop()]);
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('save --include-self', () => {
  const plain = (): string[] => ['--plain-http', src.host, '--plain-http', dst.host];

  it('puts the release files under airlift/ (0755), lists them in the lock; verify and load accept the bundle', async () => {
    const bundle = path.join(tmp, 'self.tar');
    const saved = await runCli([...plain(), 'save', '--image', `${src.host}/fixtures/alpha:1.0`, '--include-self', '-o', bundle], { env: { AIRLIFT_RELEASE_DIR: release } });
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stderr).toContain('airlift itself (airlift/airlift.mjs, airlift/airlift-linux-x64, airlift/airlift-linux-arm64, airlift/SHA256SUMS)');

    const listing = spawnSync('tar', ['-tvf', bundle], { encoding: 'utf8' }).stdout.split('\n');
    const mode = (name: string): string | undefined => listing.find((l) => l.endsWith(` ${name}`))?.split(' ')[0];
    expect(mode('airlift/airlift.mjs')).toBe('-rwxr-xr-x');
    expect(mode('airlift/airlift-linux-x64')).toBe('-rwxr-xr-x');
    expect(mode('airlift/airlift-linux-arm64')).toBe('-rwxr-xr-x');
    expect(mode('airlift/SHA256SUMS')).toBe('-rw-r--r--');

    const out = path.join(tmp, 'extracted');
    await mkdir(out);
    expect(spawnSync('tar', ['-xf', bundle, '-C', out, 'airlift/']).status).toBe(0);
    const sums = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: path.join(out, 'airlift'), encoding: 'utf8' });
    expect(sums.stdout).toBe('airlift.mjs: OK\nairlift-linux-x64: OK\nairlift-linux-arm64: OK\n');

    const lock = JSON.parse(spawnSync('tar', ['-xOf', bundle, 'airlift.lock.json'], { encoding: 'utf8' }).stdout) as { files: Array<{ file: string; digest: string; size: number }> };
    const sumsText = await readFile(path.join(release, 'SHA256SUMS'));
    expect(lock.files).toEqual([
      { file: 'airlift/SHA256SUMS', digest: `sha256:${hex(sumsText)}`, size: sumsText.length },
      { file: 'airlift/airlift-linux-arm64', digest: `sha256:${hex(files['airlift-linux-arm64']!)}`, size: Buffer.byteLength(files['airlift-linux-arm64']!) },
      { file: 'airlift/airlift-linux-x64', digest: `sha256:${hex(files['airlift-linux-x64']!)}`, size: Buffer.byteLength(files['airlift-linux-x64']!) },
      { file: 'airlift/airlift.mjs', digest: `sha256:${hex(files['airlift.mjs']!)}`, size: Buffer.byteLength(files['airlift.mjs']!) },
    ]);

    const verified = await runCli(['verify', bundle]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stderr).toContain('4 other files');
    const loaded = await runCli([...plain(), 'load', bundle, '--to', `${dst.host}/self`]);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stdout).not.toContain('airlift/');
    expect(loaded.stderr).toContain(`${bundle} also carries airlift/SHA256SUMS, airlift/airlift-linux-arm64, airlift/airlift-linux-x64, airlift/airlift.mjs: not pushed`);
    const catalog = (await (await fetch(`http://${dst.host}/v2/_catalog`)).json()) as { repositories: string[] };
    expect(catalog.repositories.filter((r) => r.startsWith('self/'))).toEqual(['self/fixtures/alpha']);
  });

  it('verify names a carried file whose bytes changed (exit 6)', async () => {
    const bundle = path.join(tmp, 'self.tar');
    const bytes = await readFile(bundle);
    const at = bytes.indexOf('airlift stand-in');
    expect(at).toBeGreaterThan(0);
    bytes.write('AIRLIFT', at, 'latin1');
    const damaged = path.join(tmp, 'damaged.tar');
    await writeFile(damaged, bytes);
    const r = await runCli(['verify', damaged]);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toContain(`file airlift/airlift.mjs: expected sha256:${hex(files['airlift.mjs']!)}`);
  });

  it('fails before fetching anything, writing nothing, when the release files are missing or do not match SHA256SUMS', async () => {
    const out = path.join(tmp, 'none.tar');
    const empty = path.join(tmp, 'no-release');
    await mkdir(empty);
    const missing = await runCli([...plain(), 'save', '--image', `${src.host}/fixtures/alpha:1.0`, '--include-self', '-o', out], { env: { AIRLIFT_RELEASE_DIR: empty } });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain(`--include-self: no release files at ${empty} (SHA256SUMS is missing)`);
    expect(missing.stderr).toContain('npm run release');

    const changed = path.join(tmp, 'changed-release');
    await writeRelease(changed, { ...files, 'airlift-linux-x64': 'changed since the sums were written\n' }, files);
    const mismatch = await runCli([...plain(), 'save', '--image', `${src.host}/fixtures/alpha:1.0`, '--include-self', '-o', out], { env: { AIRLIFT_RELEASE_DIR: changed } });
    expect(mismatch.code).toBe(6);
    expect(mismatch.stderr).toContain(`--include-self: ${path.join(changed, 'airlift-linux-x64')}: expected sha256:${hex(files['airlift-linux-x64']!)}`);

    const noScript = path.join(tmp, 'no-script');
    await writeRelease(noScript, { 'airlift-linux-x64': files['airlift-linux-x64']! });
    const r = await runCli([...plain(), 'save', '--image', `${src.host}/fixtures/alpha:1.0`, '--include-self', '-o', out], { env: { AIRLIFT_RELEASE_DIR: noScript } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('does not list airlift.mjs');
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.airlift-staging`)).toBe(false);
  });

  it('with --shard, the release files go into shard 0 only, as the charts do', async () => {
    const images = ['alpha:1.0', 'beta:2.1', 'gamma:3.0'].flatMap((i) => ['--image', `${src.host}/fixtures/${i}`]);
    const listed: string[][] = [];
    for (const i of [0, 1]) {
      const out = path.join(tmp, `shard-${i}.tar`);
      const r = await runCli([...plain(), 'save', ...images, '--shard', `${i}/2`, '--include-self', '-o', out], { env: { AIRLIFT_RELEASE_DIR: release } });
      expect(r.code, r.stderr).toBe(0);
      listed.push(spawnSync('tar', ['-tf', out], { encoding: 'utf8' }).stdout.split('\n').filter((n) => n.startsWith('airlift/')));
      expect((await runCli(['verify', out])).code).toBe(0);
    }
    expect(listed[0]).toEqual(['airlift/', 'airlift/SHA256SUMS', 'airlift/airlift-linux-arm64', 'airlift/airlift-linux-x64', 'airlift/airlift.mjs']);
    expect(listed[1]).toEqual([]);
  });

  it('takes exactly the files SHA256SUMS lists: airlift.mjs alone makes a small bundle', async () => {
    const small = path.join(tmp, 'mjs-only');
    await writeRelease(small, { 'airlift.mjs': files['airlift.mjs']! });
    await writeFile(path.join(small, 'airlift-linux-x64'), 'not listed, not taken\n');
    const out = path.join(tmp, 'small.tar');
    const r = await runCli([...plain(), 'save', '--image', `${src.host}/fixtures/alpha:1.0`, '--include-self', '-o', out], { env: { AIRLIFT_RELEASE_DIR: small } });
    expect(r.code, r.stderr).toBe(0);
    expect(spawnSync('tar', ['-tf', out], { encoding: 'utf8' }).stdout.split('\n').filter((n) => n.startsWith('airlift/'))).toEqual(['airlift/', 'airlift/SHA256SUMS', 'airlift/airlift.mjs']);
  });
});
