/**
 * The tar index reads headers through a window (windowedReads): every read gives the file's bytes
 * at that position, across window boundaries, past the window's size and at the end of the file;
 * the index of a tar GNU tar wrote (many small files, larger ones between them, long names in pax
 * records) names every file at the offset and size GNU tar lists.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexTar, windowedReads } from '../../../src/layout/tar-index.js';
import { tempDir } from './helpers.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let dir: string;
beforeAll(async () => {
  tmp = await tempDir('airlift-tar-window-');
  dir = tmp.dir;
});
afterAll(() => tmp.cleanup());

describe('windowedReads', () => {
  it('gives the bytes at every position asked, whatever the window holds', async () => {
    const file = path.join(dir, 'random.bin');
    const bytes = randomBytes(300_000);
    await writeFile(file, bytes);
    const fh = await open(file, 'r');
    try {
      const readAt = windowedReads(fh.fd);
      // in order and out of order, small and larger than the window, across its end and the file's
      const asks: Array<[number, number]> = [[0, 512], [512, 512], [16_000, 1000], [16_384, 512], [100, 512], [20_000, 40_000], [299_800, 512], [300_000, 512], [310_000, 512], [150_000, 512]];
      for (let i = 0; i < 200; i++) asks.push([Math.floor(Math.random() * 300_000), 1 + Math.floor(Math.random() * 70_000)]);
      for (const [pos, len] of asks) {
        const buf = Buffer.alloc(len);
        const n = await readAt(buf, pos);
        const want = bytes.subarray(Math.min(pos, bytes.length), Math.min(pos + len, bytes.length));
        expect(n, `read of ${len} at ${pos}`).toBe(want.length);
        expect(buf.subarray(0, n).equals(want), `bytes of ${len} at ${pos}`).toBe(true);
      }
    } finally {
      await fh.close();
    }
  });

  it('indexes a tar GNU tar wrote as GNU tar lists it', async () => {
    const root = path.join(dir, 'tree');
    const names: string[] = [];
    for (let i = 0; i < 300; i++) {
      // small files together (their headers share a window), a larger one every 25th, a long name every 40th
      const name = i % 40 === 0 ? `long/${'n'.repeat(150)}-${i}` : `small/f${i}`;
      const size = i % 25 === 0 ? 70_000 + i : (i * 37) % 3000;
      await mkdir(path.join(root, path.dirname(name)), { recursive: true });
      await writeFile(path.join(root, name), randomBytes(size));
      names.push(name);
    }
    const tar = path.join(dir, 'gnu.tar');
    execFileSync('tar', ['--format=pax', '-cf', tar, '-C', root, ...names]);
    const index = await indexTar(tar);
    const whole = await readFile(tar);
    expect([...index.keys()].sort()).toEqual([...names].sort());
    for (const name of names) {
      const e = index.get(name)!;
      const content = await readFile(path.join(root, name));
      expect(e.size, name).toBe(content.length);
      expect(whole.subarray(e.offset, e.offset + e.size).equals(content), name).toBe(true);
    }
  });
});
