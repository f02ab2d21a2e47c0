import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VerifyingStream, sha256 } from '../../../src/digest/index.js';
import { openOciArchiveDestination, openOciArchiveSource, stagingDirFor } from '../../../src/endpoint/oci-archive.js';
import { openOciDirDestination, openOciDirSource } from '../../../src/endpoint/oci-dir.js';
import type { RawManifest } from '../../../src/oci/types.js';
import { tempDir } from './helpers.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => tmp.cleanup());

function image(seed: number) {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', seed }));
  const layers = [Buffer.alloc(300_000, seed), Buffer.alloc(70_000, seed + 100)];
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(l), size: l.length })),
    }),
  );
  const manifest: RawManifest = { bytes: manifestBytes, mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifestBytes) };
  const blobs = [config, ...layers].map((b) => ({ desc: { mediaType: 'x', digest: sha256(b), size: b.length }, bytes: b }));
  return { manifest, blobs };
}

/** The image reads back from the bundle: manifest by tag, every blob with its digest. */
async function expectImage(out: string, img: ReturnType<typeof image>, repo = 'example.org/app'): Promise<void> {
  const src = await openOciArchiveSource(out);
  expect((await src.getManifest(repo, '1')).digest).toBe(img.manifest.digest);
  for (const b of img.blobs) {
    const chunks: Buffer[] = [];
    for await (const c of await src.getBlob(repo, b.desc)) chunks.push(c as Buffer);
    expect(sha256(Buffer.concat(chunks))).toBe(b.desc.digest);
  }
  await src.close();
}

/** What the copy engine's planning pass tells an archive before the first blob. */
function planOf(img: ReturnType<typeof image>, extra: Array<{ digest: string; size: number }> = []) {
  return { blobs: [...img.blobs.map((b) => b.desc), ...extra], manifests: [img.manifest] };
}

/** A stream that yields `bytes` up to `failAt`, then errors (a dropped connection). */
function failingStream(bytes: Buffer, failAt: number): Readable {
  return new Readable({
    read() {
      this.push(bytes.subarray(0, failAt));
      this.destroy(new Error('connection reset by peer'));
    },
  });
}

const ls = async (d: string): Promise<string[]> => (await readdir(d)).sort();

describe('layout writer', () => {
  it('verifies digest and size and stores nothing on mismatch', async () => {
    const dst = await openOciDirDestination(path.join(tmp.dir, 'w1'));
    const good = Buffer.from('hello');
    const desc = { mediaType: 'x', digest: sha256(good), size: 5 };
    await expect(dst.putBlob('r', desc, Readable.from([Buffer.from('hellp')]))).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH' });
    await expect(dst.putBlob('r', { ...desc, size: 4 }, Readable.from([good]))).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH' });
    await expect(dst.putBlob('r', desc, failingStream(good, 3))).rejects.toThrow(/connection reset/);
    expect(await dst.hasBlob('r', desc)).toBe(false);
    expect(await ls(path.join(tmp.dir, 'w1', 'blobs', 'sha256'))).toEqual([]);
    await dst.putBlob('r', desc, Readable.from([good]));
    expect(await dst.hasBlob('r', desc)).toBe(true);
    expect(await dst.hasBlob('r', { ...desc, size: 6 })).toBe(false);
    expect(await ls(path.join(tmp.dir, 'w1', 'blobs', 'sha256'))).toEqual([desc.digest.slice(7)]);
  });

  it('relies on a VerifyingStream for the same digest and size, and still fails on its mismatch', async () => {
    const dst = await openOciDirDestination(path.join(tmp.dir, 'w3'));
    const good = Buffer.from('verified elsewhere');
    const desc = { mediaType: 'x', digest: sha256(good), size: good.length };
    const wrong = Readable.from([Buffer.from('verified elsewhEre')]).pipe(new VerifyingStream('blob', desc.digest, desc.size));
    await expect(dst.putBlob('r', desc, wrong)).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH' });
    // a VerifyingStream for another digest does not vouch for this one
    const other = Buffer.from('other');
    const mislabelled = Readable.from([other]).pipe(new VerifyingStream('blob', sha256(other), other.length));
    await expect(dst.putBlob('r', { ...desc, size: other.length }, mislabelled)).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH' });
    expect(await ls(path.join(tmp.dir, 'w3', 'blobs', 'sha256'))).toEqual([]);
    await dst.putBlob('r', desc, Readable.from([good]).pipe(new VerifyingStream('blob', desc.digest, desc.size)));
    expect(await dst.hasBlob('r', desc)).toBe(true);
  });

  it('names images in index.json, replaces a moved tag, keeps other entries of an existing layout', async () => {
    const dir = path.join(tmp.dir, 'w2');
    const a = image(1);
    const b = image(2);
    let dst = await openOciDirDestination(dir);
    for (const img of [a, b]) for (const bl of img.blobs) await dst.putBlob('r', bl.desc, Readable.from([bl.bytes]));
    await dst.putManifest('docker.io/library/app', a.manifest, '1.0');
    await dst.putManifest('docker.io/library/app', a.manifest, 'stable');
    await dst.commit();
    dst = await openOciDirDestination(dir);
    await dst.putManifest('docker.io/library/app', b.manifest, 'stable');
    await dst.putManifest('docker.io/library/app', b.manifest, b.manifest.digest);
    await dst.commit();
    const idx = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8'));
    const names = idx.manifests.map((m: { annotations: Record<string, string>; digest: string }) => [m.annotations['org.opencontainers.image.ref.name'], m.digest]);
    expect(names).toEqual([
      ['docker.io/library/app:1.0', a.manifest.digest],
      ['docker.io/library/app:stable', b.manifest.digest],
      [`docker.io/library/app@${b.manifest.digest}`, b.manifest.digest],
    ]);
    expect(idx.manifests[0].annotations['io.containerd.image.name']).toBe('docker.io/library/app:1.0');
    expect(await readFile(path.join(dir, 'oci-layout'), 'utf8')).toBe('{"imageLayoutVersion":"1.0.0"}');
    const src = await openOciDirSource(dir);
    expect((await src.resolveManifest('docker.io/library/app', 'stable'))?.digest).toBe(b.manifest.digest);
    expect((await dst.resolveManifest('docker.io/library/app', '1.0'))?.digest).toBe(a.manifest.digest);
    expect(await dst.resolveManifest('docker.io/library/app', 'nope')).toBeUndefined();
    expect((await dst.resolveManifest('other', a.manifest.digest))?.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(await ls(dir)).toEqual(['blobs', 'index.json', 'oci-layout']);
  });
});

describe('oci-dir writer: index.json looked up by name, not re-sorted per lookup', () => {
  it('finds the entries of an existing index.json and this run\'s, keeps the index\'s own fields, writes the entries sorted', async () => {
    const dir = path.join(tmp.dir, 'w-index');
    const a = image(21);
    const b = image(22);
    let dst = await openOciDirDestination(dir);
    await dst.putManifest('example.org/z', a.manifest, '1');
    await dst.putManifest('example.org/a', a.manifest, '1');
    await dst.commit();
    // another tool's index.json: its own annotations, an unnamed entry, entries out of order
    const idx = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8'));
    idx.annotations = { 'org.example.by': 'another tool' };
    idx.manifests.reverse();
    idx.manifests.push({ mediaType: b.manifest.mediaType, digest: b.manifest.digest, size: b.manifest.bytes.length });
    await writeFile(path.join(dir, 'index.json'), JSON.stringify(idx));
    dst = await openOciDirDestination(dir);
    expect((await dst.resolveManifest('example.org/z', '1'))?.digest).toBe(a.manifest.digest);
    expect((await dst.resolveManifest('', b.manifest.digest))?.digest).toBe(b.manifest.digest);
    expect(await dst.resolveManifest('example.org/b', '1')).toBeUndefined();
    await dst.putManifest('example.org/b', b.manifest, '1');
    await dst.putManifest('example.org/z', b.manifest, '1');
    expect((await dst.resolveManifest('example.org/b', '1'))?.digest).toBe(b.manifest.digest);
    expect((await dst.resolveManifest('example.org/z', '1'))?.digest).toBe(b.manifest.digest);
    await dst.commit();
    const out = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8'));
    expect(out.annotations).toEqual({ 'org.example.by': 'another tool' });
    expect(out.manifests.map((m: { annotations?: Record<string, string>; digest: string }) => [m.annotations?.['org.opencontainers.image.ref.name'], m.digest])).toEqual([
      ['example.org/a:1', a.manifest.digest],
      ['example.org/b:1', b.manifest.digest],
      ['example.org/z:1', b.manifest.digest],
      [undefined, b.manifest.digest],
    ]);
  });
});

describe('oci-archive writer: interruption, staging reuse, atomic output', () => {
  it('an interrupted run leaves nothing at the output path; a re-run with the same plan reuses the stored blobs in place', async () => {
    const out = path.join(tmp.dir, 'i1', 'bundle.tar');
    await mkdir(path.dirname(out));
    const img = image(3);
    let dst = await openOciArchiveDestination(out);
    await dst.prepare(planOf(img));
    await dst.putBlob('r', img.blobs[0]!.desc, Readable.from([img.blobs[0]!.bytes]));
    await dst.putBlob('r', img.blobs[1]!.desc, Readable.from([img.blobs[1]!.bytes]));
    await expect(dst.putBlob('r', img.blobs[2]!.desc, failingStream(img.blobs[2]!.bytes, 1000))).rejects.toThrow();
    expect(await dst.hasBlob('r', img.blobs[2]!.desc)).toBe(false);
    await dst.close(); // no commit: the run failed
    expect(await ls(path.dirname(out))).toEqual(['bundle.tar.airlift-staging']);

    dst = await openOciArchiveDestination(out);
    await dst.prepare(planOf(img));
    expect(await dst.hasBlob('r', img.blobs[0]!.desc)).toBe(true);
    expect(await dst.hasBlob('r', img.blobs[1]!.desc)).toBe(true);
    expect(await dst.hasBlob('r', img.blobs[2]!.desc)).toBe(false);
    await dst.putBlob('r', img.blobs[2]!.desc, Readable.from([img.blobs[2]!.bytes]));
    await dst.putManifest('example.org/app', img.manifest, '1');
    await dst.commit();
    expect(await ls(path.dirname(out))).toEqual(['bundle.tar']);
    await expectImage(out, img);
  });

  it('a re-run with another plan copies the blobs both share into the new layout, verified', async () => {
    const out = path.join(tmp.dir, 'i1b', 'bundle.tar');
    await mkdir(path.dirname(out));
    const img = image(13);
    const other = image(14);
    let dst = await openOciArchiveDestination(out);
    await dst.prepare(planOf(img));
    for (const b of img.blobs) await dst.putBlob('r', b.desc, Readable.from([b.bytes]));
    await dst.close();

    dst = await openOciArchiveDestination(out);
    await dst.prepare({ blobs: [...img.blobs, ...other.blobs].map((b) => b.desc), manifests: [img.manifest, other.manifest] });
    for (const b of img.blobs) expect(await dst.hasBlob('r', b.desc)).toBe(true);
    for (const b of other.blobs) {
      expect(await dst.hasBlob('r', b.desc)).toBe(false);
      await dst.putBlob('r', b.desc, Readable.from([b.bytes]));
    }
    await dst.putManifest('example.org/app', img.manifest, '1');
    await dst.putManifest('example.org/other', other.manifest, '1');
    await dst.commit();
    await expectImage(out, img);
    await expectImage(out, other, 'example.org/other');
  });

  it('a damaged stored blob from an earlier run is found when the staging is reused, and fetched again', async () => {
    const out = path.join(tmp.dir, 'i2', 'bundle.tar');
    await mkdir(path.dirname(out));
    const img = image(4);
    const victim = img.blobs[1]!;
    let dst = await openOciArchiveDestination(out);
    await dst.prepare(planOf(img));
    for (const b of img.blobs) await dst.putBlob('r', b.desc, Readable.from([b.bytes]));
    await dst.close();
    // one byte of the victim's data changes on disk
    const staging = stagingDirFor(out);
    const plan = JSON.parse(await readFile(path.join(staging, 'plan.json'), 'utf8')) as { blobs: Array<[string, number, number]> };
    const at = plan.blobs.find(([d]) => d === victim.desc.digest)![2] + 100;
    const fh = await open(path.join(staging, 'bundle.tar.partial'), 'r+');
    await fh.write(Buffer.from([victim.bytes[100]! ^ 0xff]), 0, 1, at);
    await fh.close();

    dst = await openOciArchiveDestination(out);
    await dst.prepare(planOf(img));
    expect(await dst.hasBlob('r', victim.desc)).toBe(false);
    expect(await dst.hasBlob('r', img.blobs[0]!.desc)).toBe(true);
    await dst.putBlob('r', victim.desc, Readable.from([victim.bytes]));
    await dst.putManifest('example.org/app', img.manifest, '1');
    await dst.commit();
    expect(await ls(path.dirname(out))).toEqual(['bundle.tar']);
    await expectImage(out, img);
  });

  it('refuses to commit when a planned blob was not stored, writing nothing', async () => {
    const out = path.join(tmp.dir, 'i3', 'bundle.tar');
    await mkdir(path.dirname(out));
    const img = image(5);
    const dst = await openOciArchiveDestination(out);
    await dst.prepare(planOf(img));
    await dst.putBlob('r', img.blobs[0]!.desc, Readable.from([img.blobs[0]!.bytes]));
    await dst.putManifest('example.org/app', img.manifest, '1');
    await expect(dst.commit()).rejects.toMatchObject({ code: 'E_BUNDLE', message: expect.stringContaining(img.blobs[1]!.desc.digest) });
    await dst.close(); // as save and copy do after a failed commit (their finally): the staged files stay, closed
    expect((await ls(path.dirname(out))).filter((n) => n !== 'bundle.tar.airlift-staging')).toEqual([]);
  });

  it('refuses a staging directory another live process holds, and takes over one whose process is gone', async () => {
    const out = path.join(tmp.dir, 'i3c', 'bundle.tar');
    await mkdir(path.dirname(out));
    const img = image(17);
    await mkdir(stagingDirFor(out));
    const lock = path.join(stagingDirFor(out), 'lock');
    await writeFile(lock, `${process.ppid}\n`); // alive: the process that started this test
    const dst = await openOciArchiveDestination(out);
    await expect(dst.prepare(planOf(img))).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining(`pid ${process.ppid}`) });
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    await writeFile(lock, `${gone}\n`);
    await dst.prepare(planOf(img));
    expect((await readFile(lock, 'utf8')).trim()).toBe(String(process.pid));
    await dst.close();
    await expect(stat(lock)).rejects.toThrow();
  });

  it('refuses a blob outside the plan, and any blob before prepare()', async () => {
    const out = path.join(tmp.dir, 'i3b', 'bundle.tar');
    await mkdir(path.dirname(out));
    const img = image(15);
    const stray = image(16).blobs[1]!;
    const dst = await openOciArchiveDestination(out);
    await expect(dst.putBlob('r', stray.desc, Readable.from([stray.bytes]))).rejects.toMatchObject({ code: 'E_BUNDLE', message: expect.stringContaining('nothing was planned') });
    await dst.prepare(planOf(img));
    await expect(dst.putBlob('r', stray.desc, Readable.from([stray.bytes]))).rejects.toMatchObject({ code: 'E_BUNDLE', message: expect.stringContaining(stray.desc.digest) });
    await dst.close();
  });

  it('replaces an existing output only when complete, takes extra files by path, and refuses layout names', async () => {
    const out = path.join(tmp.dir, 'i4', 'bundle.tar');
    await mkdir(path.dirname(out));
    await writeFile(out, 'previous bundle');
    const chart = path.join(tmp.dir, 'i4-chart.tgz');
    await writeFile(chart, Buffer.alloc(5000, 1));
    const img = image(6);
    const dst = await openOciArchiveDestination(out);
    await dst.prepare(planOf(img));
    expect(() => dst.addFile('index.json', Buffer.from('x'))).toThrow(/belongs to the OCI layout/);
    expect(() => dst.addFile('blobs/sha256/abc', Buffer.from('x'))).toThrow(/belongs to the OCI layout/);
    expect(() => dst.addFile('../x', Buffer.from('x'))).toThrow(/outside/);
    dst.addFile('charts/app-1.0.0.tgz', chart);
    for (const bl of img.blobs) await dst.putBlob('r', bl.desc, Readable.from([bl.bytes]));
    expect(await readFile(out, 'utf8')).toBe('previous bundle');
    await dst.putManifest('example.org/app', img.manifest, '1');
    await dst.commit();
    const src = await openOciArchiveSource(out);
    expect(await src.extraFiles()).toEqual(['charts/app-1.0.0.tgz']);
    expect((await src.readFile('charts/app-1.0.0.tgz', 10_000)).equals(Buffer.alloc(5000, 1))).toBe(true);
    await src.close();
    expect((await stat(out)).size % 512).toBe(0);
  });

  it('writes long names (pax) that GNU tar and the reader agree on, including sha512 blob paths', async () => {
    const out = path.join(tmp.dir, 'i5', 'bundle.tar');
    await mkdir(path.dirname(out));
    const data = Buffer.from('sha512 content');
    const d512 = `sha512:${createHash('sha512').update(data).digest('hex')}`;
    const manifestBytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d512, size: data.length },
        layers: [],
      }),
    );
    const manifest: RawManifest = { bytes: manifestBytes, mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifestBytes) };
    const dst = await openOciArchiveDestination(out);
    await dst.prepare({ blobs: [{ digest: d512, size: data.length }], manifests: [manifest] });
    await dst.putBlob('r', { mediaType: 'x', digest: d512, size: data.length }, Readable.from([data]));
    await dst.putManifest('registry.example.org:5000/team/app', manifest, '1');
    const longName = `charts/${'a-very-long-chart-name-'.repeat(6)}1.0.0.tgz`;
    dst.addFile(longName, Buffer.from('chart'));
    await dst.commit();
    const listed = execFileSync('tar', ['-tf', out], { encoding: 'utf8' }).trim().split('\n');
    expect(listed).toContain(`blobs/sha512/${d512.slice(7)}`);
    expect(listed).toContain(longName);
    // oci-layout, the blobs (laid out before any arrives), then index.json and the extra files
    expect(listed[0]).toBe('oci-layout');
    expect(listed.indexOf('index.json')).toBeGreaterThan(listed.indexOf(`blobs/sha512/${d512.slice(7)}`));
    const src = await openOciArchiveSource(out);
    const chunks: Buffer[] = [];
    for await (const c of await src.getBlob('r', { mediaType: 'x', digest: d512, size: data.length })) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('sha512 content');
    expect((await src.readFile(longName, 100)).toString()).toBe('chart');
    await src.close();
  });

  it('stages `-` (stdout) under a name made from the command\'s directory: the same for a re-run there, another for another directory', async () => {
    const stdout = new PassThrough();
    const at = async (cwd: string): Promise<string> => (await openOciArchiveDestination('-', { stdout, cwd })).stagingDir;
    const a = await at(path.join(tmp.dir, 'a'));
    expect(await at(path.join(tmp.dir, 'a'))).toBe(a);
    expect(await at(path.join(tmp.dir, 'b'))).not.toBe(a);
    expect(a).toBe(stagingDirFor(path.join(tmp.dir, 'a', '-'), true));
    expect(a.startsWith(os.tmpdir())).toBe(true);
  });

  it('names a missing output directory and refuses a directory as output', async () => {
    await expect(openOciArchiveDestination(path.join(tmp.dir, 'no-such-dir', 'b.tar'))).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: expect.stringContaining('no-such-dir') });
    await expect(openOciArchiveDestination(tmp.dir)).rejects.toMatchObject({ code: 'E_USAGE' });
  });
});
