/**
 * Differential bundles (issue #21 item 1) on real registries, judged by skopeo: a full bundle, then
 * two differentials after the images changed (a new tag, a changed layer, a removed image, a new
 * image); the chain loaded into an empty registry holds exactly the digests a full save of the last
 * state gives; a differential alone into an empty registry fails naming the missing layers and
 * pushes nothing; verify knows a differential is not damaged for lacking its base's layers.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLayout, seedRegistry } from '../../../fixtures/images/generate.js';
import { AMD64, ARM64 } from '../../../fixtures/images/presets.js';
import type { ImageSpec } from '../../../fixtures/images/spec.js';
import { startRegistry, type StartedRegistry } from '../../harness/registry.js';
import { skopeoInspectDigest } from '../../harness/skopeo.js';
import { runCli } from '../../helpers/io.js';

const run = promisify(execFile);
const KiB = 1024;
const base = { id: 'tiny-base', size: 256 * KiB };
const spec = (name: string, tag: string, own: number, extra: Partial<ImageSpec> = {}): ImageSpec => ({ name, tag, format: 'oci', layers: [base, { size: own }], ...extra });

let src: StartedRegistry;
let chain: StartedRegistry;
let lastFull: StartedRegistry;
let empty: StartedRegistry;
let tmp: string;

/** Generates `specs` (the shared base layer is the same blob in every layout) and pushes them to the source. */
async function push(dir: string, specs: ImageSpec[], as?: Array<{ from: string; repository: string; tag: string }>): Promise<void> {
  const layout = await generateLayout(path.join(tmp, dir), specs);
  await seedRegistry(layout.dir, src, as ? as.map((a) => ({ ref: a.from, repository: a.repository, tag: a.tag })) : layout.images);
}

const plain = (...regs: StartedRegistry[]): string[] => regs.flatMap((r) => ['--plain-http', r.host]);
const images = (refs: string[]): string[] => refs.flatMap((r) => ['--image', `${src.host}/${r}`]);

async function catalog(reg: StartedRegistry): Promise<string[]> {
  const res = await fetch(`${reg.url}/v2/_catalog`);
  return ((await res.json()) as { repositories: string[] }).repositories;
}

async function lockOf(bundle: string): Promise<Record<string, unknown> & { base?: { file: string; sha256?: string; lock: string; blobs: string[]; omitted: string[]; images: unknown[] }; blobs: string[]; images: Array<{ source: string; digest: string }> }> {
  const { stdout } = await run('tar', ['-xOf', bundle, 'airlift.lock.json'], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as never;
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'airlift-differential-'));
  [src, chain, lastFull, empty] = await Promise.all([startRegistry(), startRegistry(), startRegistry(), startRegistry()]);
}, 120_000);
afterAll(async () => {
  await Promise.all([src?.stop(), chain?.stop(), lastFull?.stop(), empty?.stop()]);
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

// state 1: alpha:1.0, beta:2.1, gamma:3.0, multi:1.0
const state1 = ['fixtures/alpha:1.0', 'fixtures/beta:2.1', 'fixtures/gamma:3.0', 'fixtures/multi:1.0'];
// state 2: a new tag for alpha (same image), beta's own layer changed, gamma removed
const state2 = ['fixtures/alpha:1.0', 'fixtures/alpha:1.1', 'fixtures/beta:2.1', 'fixtures/multi:1.0'];
// state 3: alpha:1.1 removed, beta changed again, a new image delta:1.0
const state3 = ['fixtures/alpha:1.0', 'fixtures/beta:2.1', 'fixtures/multi:1.0', 'fixtures/delta:1.0'];

describe('save --since: a chain of differential bundles (real registries, skopeo as judge)', () => {
  let full: string;
  let d1: string;
  let d2: string;
  let last: string;

  it('saves a full bundle, then two differentials that leave out the layers their bases carried', async () => {
    await push('s1', [
      spec('fixtures/alpha', '1.0', 4 * KiB),
      spec('fixtures/beta', '2.1', 1024 * KiB),
      spec('fixtures/gamma', '3.0', 16 * KiB, { format: 'docker' }),
      spec('fixtures/multi', '1.0', 8 * KiB, { platforms: [AMD64, ARM64] }),
    ]);
    full = path.join(tmp, 'full.tar');
    const r0 = await runCli([...plain(src), 'save', ...images(state1), '-o', full]);
    expect(r0.code, r0.stderr).toBe(0);
    const fullLock = await lockOf(full);
    expect(fullLock.blobs.length).toBeGreaterThan(8);
    expect(fullLock.base).toBeUndefined();

    await push('s2-tag', [spec('fixtures/alpha', '1.0', 4 * KiB)], [{ from: 'fixtures/alpha:1.0', repository: 'fixtures/alpha', tag: '1.1' }]);
    await push('s2-beta', [spec('fixtures/beta', '2.1', 1000 * KiB)]);
    d1 = path.join(tmp, 'd1.tar');
    const r1 = await runCli([...plain(src), 'save', ...images(state2), '--since', full, '-o', d1]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r1.stderr).toMatch(/differential against .*full\.tar: \d+ layers left out/);
    const l1 = await lockOf(d1);
    expect(l1.base).toMatchObject({ file: full, lock: expect.stringMatching(/^sha256:/), sha256: expect.stringMatching(/^sha256:/) });
    expect(l1.base!.images).toHaveLength(4);
    // every blob of the full bundle is held by the base; the shared base layer and the unchanged layers are left out
    expect(new Set(l1.base!.blobs)).toEqual(new Set(fullLock.blobs));
    for (const d of l1.base!.omitted) expect(l1.blobs).not.toContain(d);
    expect(l1.base!.omitted.length).toBeGreaterThanOrEqual(4);
    // d1 carries beta's new 1000 KiB layer; the 256 KiB base and the other layers stay out
    expect((await stat(d1)).size).toBeLessThan((await stat(full)).size - 256 * KiB);

    // state 3, against d1's lock alone (not the bundle): d1's own base counts too
    await push('s3-beta', [spec('fixtures/beta', '2.1', 900 * KiB)]);
    await push('s3-delta', [spec('fixtures/delta', '1.0', 12 * KiB)]);
    const d1Lock = path.join(tmp, 'd1.lock.json');
    await writeFile(d1Lock, JSON.stringify(l1));
    d2 = path.join(tmp, 'd2.tar');
    const r2 = await runCli([...plain(src), 'save', ...images(state3), '--since', d1Lock, '-o', d2]);
    expect(r2.code, r2.stderr).toBe(0);
    const l2 = await lockOf(d2);
    expect(l2.base!.sha256).toBeUndefined();
    expect(new Set(l2.base!.blobs)).toEqual(new Set([...l1.blobs, ...l1.base!.blobs]));
    // the tiny shared base layer went only into the full bundle
    const baseLayer = l2.base!.omitted.find((d) => fullLock.blobs.includes(d) && !l1.blobs.includes(d));
    expect(baseLayer).toBeDefined();

    // --json: the plan counts only the blobs that stream (the layers left out never do)
    const again = path.join(tmp, 'd2-json.tar');
    const rj = await runCli([...plain(src), '--json', 'save', ...images(state3), '--since', d1Lock, '-o', again]);
    expect(rj.code, rj.stderr).toBe(0);
    const plan = rj.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; blobs?: number; bytes?: number }).find((e) => e.type === 'plan')!;
    const blobStarts = rj.stderr.split('\n').filter((l) => l.includes('"blob.start"')).length;
    expect(plan.blobs).toBe(blobStarts);
    expect(plan.bytes).toBeLessThan((await stat(again)).size);

    last = path.join(tmp, 'last.tar');
    const r3 = await runCli([...plain(src), 'save', ...images(state3), '-o', last]);
    expect(r3.code, r3.stderr).toBe(0);
    expect((await stat(d2)).size).toBeLessThan((await stat(last)).size);
  }, 180_000);

  it('verify accepts each differential and says what it is against (test/unit/bundle/differential.test.ts: another absent blob is still damage)', async () => {
    for (const b of [d1, d2]) {
      const v = await runCli(['verify', b]);
      expect(v.code, v.stderr).toBe(0);
      expect(v.stderr).toMatch(/a differential bundle against .*: \d+ layers left out, held by the base/);
      expect(v.stdout).not.toMatch(/^bad /m);
    }
  });

  it('a differential alone into an empty registry fails naming the missing layers, and pushes nothing', async () => {
    const dry = await runCli([...plain(empty), 'load', d2, '--to', `${empty.host}/m`, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toMatch(/is a differential bundle against .*d1\.lock\.json: the load first checks that .* holds the \d+ layers it leaves out/);
    const r = await runCli([...plain(empty), 'load', d2, '--to', `${empty.host}/m`]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/is a differential bundle against .*d1\.lock\.json/);
    expect(r.stderr).toMatch(/lacks \d+ of the layers it leaves out, so nothing was pushed/);
    const l2 = await lockOf(d2);
    for (const d of l2.base!.omitted.slice(0, 3)) expect(r.stderr).toContain(d);
    expect(r.stderr).toMatch(/load .*d1\.lock\.json .* first/);
    expect(await catalog(empty)).toEqual([]);
  });

  it('the chain (full, then d1, then d2) gives exactly the digests of a full save of the last state', async () => {
    for (const b of [full, d1, d2]) {
      const r = await runCli([...plain(chain), 'load', b, '--to', `${chain.host}/m`]);
      expect(r.code, `${b}: ${r.stderr}`).toBe(0);
      // d2's new image delta:1.0 needs the shared base layer in a repository new to the mirror: mounted from one the base filled
      if (b === d2) expect(r.stderr).toMatch(/differential against .*d1\.lock\.json; \d+ layers it leaves out are at .* \(\d+ mounted\)/);
    }
    const r = await runCli([...plain(lastFull), 'load', last, '--to', `${lastFull.host}/m`]);
    expect(r.code, r.stderr).toBe(0);
    for (const ref of state3) {
      const want = await skopeoInspectDigest(lastFull, `m/${ref}`);
      expect(await skopeoInspectDigest(chain, `m/${ref}`), ref).toBe(want);
      expect(await skopeoInspectDigest(src, ref), ref).toBe(want);
    }
    // every layer of every image of the last state is pullable from the chain (skopeo copies it whole)
    for (const ref of state3) {
      const out = path.join(tmp, `pulled-${ref.replace(/[/:]/g, '-')}`);
      await run('skopeo', ['copy', '--all', '--preserve-digests', '--src-tls-verify=false', `docker://${chain.host}/m/${ref}`, `oci:${out}:x`]);
      expect((await readFile(path.join(out, 'index.json'), 'utf8')).length).toBeGreaterThan(0);
    }
    const v = await runCli([...plain(chain), 'verify', '--to', `${chain.host}/m`, last]);
    expect(v.code, v.stderr).toBe(0);
  }, 180_000);
});
