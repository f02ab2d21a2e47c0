/**
 * Split and compressed bundles (issue #21 items 2 and 3) on real registries: save --split-size
 * writes parts and a .parts file that load, verify, serve and copy read in place; a damaged or
 * missing part is named, and load pushes nothing; save --compress gzip writes a seekable bundle
 * that gunzip and tar also read; foreign .tar.gz / .tar.zst (gzip, zstd) are read forwards.
 * Digests are checked with skopeo.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedLayout } from '../../../fixtures/images/generate.js';
import { nodeHasZstd } from '../../../src/layout/compression.js';
import { startServe } from '../../../src/serve/server.js';
import type { StartedRegistry } from '../../harness/registry.js';
import { skopeo, skopeoInspectDigest } from '../../harness/skopeo.js';
import { useSeededPair } from '../../harness/use-seeded-pair.js';
import { catalog } from '../../harness/workspace.js';
import { flipByte } from '../../helpers/damage.js';
import { runCli } from '../../helpers/io.js';

let src: StartedRegistry;
let dst: StartedRegistry;
let tmp: string;
let layout: GeneratedLayout;
const pair = useSeededPair('split-compress');
beforeAll(() => {
  ({ src, dst, tmp, layout } = pair());
});

const full = (name: string, tag: string): string => `${src.host}/${name}:${tag}`;
const plain = (): string[] => ['--plain-http', src.host, '--plain-http', dst.host];
const images = (): string[] => layout.images.flatMap((i) => ['--image', full(i.name, i.tag)]);

async function expectLoaded(prefix: string): Promise<void> {
  for (const img of layout.images) expect(await skopeoInspectDigest(dst, `${prefix}/${img.name}:${img.tag}`)).toBe(img.digest);
}

/** The digest of the manifest skopeo reads from the layout directory `dir` (tag x), sha256sum its judge. */
async function layoutDigest(dir: string): Promise<string> {
  const raw = (await skopeo(['inspect', '--raw', `oci:${dir}:x`])).stdout;
  return `sha256:${execFileSync('sha256sum', { input: raw }).toString().split(' ')[0]}`;
}

/** verify reads every image of `file`, and load puts each under `prefix` with its digest. */
async function expectVerifiedAndLoaded(file: string, prefix: string): Promise<void> {
  const v = await runCli(['verify', file]);
  expect(v.code, v.stderr).toBe(0);
  expect(v.stdout.match(/^ok /gm)).toHaveLength(layout.images.length);
  const l = await runCli([...plain(), 'load', file, '--to', `${dst.host}/${prefix}`]);
  expect(l.code, l.stderr).toBe(0);
  await expectLoaded(prefix);
}

/** serve answers from `bundle`: skopeo pulls `img` from it into tmp/`to` with its digest. */
async function expectServed(bundle: string, img: GeneratedLayout['images'][number], to: string): Promise<void> {
  const server = await startServe({ bundle, listen: '127.0.0.1:0' });
  try {
    const dir = path.join(tmp, to);
    await skopeo(['copy', '--src-tls-verify=false', '--preserve-digests', `docker://${server.address}/${img.name}:${img.tag}`, `oci:${dir}:x`]);
    expect(await layoutDigest(dir)).toBe(img.digest);
  } finally {
    await server.close();
  }
}

describe('split bundles', () => {
  let dir: string;
  let parts: { total: number; parts: Array<{ name: string; size: number; sha256: string }> };
  beforeAll(async () => {
    dir = path.join(tmp, 'split');
    await mkdir(dir);
  });

  it('save --split-size 1MiB writes parts of at most 1 MiB and a .parts file with their sizes and sha256', async () => {
    const r = await runCli([...plain(), 'save', ...images(), '--split-size', '1MiB', '-o', path.join(dir, 'bundle.tar')]);
    expect(r.code, r.stderr).toBe(0);
    const names = (await readdir(dir)).sort();
    expect(names.filter((n) => !/^bundle\.tar\.(\d{3}|parts)$/.test(n))).toEqual([]);
    parts = JSON.parse(await readFile(path.join(dir, 'bundle.tar.parts'), 'utf8')) as typeof parts;
    expect(parts.parts.length).toBeGreaterThanOrEqual(2);
    let total = 0;
    for (const p of parts.parts) {
      const bytes = await readFile(path.join(dir, p.name));
      expect(bytes.length).toBe(p.size);
      expect(p.size).toBeLessThanOrEqual(1024 * 1024);
      expect(`sha256:${execFileSync('sha256sum', [path.join(dir, p.name)], { encoding: 'utf8' }).split(' ')[0]}`).toBe(p.sha256);
      total += p.size;
    }
    expect(parts.total).toBe(total);
    // the parts joined are a tar that tar itself lists
    const joined = path.join(tmp, 'joined.tar');
    await writeFile(joined, Buffer.concat(await Promise.all(parts.parts.map((p) => readFile(path.join(dir, p.name))))));
    expect(execFileSync('tar', ['-tf', joined], { encoding: 'utf8' })).toContain('index.json');
  });

  it('verify checks every part and every blob, given the .parts file or the first part', async () => {
    for (const given of ['bundle.tar.parts', 'bundle.tar.000', 'bundle.tar']) {
      const r = await runCli(['verify', path.join(dir, given)]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.match(/^ok /gm)).toHaveLength(layout.images.length);
      expect(r.stderr).toContain(`${parts.parts.length} parts checked`);
    }
  });

  it('load reads the parts in place: every image keeps its digest', async () => {
    const r = await runCli([...plain(), 'load', path.join(dir, 'bundle.tar.000'), '--to', `${dst.host}/split`]);
    expect(r.code, r.stderr).toBe(0);
    await expectLoaded('split');
  });

  it('copy oci-archive:PARTS and serve read the parts (skopeo judges)', async () => {
    const img = layout.images.find((i) => i.name === 'fixtures/beta')!;
    const out = path.join(tmp, 'from-parts');
    const r = await runCli(['copy', `oci-archive:${path.join(dir, 'bundle.tar.parts')}:${full(img.name, img.tag)}`, `oci:${out}:x`]);
    expect(r.code, r.stderr).toBe(0);
    expect(await layoutDigest(out)).toBe(img.digest);
    await expectServed(path.join(dir, 'bundle.tar.parts'), img, 'served');
  }, 60_000);

  it('a damaged part: verify names it (exit 6); load names it and pushes nothing', async () => {
    const bad = path.join(tmp, 'split-damaged');
    await mkdir(bad);
    for (const p of [...parts.parts.map((x) => x.name), 'bundle.tar.parts']) await copyFile(path.join(dir, p), path.join(bad, p));
    const victim = parts.parts[1]!.name;
    await flipByte(path.join(bad, victim), 1000);
    const v = await runCli(['verify', path.join(bad, 'bundle.tar.parts')]);
    expect(v.code).toBe(6);
    expect(v.stderr).toContain(`part ${victim} of`);
    expect(v.stderr).not.toContain(`part ${parts.parts[0]!.name} of`);

    const before = await catalog(dst);
    const l = await runCli([...plain(), 'load', path.join(bad, 'bundle.tar.parts'), '--to', `${dst.host}/damaged`]);
    expect(l.code).toBe(6);
    expect(l.stderr).toContain(`part ${victim} of`);
    expect(await catalog(dst)).toEqual(before);
    expect(before.some((r) => r.startsWith('damaged/'))).toBe(false);
  });

  it('a missing or short part is named (exit 5, exit 6) before anything is read', async () => {
    const gone = path.join(tmp, 'split-missing');
    await mkdir(gone);
    for (const p of ['bundle.tar.parts', parts.parts[0]!.name]) await copyFile(path.join(dir, p), path.join(gone, p));
    const r = await runCli(['verify', path.join(gone, 'bundle.tar.000')]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`part ${parts.parts[1]!.name} of`);
    expect(r.stderr).toContain('is missing');
    const short = Buffer.from(await readFile(path.join(dir, parts.parts[1]!.name))).subarray(0, 100);
    await writeFile(path.join(gone, parts.parts[1]!.name), short);
    for (const p of parts.parts.slice(2)) await copyFile(path.join(dir, p.name), path.join(gone, p.name));
    const s = await runCli([...plain(), 'load', path.join(gone, 'bundle.tar.parts'), '--to', `${dst.host}/short`]);
    expect(s.code).toBe(6);
    expect(s.stderr).toContain(`part ${parts.parts[1]!.name} of`);
    expect(s.stderr).toContain('short of');
  });

  it('a part given without its .parts file: the error says the .parts file must be next to it', async () => {
    const alone = path.join(tmp, 'split-alone');
    await mkdir(alone);
    await copyFile(path.join(dir, 'bundle.tar.000'), path.join(alone, 'bundle.tar.000'));
    const r = await runCli(['verify', path.join(alone, 'bundle.tar.000')]);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('looks like one part of a split bundle: its bundle.tar.parts file');
  });

  it('refuses a split size under 1 MiB, or a split to stdout, before any work', async () => {
    const r = await runCli([...plain(), 'save', ...images(), '--split-size', '100KiB', '-o', path.join(tmp, 'small.tar')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--split-size 100KiB is under 1 MiB');
    const junk = await runCli([...plain(), 'save', ...images(), '--split-size', '4 parsecs', '-o', path.join(tmp, 'small.tar')]);
    expect(junk.code).toBe(2);
    const named = await runCli([...plain(), 'save', ...images(), '--split-size', '1MiB', '-o', path.join(tmp, 'small.tar.parts')]);
    expect(named.code).toBe(2);
    expect(named.stderr).toContain('with --split-size, name the bundle (-o bundle.tar)');
    expect((await readdir(tmp)).filter((n) => n.startsWith('small.tar'))).toEqual([]);
  });
});

describe('compressed bundles', () => {
  let gz: string;
  it('save --compress gzip writes a seekable gzip that gunzip and tar also read; verify, load and serve read it in place', async () => {
    gz = path.join(tmp, 'bundle.tar.gz');
    const r = await runCli([...plain(), 'save', ...images(), '--compress', 'gzip', '-o', gz]);
    expect(r.code, r.stderr).toBe(0);
    const bytes = await readFile(gz);
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(execFileSync('tar', ['-tzf', gz], { encoding: 'utf8' })).toContain('airlift.lock.json');
    await expectVerifiedAndLoaded(gz, 'gzip');
    await expectServed(gz, layout.images.find((i) => i.name === 'fixtures/alpha')!, 'served-gz');
  }, 60_000);

  it('save --compress gzip -o - writes the compressed bundle to stdout, and nothing else', async () => {
    const r = await runCli([...plain(), 'save', ...images(), '--compress', 'gzip', '-o', '-'], { cwd: tmp });
    expect(r.code, r.stderr).toBe(0);
    const viaStdout = path.join(tmp, 'stdout.tar.gz');
    await writeFile(viaStdout, r.stdoutBuffer);
    expect(r.stdoutBuffer.equals(await readFile(gz))).toBe(true); // the same inputs give the same bytes
    expect((await runCli(['verify', viaStdout])).code).toBe(0);
  });

  it('two save -o - at once from different directories (in one process) both write the bundle: each stages under its own directory', async () => {
    // the staging of `-` used to follow the process's cwd, shared by in-process runs: one of them
    // failed E_USAGE "another airlift … is writing this bundle"
    const dirs = [path.join(tmp, 'stdout-a'), path.join(tmp, 'stdout-b')];
    for (const d of dirs) await mkdir(d, { recursive: true });
    const runs = await Promise.all(dirs.map((cwd) => runCli([...plain(), 'save', ...images(), '--compress', 'gzip', '-o', '-'], { cwd })));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(runs[0]!.stdoutBuffer.equals(runs[1]!.stdoutBuffer)).toBe(true); // the same inputs give the same bytes
    const written = path.join(dirs[0]!, 'bundle.tar.gz');
    await writeFile(written, runs[0]!.stdoutBuffer);
    expect((await runCli(['verify', written])).code).toBe(0);
  });

  it('a damaged gzip frame fails verify (exit 6)', async () => {
    const bad = path.join(tmp, 'damaged.tar.gz');
    const bytes = Buffer.from(await readFile(gz));
    const mid = Math.floor(bytes.length / 2);
    bytes[mid] = bytes[mid]! ^ 0xff;
    await writeFile(bad, bytes);
    const v = await runCli(['verify', bad]);
    expect(v.code).toBe(6);
  });

  it('foreign compressed tars (gzip -c, zstd -c: no seek table) are read forwards: verify and load', async () => {
    const tar = path.join(tmp, 'plain.tar');
    const r = await runCli([...plain(), 'save', ...images(), '-o', tar]);
    expect(r.code, r.stderr).toBe(0);
    const foreignGz = path.join(tmp, 'foreign.tar.gz');
    const foreignZst = path.join(tmp, 'foreign.tar.zst');
    execFileSync('sh', ['-c', `gzip -c '${tar}' > '${foreignGz}' && zstd -q -c '${tar}' > '${foreignZst}'`]);
    for (const [file, prefix] of [
      [foreignGz, 'foreign-gz'],
      [foreignZst, 'foreign-zst'],
    ] as const)
      await expectVerifiedAndLoaded(file, prefix);
    // serve reads it forwards too (a jump back starts the decompression again)
    await expectServed(foreignGz, layout.images.find((i) => i.name === 'fixtures/beta')!, 'served-foreign');
  }, 120_000);

  it('save --compress zstd: written on a Node with zstd; on Node 20 refused (exit 9) before anything is fetched', async () => {
    const out = path.join(tmp, 'bundle.tar.zst');
    const r = await runCli([...plain(), 'save', ...images(), '--compress', 'zstd', '-o', out]);
    if (nodeHasZstd()) {
      expect(r.code, r.stderr).toBe(0);
      expect(execFileSync('sh', ['-c', `zstd -dc '${out}' | tar -t`], { encoding: 'utf8' })).toContain('index.json');
      expect((await runCli(['verify', out])).code).toBe(0);
    } else {
      expect(r.code).toBe(9);
      expect(r.stderr).toContain('needs Node.js 22.15 or later');
      await expect(stat(out)).rejects.toThrow();
      expect((await readdir(tmp)).filter((n) => n.startsWith('bundle.tar.zst'))).toEqual([]);
    }
  });
});
