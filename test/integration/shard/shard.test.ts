/**
 * issue 9 acceptance: `sync --shard i/4` for i = 0..3, as four separate
 * processes against real registries, covers exactly what one unsharded sync
 * does, with every image in exactly one shard, and `lock merge` of the four
 * shard locks equals the unsharded lock.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AMD64, ARM64, generateLayout, seedRegistry, type GeneratedLayout, type ImageSpec } from '../../../fixtures/images/generate.js';
import { parseLock, readLock } from '../../../src/lock/io.js';
import type { Lock, LockImage } from '../../../src/lock/types.js';
import { inShard } from '../../../src/shard/index.js';
import { startRegistry, type StartedRegistry } from '../../harness/registry.js';
import { skopeoInspectDigest } from '../../harness/skopeo.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
const BIN = path.join(REPO_ROOT, 'dist/cmd/airlift.js');
const N = 4;
const KiB = 1024;

/** 12 small images: a base shared by all (so blobs are shared across shards), two tags of one repository, Docker and OCI, one index. */
function specs(): ImageSpec[] {
  const base = { id: 'shard-base', size: 16 * KiB };
  const out: ImageSpec[] = [];
  for (let i = 1; i <= 9; i++) {
    out.push({ name: `shard/app-${String(i).padStart(2, '0')}`, tag: '1.0', format: i > 7 ? 'docker' : 'oci', layers: [base, { size: 4 * KiB }] });
  }
  out.push({ name: 'shard/app-01', tag: '2.0', format: 'oci', layers: [base, { size: 2 * KiB }] });
  out.push({ name: 'shard/lonely', tag: '1.0', format: 'oci', layers: [{ size: 4 * KiB }] });
  out.push({ name: 'shard/multi', tag: '1.0', format: 'oci', layers: [base, { size: 2 * KiB }], platforms: [AMD64, ARM64] });
  return out;
}

interface Proc {
  code: number;
  stdout: string;
  stderr: string;
}

function airlift(args: string[]): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir() },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** What must agree between runs into different registries: everything but the destination host. */
function comparable(img: LockImage, destHost: string) {
  return {
    source: img.source,
    digest: img.digest,
    mediaType: img.mediaType,
    size: img.size,
    platforms: [...img.platforms].sort(),
    destination: img.destination?.replace(destHost, 'DEST'),
  };
}

describe('sync --shard i/4 in four processes equals one unsharded sync', () => {
  let work: string;
  let layout: GeneratedLayout;
  let source: StartedRegistry;
  let destA: StartedRegistry;
  let destB: StartedRegistry;
  let refs: string[];

  beforeAll(async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build before the integration tests`);
    work = await mkdtemp(path.join(os.tmpdir(), 'airlift-shard-'));
    layout = await generateLayout(path.join(work, 'layout'), specs());
    [source, destA, destB] = await Promise.all([startRegistry(), startRegistry(), startRegistry()]);
    refs = await seedRegistry(path.join(work, 'layout'), source, layout.images);
    expect(refs).toHaveLength(12);
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), destA?.stop(), destB?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('covers every image exactly once, and the merged shard locks equal the unsharded lock', async () => {
    const common = ['--plain-http', source.host, '--plain-http', destA.host, '--plain-http', destB.host, 'sync', ...refs.flatMap((r) => ['--image', r])];
    const lockFile = (i: number) => path.join(work, `lock-${i}.json`);

    // Four workers at once, as the Indexed Job runs them, into registry A.
    const shardRuns = await Promise.all(
      Array.from({ length: N }, (_, i) => airlift([...common, '--to', `${destA.host}/mirror`, '--shard', `${i}/${N}`, '--lock-out', lockFile(i)])),
    );
    shardRuns.forEach((r, i) => expect(r.code, `shard ${i}/${N}: ${r.stderr}`).toBe(0));
    // One unsharded run into registry B.
    const whole = await airlift([...common, '--to', `${destB.host}/mirror`, '--lock-out', path.join(work, 'unsharded.json')]);
    expect(whole.code, whole.stderr).toBe(0);

    const shardLocks: Lock[] = [];
    for (let i = 0; i < N; i++) shardLocks.push(await readLock(lockFile(i)));
    const unsharded = await readLock(path.join(work, 'unsharded.json'));
    expect(unsharded.images.map((i) => i.source).sort()).toEqual([...refs].sort());

    // Every image in exactly one shard lock, and in the shard the split assigns it to.
    const owner = new Map<string, number>();
    shardLocks.forEach((l, i) => {
      for (const img of l.images) {
        expect(owner.has(img.source), `${img.source} copied by shards ${owner.get(img.source)} and ${i}`).toBe(false);
        owner.set(img.source, i);
        expect(inShard(img.source, { index: i, count: N }), `${img.source} belongs to another shard than ${i}`).toBe(true);
      }
    });
    expect([...owner.keys()].sort()).toEqual([...refs].sort());

    // The union equals the unsharded run: same sources, digests, media types, platforms and paths.
    const union = shardLocks.flatMap((l) => l.images).map((i) => comparable(i, destA.host));
    const bySource = (a: { source: string }, b: { source: string }) => (a.source < b.source ? -1 : 1);
    expect(union.sort(bySource)).toEqual(unsharded.images.map((i) => comparable(i, destB.host)).sort(bySource));
    // ... and the digests are the ones generated (airlift changes no digest).
    for (const img of layout.images) {
      const entry = unsharded.images.find((i) => i.source === `${source.host}/${img.name}:${img.tag}`);
      expect(entry?.digest, img.ref).toBe(img.digest);
    }

    // `airlift lock merge` of the four shard locks: the unsharded lock's images.
    const merged = path.join(work, 'merged.json');
    const m = await airlift(['lock', 'merge', ...Array.from({ length: N }, (_, i) => lockFile(i)), '-o', merged]);
    expect(m.code, m.stderr).toBe(0);
    const mergedLock = await readLock(merged);
    expect(mergedLock.images.map((i) => comparable(i, destA.host))).toEqual(unsharded.images.map((i) => comparable(i, destB.host)));

    // And registry A really holds every image, checked with skopeo rather than airlift.
    for (const img of mergedLock.images) {
      const repoAndTag = img.destination!.slice(destA.host.length + 1);
      expect(await skopeoInspectDigest(destA, repoAndTag), repoAndTag).toBe(img.digest);
    }

    // lock diff between the two runs' locks shows only the destination host changing.
    const d = await airlift(['lock', 'diff', merged, path.join(work, 'unsharded.json'), '-o', 'json']);
    expect(d.code, d.stderr).toBe(0);
    const diff = JSON.parse(d.stdout) as { added: unknown[]; removed: unknown[]; changed: Array<{ from: string; to: string }> };
    expect(diff.added).toEqual([]);
    expect(diff.removed).toEqual([]);
    expect(diff.changed).toHaveLength(refs.length);
    for (const c of diff.changed) expect(c.from).toBe(c.to);
  });

  it('save --shard i/2 writes two bundles that split the images between them', async () => {
    const bundles = [0, 1].map((i) => path.join(work, `bundle-${i}.tar`));
    const runs = await Promise.all(
      bundles.map((b, i) => airlift(['--plain-http', source.host, 'save', ...refs.flatMap((r) => ['--image', r]), '--shard', `${i}/2`, '-o', b])),
    );
    runs.forEach((r, i) => expect(r.code, `save --shard ${i}/2: ${r.stderr}`).toBe(0));
    const seen = new Map<string, number>();
    bundles.forEach((b, i) => {
      const tar = spawnSync('tar', ['-xOf', b, 'airlift.lock.json'], { encoding: 'utf8' });
      expect(tar.status, tar.stderr).toBe(0);
      for (const img of parseLock(tar.stdout, `${b}:airlift.lock.json`).images) {
        expect(seen.has(img.source), `${img.source} saved by shards ${seen.get(img.source)} and ${i}`).toBe(false);
        seen.set(img.source, i);
        expect(inShard(img.source, { index: i, count: 2 })).toBe(true);
      }
    });
    expect([...seen.keys()].sort()).toEqual([...refs].sort());
  });

  it('load --shard i/3 of one bundle pushes every image exactly once', async () => {
    const bundle = path.join(work, 'whole.tar');
    const saved = await airlift(['--plain-http', source.host, 'save', ...refs.flatMap((r) => ['--image', r]), '-o', bundle]);
    expect(saved.code, saved.stderr).toBe(0);
    const lockFile = (i: number) => path.join(work, `load-${i}.json`);
    const runs = await Promise.all(
      [0, 1, 2].map((i) => airlift(['--plain-http', destB.host, 'load', bundle, '--to', `${destB.host}/loaded`, '--shard', `${i}/3`, '--lock-out', lockFile(i)])),
    );
    runs.forEach((r, i) => expect(r.code, `load --shard ${i}/3: ${r.stderr}`).toBe(0));
    const seen = new Map<string, number>();
    for (const i of [0, 1, 2]) {
      for (const img of (await readLock(lockFile(i))).images) {
        expect(seen.has(img.source), `${img.source} loaded by shards ${seen.get(img.source)} and ${i}`).toBe(false);
        seen.set(img.source, i);
        expect(inShard(img.source, { index: i, count: 3 })).toBe(true);
        expect(await skopeoInspectDigest(destB, img.destination!.slice(destB.host.length + 1))).toBe(img.digest);
      }
    }
    expect([...seen.keys()].sort()).toEqual([...refs].sort());
  });

  it('refuses a bad --shard before copying anything', async () => {
    const r = await airlift(['sync', '--image', refs[0]!, '--to', `${destA.host}/bad`, '--shard', '4/4']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid --shard "4/4"');
    const list = await fetch(`http://${destA.host}/v2/_catalog`).then((res) => res.json() as Promise<{ repositories: string[] }>);
    expect(list.repositories.filter((x) => x.startsWith('bad/'))).toEqual([]);
  });
});
