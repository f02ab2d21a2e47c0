import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/digest/index.js';
import { openOciArchiveSource as openArchive, type OciArchiveSource } from '../../../src/endpoint/oci-archive.js';
import { openOciDirSource } from '../../../src/endpoint/oci-dir.js';
import { indexTar } from '../../../src/layout/tar-index.js';
import { tempDir } from './helpers.js';
import { layoutEntries, makeTar, tinyLayout, writeTarFile } from './tar-fixtures.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let n = 0;
const file = (): string => path.join(tmp.dir, `t${++n}.tar`);

beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => tmp.cleanup());

// every archive opened by a test is closed after it (each holds its file open until closed)
const opened: OciArchiveSource[] = [];
async function openOciArchiveSource(p: string): Promise<OciArchiveSource> {
  const src = await openArchive(p);
  opened.push(src);
  return src;
}
afterEach(async () => {
  for (const src of opened.splice(0)) await src.close();
});

async function openErr(p: string): Promise<{ code: string; message: string }> {
  try {
    await openOciArchiveSource(p);
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error(`opening ${p} succeeded`);
}

describe('oci-archive reader refuses bad bundles with a clear error', () => {
  it('reads a valid tar (baseline for the cases below)', async () => {
    const t = tinyLayout();
    const p = file();
    await writeTarFile(p, layoutEntries(t.files));
    const src = await openOciArchiveSource(p);
    expect((await src.getManifest('example.com/app/web', '1.0')).digest).toBe(t.manifestDigest);
  });

  it('a file that is not a tar', async () => {
    const p = file();
    await writeFile(p, Buffer.from('this is a text file, not an archive\n'.repeat(40)));
    const e = await openErr(p);
    expect(e.code).toBe('E_BUNDLE');
    expect(e.message).toBe(`${p} is not a tar archive`);
  });

  it('a gzip-compressed tar (read forwards), gzip of no tar, a short file and an empty file', async () => {
    const gz = file();
    await writeFile(gz, gzipSync(await makeTar(layoutEntries(tinyLayout().files))));
    const opened = await openArchive(gz);
    expect(opened.images().length).toBeGreaterThan(0);
    await opened.close();
    const notTar = file();
    await writeFile(notTar, gzipSync(Buffer.from('hello')));
    expect((await openErr(notTar)).message).toBe(`${notTar} is not a tar archive`);
    const short = file();
    await writeFile(short, 'tiny');
    expect((await openErr(short)).message).toBe(`${short} is not a tar archive`);
    const empty = file();
    await writeFile(empty, '');
    expect((await openErr(empty)).message).toMatch(/is empty, not a tar archive/);
  });

  it('entries with ../, absolute paths, symlinks and hard links', async () => {
    const base = layoutEntries(tinyLayout().files);
    const cases: Array<[string, Parameters<typeof makeTar>[0][number], RegExp]> = [
      ['dotdot', { name: 'blobs/../../evil', data: 'x' }, /"blobs\/\.\.\/\.\.\/evil" points outside the archive/],
      ['dotdot-dir', { name: '../', type: 'directory' }, /points outside the archive/],
      ['absolute', { name: '/etc/evil', data: 'x' }, /"\/etc\/evil" has an absolute path/],
      ['symlink', { name: 'blobs/sha256/link', type: 'symlink', linkname: '/etc/passwd' }, /"blobs\/sha256\/link" is a symbolic link/],
      ['hardlink', { name: 'blobs/sha256/hard', type: 'link', linkname: 'index.json' }, /"blobs\/sha256\/hard" is a hard link/],
    ];
    for (const [, entry, re] of cases) {
      const p = file();
      await writeTarFile(p, [...base, entry]);
      const e = await openErr(p);
      expect(e.code).toBe('E_BUNDLE');
      expect(e.message).toMatch(re);
      expect(e.message).toContain(p);
    }
  });

  it('index.json that is not JSON, and a missing oci-layout', async () => {
    const t = tinyLayout();
    const p = file();
    await writeTarFile(p, layoutEntries({ ...t.files, 'index.json': Buffer.from('{"schemaVersion": 2, manifests: [') }));
    const e = await openErr(p);
    expect(e.code).toBe('E_BUNDLE');
    expect(e.message).toMatch(new RegExp(`^${p}: index.json is not valid JSON`));
    const q = file();
    const { 'oci-layout': _drop, ...rest } = t.files;
    await writeTarFile(q, layoutEntries(rest));
    expect((await openErr(q)).message).toMatch(/is not an OCI image layout: oci-layout is missing/);
  });

  it('an unsupported digest algorithm in index.json', async () => {
    const t = tinyLayout();
    const idx = JSON.parse(t.files['index.json']!.toString());
    idx.manifests[0].digest = 'md5:d41d8cd98f00b204e9800998ecf8427e';
    const p = file();
    await writeTarFile(p, layoutEntries({ ...t.files, 'index.json': Buffer.from(JSON.stringify(idx)) }));
    const e = await openErr(p);
    expect(e.code).toBe('E_UNSUPPORTED');
    expect(e.message).toMatch(/index.json: manifests\[0\]: unsupported digest algorithm "md5"/);
  });

  it('a manifest over 4 MiB', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
    big.write('{"schemaVersion":2,"config":{}}');
    const idx = { schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(big), size: big.length, annotations: { 'org.opencontainers.image.ref.name': 'x.io/big:1' } }] };
    const p = file();
    await writeTarFile(p, [
      { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
      { name: 'index.json', data: JSON.stringify(idx) },
      { name: `blobs/sha256/${sha256(big).slice(7)}`, data: big },
    ]);
    const src = await openOciArchiveSource(p);
    await expect(src.getManifest('x.io/big', '1')).rejects.toMatchObject({ code: 'E_TOO_LARGE', message: expect.stringMatching(/over the 4194304-byte manifest limit/) });
  });

  it('a missing blob, and a tampered manifest', async () => {
    const t = tinyLayout();
    const files = { ...t.files };
    delete files[`blobs/sha256/${t.layerDigest.slice(7)}`];
    const p = file();
    await writeTarFile(p, layoutEntries(files));
    const src = await openOciArchiveSource(p);
    await expect(src.getBlob('example.com/app/web', { mediaType: 'x', digest: t.layerDigest, size: 2048 })).rejects.toMatchObject({
      code: 'E_BUNDLE',
      message: `blob ${t.layerDigest} is missing from ${p}`,
    });
    const mpath = `blobs/sha256/${t.manifestDigest.slice(7)}`;
    const tampered = Buffer.from(t.files[mpath]!);
    tampered[tampered.length - 2] = 0x20;
    const q = file();
    await writeTarFile(q, layoutEntries({ ...t.files, [mpath]: tampered }));
    const src2 = await openOciArchiveSource(q);
    await expect(src2.getManifest('example.com/app/web', '1.0')).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH', message: expect.stringContaining(t.manifestDigest) });
  });

  it('a small blob as bytes: the same checks as its stream (present, of its size), every byte', async () => {
    const t = tinyLayout('example.com/app/web:1.0', 3000);
    const p = file();
    await writeTarFile(p, layoutEntries(t.files));
    const src = await openOciArchiveSource(p);
    const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: t.layerDigest, size: 3000 };
    const bytes = await src.getBlobBytes('example.com/app/web', layer);
    expect(bytes.equals(Buffer.alloc(3000, 7))).toBe(true);
    await expect(src.getBlobBytes('example.com/app/web', { ...layer, size: 2999 })).rejects.toMatchObject({ code: 'E_BUNDLE', message: expect.stringContaining('has 3000 bytes, but its descriptor says 2999') });
    const absent = { ...layer, digest: `sha256:${'0'.repeat(64)}` };
    await expect(src.getBlobBytes('example.com/app/web', absent)).rejects.toMatchObject({ code: 'E_BUNDLE', message: `blob ${absent.digest} is missing from ${p}` });
  });

  it('a truncated tar and a damaged header', async () => {
    const whole = await makeTar(layoutEntries(tinyLayout('a.io/b:1', 64 * 1024).files));
    const p = file();
    await writeFile(p, whole.subarray(0, whole.length - 20 * 1024));
    expect((await openErr(p)).message).toMatch(/is truncated/);
    const damaged = Buffer.from(whole);
    damaged[512 + 600] = damaged[512 + 600]! ^ 0xff; // inside the second header (oci-layout's data is one block)
    const q = file();
    await writeFile(q, damaged);
    expect((await openErr(q)).message).toMatch(/bad tar header checksum at offset 1024|is damaged/);
  });

  it('reads GNU long names, pax long names and ./ prefixes written by GNU tar', async () => {
    const t = tinyLayout();
    const dir = path.join(tmp.dir, 'gnu-src');
    for (const [name, data] of Object.entries(t.files)) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), data);
    }
    const longName = `charts/${'very-long-chart-name-'.repeat(8)}1.0.0.tgz`;
    await mkdir(path.join(dir, 'charts'), { recursive: true });
    await writeFile(path.join(dir, longName), 'chart bytes');
    for (const format of ['gnu', 'pax', 'ustar']) {
      const p = file();
      if (format === 'ustar') {
        // ustar cannot hold the long name; leave it out
        execFileSync('tar', ['--format=ustar', '-C', dir, '-cf', p, './oci-layout', './index.json', './blobs']);
      } else {
        execFileSync('tar', [`--format=${format}`, '-C', dir, '-cf', p, '.']);
      }
      const src = await openOciArchiveSource(p);
      expect((await src.getManifest('example.com/app/web', '1.0')).digest).toBe(t.manifestDigest);
      if (format !== 'ustar') {
        expect(await src.extraFiles()).toEqual([longName]);
        expect((await src.readFile(longName, 100)).toString()).toBe('chart bytes');
      }
    }
  });

  it('the tar index reads only headers: entry offsets point at the file data', async () => {
    const t = tinyLayout();
    const p = file();
    await writeTarFile(p, layoutEntries(t.files));
    const entries = await indexTar(p);
    const raw = await readFile(p);
    for (const [name, data] of Object.entries(t.files)) {
      const e = entries.get(name)!;
      expect(raw.subarray(e.offset, e.offset + e.size).equals(data)).toBe(true);
    }
  });
});

describe('oci-dir reader', () => {
  it('names a missing directory and a directory that is not a layout', async () => {
    await expect(openOciDirSource(path.join(tmp.dir, 'nope'))).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: expect.stringContaining('nope') });
    await mkdir(path.join(tmp.dir, 'empty'));
    await expect(openOciDirSource(path.join(tmp.dir, 'empty'))).rejects.toMatchObject({ code: 'E_BUNDLE', message: expect.stringMatching(/oci-layout is missing/) });
  });
});
