/**
 * --keep-going (issue #21 item 6) on real registries, judged by skopeo: save, load and sync copy
 * every image that can be copied, list the failures (reference, code, message) and exit 12; a
 * save --keep-going writes the bundle of what it saved and lists the rest under `missing` in its
 * lock, which verify and load report. Without the flag, save writes nothing and load/sync exit
 * with the failure's own code.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedRegistry } from '../../../fixtures/images/generate.js';
import { indexTar } from '../../../src/layout/tar-index.js';
import { useRegistry } from '../../harness/use-registry.js';
import { skopeoInspectDigest } from '../../harness/skopeo.js';
import { useSeededPair } from '../../harness/use-seeded-pair.js';
import { copyWithDamagedBlob } from '../../helpers/damage.js';
import { runCli } from '../../helpers/io.js';

const run = promisify(execFile);
const pair = useSeededPair('keep-going');
// a TLS + htpasswd registry for which the runs hold no credentials: its images are refused (E_AUTH)
const locked = useRegistry('tls-basic');
beforeAll(async () => {
  const alpha = pair().layout.images.find((i) => i.name === 'fixtures/alpha')!;
  await seedRegistry(pair().layout.dir, locked(), [{ ref: alpha.ref, repository: 'locked/alpha', tag: alpha.tag }]);
}, 120_000);

const plain = (): string[] => ['--plain-http', pair().src.host, '--plain-http', pair().dst.host];
const ref = (name: string, tag: string): string => `${pair().src.host}/${name}:${tag}`;
const every = (): string[] => pair().layout.images.map((i) => ref(i.name, i.tag));
const imageFlags = (refs: string[]): string[] => refs.flatMap((r) => ['--image', r]);

async function lockOf(bundle: string): Promise<{ images: Array<{ source: string }>; missing?: Array<{ source: string; code: string; message: string }> }> {
  const { stdout } = await run('tar', ['-xOf', bundle, 'airlift.lock.json'], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as never;
}

describe('--keep-going', () => {
  it('save without it: an image that does not exist fails the run (exit 5) and writes no bundle', async () => {
    const { tmp } = pair();
    const out = path.join(tmp, 'strict.tar');
    const r = await runCli([...plain(), 'save', ...imageFlags([...every(), ref('fixtures/nope', '1.0')]), '-o', out]);
    expect(r.code).toBe(5);
    await expect(stat(out)).rejects.toThrow();
  });

  it('save --keep-going: writes the bundle of the images that exist, lists the missing one in the report and the lock, exits 12', async () => {
    const { tmp, layout } = pair();
    const out = path.join(tmp, 'partial.tar');
    const nope = ref('fixtures/nope', '1.0');
    const r = await runCli([...plain(), 'save', ...imageFlags([...every(), nope]), '--keep-going', '-o', out]);
    expect(r.code, r.stderr).toBe(12);
    expect(r.stderr).toMatch(/E_INCOMPLETE/);
    expect(r.stderr).toMatch(new RegExp(`1 of ${layout.images.length + 1} could not be saved \\(--keep-going: .*partial\\.tar holds the other ${layout.images.length}`));
    expect(r.stderr).toContain(`${nope}: E_NOT_FOUND: `);
    expect(r.stdout).toMatch(new RegExp(`^failed +${nope.replace(/[.]/g, '\\.')} `, 'm'));
    const lock = await lockOf(out);
    expect(lock.images.map((i) => i.source).sort()).toEqual(every().sort());
    expect(lock.missing).toEqual([{ source: nope, code: 'E_NOT_FOUND', message: expect.stringContaining('does not exist') }]);
    expect((await readdir(tmp)).filter((n) => n.startsWith('partial.tar.'))).toEqual([]);

    const v = await runCli(['verify', out]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stderr).toMatch(new RegExp(`saved with --keep-going without 1 image\\(s\\): ${nope.replace(/[.]/g, '\\.')} \\(E_NOT_FOUND\\)`));
    const l = await runCli([...plain(), 'load', out, '--to', `${pair().dst.host}/partial`]);
    expect(l.code, l.stderr).toBe(0);
    expect(l.stderr).toMatch(/was saved with --keep-going without 1 image\(s\) it was asked for/);
    for (const img of layout.images) expect(await skopeoInspectDigest(pair().dst, `partial/${img.name}:${img.tag}`)).toBe(img.digest);
  });

  it('sync --keep-going: the images that exist land (skopeo), the missing one is listed in the report, the error and --lock-out, exit 12', async () => {
    const { tmp, dst, layout } = pair();
    const nope = ref('fixtures/nope', '2.0');
    const lockOut = path.join(tmp, 'sync.lock.json');
    const r = await runCli([...plain(), 'sync', ...imageFlags([nope, ...every()]), '--to', `${dst.host}/synced`, '--keep-going', '--lock-out', lockOut, '-o', 'json']);
    expect(r.code, r.stderr).toBe(12);
    expect(r.stderr).toContain(`${nope}: E_NOT_FOUND: `);
    const rows = JSON.parse(r.stdout) as Array<{ source: string; status: string; code?: string }>;
    expect(rows.find((x) => x.source === nope)).toMatchObject({ status: 'failed', code: 'E_NOT_FOUND' });
    for (const img of layout.images) expect(await skopeoInspectDigest(dst, `synced/${img.name}:${img.tag}`)).toBe(img.digest);
    const lock = JSON.parse(await readFile(lockOut, 'utf8')) as { images: unknown[]; missing: Array<{ source: string; code: string }> };
    expect(lock.images).toHaveLength(layout.images.length);
    expect(lock.missing).toMatchObject([{ source: nope, code: 'E_NOT_FOUND' }]);

    // without it: the same failure ends the run with its own code (5), the others still land
    const plainRun = await runCli([...plain(), 'sync', ...imageFlags([nope, ...every()]), '--to', `${dst.host}/synced-strict`]);
    expect(plainRun.code).toBe(5);
  });

  it('sync --keep-going: an image whose registry refuses (no credentials, E_AUTH) is listed; the others land', async () => {
    const { dst, layout } = pair();
    const refused = `${locked().host}/locked/alpha:1.0`;
    const args = ['--ca-file', locked().caFile!, 'sync', ...imageFlags([...every(), refused]), '--to', `${dst.host}/unauthorized`];
    const r = await runCli([...plain(), ...args, '--keep-going']);
    expect(r.code, r.stderr).toBe(12);
    expect(r.stderr).toContain(`${refused}: E_AUTH: `);
    for (const img of layout.images) expect(await skopeoInspectDigest(dst, `unauthorized/${img.name}:${img.tag}`)).toBe(img.digest);
    const strict = await runCli([...plain(), ...args]);
    expect(strict.code).toBe(4);
  });

  it('load --keep-going: a bundle with one damaged layer loads every other image, names the damaged one, exits 12', async () => {
    const { tmp, dst, layout } = pair();
    const bundle = path.join(tmp, 'whole.tar');
    const s = await runCli([...plain(), 'save', ...imageFlags(every()), '-o', bundle]);
    expect(s.code, s.stderr).toBe(0);
    const alpha = layout.images.find((i) => i.name === 'fixtures/alpha')!;
    const own = alpha.manifests[0]!.layers.at(-1)!;
    const bad = path.join(tmp, 'damaged.tar');
    await copyWithDamagedBlob(bundle, bad, own.digest);

    const lockOut = path.join(tmp, 'load.lock.json');
    const r = await runCli([...plain(), 'load', bad, '--to', `${dst.host}/damaged`, '--keep-going', '--lock-out', lockOut]);
    expect(r.code, r.stderr).toBe(12);
    expect(r.stderr).toContain(`${ref(alpha.name, alpha.tag)}: E_DIGEST_MISMATCH: `);
    await expect(skopeoInspectDigest(dst, `damaged/${alpha.name}:${alpha.tag}`)).rejects.toThrow();
    for (const img of layout.images.filter((i) => i !== alpha)) expect(await skopeoInspectDigest(dst, `damaged/${img.name}:${img.tag}`)).toBe(img.digest);
    const lock = JSON.parse(await readFile(lockOut, 'utf8')) as { missing: Array<{ source: string; code: string }> };
    expect(lock.missing).toMatchObject([{ source: ref(alpha.name, alpha.tag), code: 'E_DIGEST_MISMATCH' }]);

    const strict = await runCli([...plain(), 'load', bad, '--to', `${dst.host}/damaged-strict`]);
    expect(strict.code).toBe(6);
  });

  it('save --keep-going where a layer fails after the bundle was laid out: the bundle holds the other images, none of the failed one', async () => {
    const { tmp, src, layout } = pair();
    // beta's own 1 MiB layer loses its data at the source registry: its manifest still answers
    const beta = layout.images.find((i) => i.name === 'fixtures/beta')!;
    const layer = beta.manifests[0]!.layers[1]!;
    const data = path.join(src.storageDir, 'docker/registry/v2/blobs/sha256', layer.digest.slice(7, 9), layer.digest.slice(7), 'data');
    await rm(data);
    const out = path.join(tmp, 'after-plan.tar');
    const r = await runCli([...plain(), 'save', ...imageFlags(every()), '--keep-going', '-o', out]);
    expect(r.code, r.stderr).toBe(12);
    expect(r.stderr).toContain(`${ref(beta.name, beta.tag)}: `);
    expect(r.stderr).toMatch(/--keep-going: laying .*after-plan\.tar out again without the 1 image\(s\) that failed/);
    const lock = await lockOf(out);
    expect(lock.missing?.map((m) => m.source)).toEqual([ref(beta.name, beta.tag)]);
    expect(lock.images.map((i) => i.source).sort()).toEqual(every().filter((x) => x !== ref(beta.name, beta.tag)).sort());
    const entries = await indexTar(out);
    expect(entries.has(`blobs/sha256/${layer.digest.slice(7)}`)).toBe(false);
    const v = await runCli(['verify', out]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).not.toContain(beta.name);
    expect((await readdir(tmp)).filter((n) => n.startsWith('after-plan.tar.'))).toEqual([]);
  });
});
