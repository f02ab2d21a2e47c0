/**
 * Reading a tar in place through compression frames and parts (src/layout/source-tar.ts): every
 * file and every byte range, including ranges that cross a frame or a part boundary, comes back
 * as written. zstd frames are made by node:zlib where this Node has zstd (22.15+, 24), else by the
 * zstd program (Node 20 reads them with fzstd); gzip by node:zlib; foreign streams by gzip/zstd.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAME_BYTES, compressFrame, nodeHasZstd, zstdSeekTable, type Compression } from '../../../src/layout/compression.js';
import { SequentialSource } from '../../../src/layout/compressed-source.js';
import { deliverArchive } from '../../../src/layout/deliver.js';
import { SourceTarFiles, archiveForm, openArchiveFiles } from '../../../src/layout/source-tar.js';
import { TarFiles } from '../../../src/layout/tar-index.js';
import { writeTar } from '../../../src/layout/tar-writer.js';

let tmp: string;
let tar: string;
const files: Record<string, Buffer> = {
  'oci-layout': Buffer.from('{"imageLayoutVersion":"1.0.0"}'),
  'small.json': Buffer.from('{"a":1}'),
  'big.bin': randomBytes(3 * FRAME_BYTES + 12345),
  'text.txt': Buffer.from('hello '.repeat(300_000)),
  // over the 8 MiB a forward cursor keeps behind it: readers far apart need cursors of their own
  'long.bin': Buffer.from(Uint8Array.from({ length: 20 * 1024 * 1024 }, (_, i) => (i * 7 + (i >> 12)) % 251)),
};

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'airlift-compressed-parts-'));
  tar = path.join(tmp, 'bundle.tar');
  const fh = await open(tar, 'w+');
  await writeTar(
    fh,
    Object.entries(files).map(([name, data]) => ({ name, data })),
  );
  await fh.close();
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function zstdFrameByProgram(data: Buffer): Promise<Buffer> {
  return execFileSync('zstd', ['-q', '-c', '-3'], { input: data, maxBuffer: 64 * 1024 * 1024 });
}

/** A seekable compressed copy of the tar, frames made here (zstd by the program when Node lacks it). */
async function seekable(kind: Compression): Promise<string> {
  const whole = await readFile(tar);
  const out: Buffer[] = [];
  const frames: Array<{ compressed: number; size: number }> = [];
  for (let at = 0; at < whole.length; at += FRAME_BYTES) {
    const chunk = whole.subarray(at, Math.min(whole.length, at + FRAME_BYTES));
    const c = kind === 'zstd' && !nodeHasZstd() ? await zstdFrameByProgram(chunk) : await compressFrame(kind, chunk);
    out.push(c);
    frames.push({ compressed: c.length, size: chunk.length });
  }
  if (kind === 'zstd') out.push(zstdSeekTable(frames));
  const file = path.join(tmp, `seekable.tar.${kind}`);
  await writeFile(file, Buffer.concat(out));
  return file;
}

async function expectSame(file: string): Promise<void> {
  const f = await openArchiveFiles(file);
  try {
    for (const [name, data] of Object.entries(files)) {
      expect(await f.size(name)).toBe(data.length);
      const chunks: Buffer[] = [];
      for await (const c of await f.stream(name, undefined, { chunk: 300_000 })) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).equals(data)).toBe(true);
    }
    // a range across the first frame boundary of big.bin's data
    const range = { start: FRAME_BYTES - 1000, end: FRAME_BYTES + 5000 };
    const chunks: Buffer[] = [];
    for await (const c of await f.stream('big.bin', range)) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(files['big.bin']!.subarray(range.start, range.end + 1))).toBe(true);
    expect((await f.read('small.json', 100)).toString()).toBe('{"a":1}');
  } finally {
    await f.close();
  }
}

describe('compressed and split tars, read in place', () => {
  it('a plain tar still opens as TarFiles (the fast path)', async () => {
    const f = await openArchiveFiles(tar);
    expect(f).toBeInstanceOf(TarFiles);
    await f.close();
  });

  for (const kind of ['gzip', 'zstd'] as const) {
    it(`seekable ${kind}: every file and a range across frames; seekable, not read forwards`, async () => {
      const file = await seekable(kind);
      await expectSame(file);
      const f = await openArchiveFiles(file);
      expect(f).toBeInstanceOf(SourceTarFiles);
      expect(archiveForm(f).compression).toMatchObject({ kind, seekable: true });
      await f.close();
      // the program decompresses it to the same tar
      const prog = kind === 'gzip' ? 'gzip' : 'zstd';
      expect(execFileSync(prog, ['-d', '-c', file], { maxBuffer: 64 * 1024 * 1024 }).equals(await readFile(tar))).toBe(true);
    });

    it(`foreign ${kind} (one stream, no seek table): read forwards, same bytes`, async () => {
      const file = path.join(tmp, `foreign.tar.${kind}`);
      await writeFile(file, execFileSync(kind === 'gzip' ? 'gzip' : 'zstd', ['-c', tar], { maxBuffer: 64 * 1024 * 1024 }));
      await expectSame(file);
      const f = await openArchiveFiles(file);
      expect(archiveForm(f).compression).toMatchObject({ kind, seekable: false });
      await f.close();
    });
  }

  it('a foreign stream read by two readers at once: each keeps its own forward cursor (no restart), bytes intact', async () => {
    const file = path.join(tmp, 'foreign-two.tar.gz');
    await writeFile(file, execFileSync('gzip', ['-c', tar], { maxBuffer: 64 * 1024 * 1024 }));
    const f = (await openArchiveFiles(file)) as SourceTarFiles;
    try {
      const big = files['long.bin']!;
      const ranges = [
        { start: 0, end: 6_000_000 },
        { start: 12_000_000, end: big.length - 1 },
      ];
      const got = await Promise.all(
        ranges.map(async (r) => {
          const chunks: Buffer[] = [];
          for await (const c of await f.stream('long.bin', r, { chunk: 64 * 1024 })) chunks.push(c as Buffer);
          return Buffer.concat(chunks);
        }),
      );
      ranges.forEach((r, i) => expect(got[i]!.equals(big.subarray(r.start, r.end + 1))).toBe(true));
      const src = f.source as SequentialSource;
      expect(src.restarts).toBe(0);
      expect(src.starts).toBeLessThanOrEqual(3); // the index pass, then one per reader at most
    } finally {
      await f.close();
    }
  });

  it('deliverArchive splits (and compresses) into parts read back through the .parts file or part 000', async () => {
    const copy = path.join(tmp, 'to-split.tar');
    await writeFile(copy, await readFile(tar));
    const out = path.join(tmp, 'split', 'b.tar.gz');
    await (await import('node:fs/promises')).mkdir(path.dirname(out));
    const d = await deliverArchive(copy, out, { compress: 'gzip', splitSize: 1024 * 1024 }, undefined);
    expect(d.files.length).toBeGreaterThanOrEqual(3);
    expect(d.files[d.files.length - 1]).toBe(`${out}.parts`);
    await expectSame(`${out}.parts`);
    await expectSame(`${out}.000`);
    const f = await openArchiveFiles(`${out}.001`);
    const form = archiveForm(f);
    expect(form.parts?.manifest.parts.length).toBe(d.files.length - 1);
    expect(form.compression).toMatchObject({ kind: 'gzip', seekable: true });
    await f.close();
    await expect(readFile(copy)).rejects.toThrow(); // the whole tar is gone
  });

  it('deliverArchive splits a tar in place from its end: exact multiples, parts joined give the tar back, sha256 each', async () => {
    const whole = randomBytes(3 * 1024 * 1024);
    const from = path.join(tmp, 'exact.tar');
    await writeFile(from, whole);
    const out = path.join(tmp, 'exact', 'b.tar');
    await (await import('node:fs/promises')).mkdir(path.dirname(out));
    const d = await deliverArchive(from, out, { splitSize: 1024 * 1024 });
    expect(d.files.map((f) => path.basename(f))).toEqual(['b.tar.000', 'b.tar.001', 'b.tar.002', 'b.tar.parts']);
    const parts = await Promise.all(d.files.slice(0, 3).map((f) => readFile(f)));
    expect(Buffer.concat(parts).equals(whole)).toBe(true);
    const manifest = JSON.parse(await readFile(`${out}.parts`, 'utf8')) as { total: number; parts: Array<{ size: number; sha256: string }> };
    expect(manifest.total).toBe(whole.length);
    for (const [i, p] of manifest.parts.entries()) {
      expect(p.size).toBe(1024 * 1024);
      expect(p.sha256).toBe(`sha256:${execFileSync('sha256sum', [d.files[i]!], { encoding: 'utf8' }).split(' ')[0]}`);
    }
    expect((await (await import('node:fs/promises')).readdir(path.dirname(out))).sort()).toEqual(['b.tar.000', 'b.tar.001', 'b.tar.002', 'b.tar.parts']);
    await expect(readFile(from)).rejects.toThrow();
  });
});
