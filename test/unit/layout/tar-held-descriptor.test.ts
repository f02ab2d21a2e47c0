/** TarFiles reads through the descriptor it opened: a destroyed stream does not close it, a rename does not redirect it. */
import { createHash } from 'node:crypto';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TarFiles } from '../../../src/layout/tar-index.js';
import { sampleBundle, writeBundle } from '../../helpers/bundle.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-tar-held-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha = async (s: AsyncIterable<unknown>): Promise<string> => {
  const h = createHash('sha256');
  for await (const c of s) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
};

describe('TarFiles held descriptor', () => {
  it('keeps reading after a stream is destroyed half-way (an aborted upload)', async () => {
    const b = sampleBundle('example.com/a/b:1', 300_000);
    const file = path.join(dir, 'destroyed.tar');
    await writeBundle(file, b.entries);
    const tar = await TarFiles.open(file);
    try {
      const layer = `blobs/sha256/${b.layerDigest.slice(7)}`;
      const first = await tar.stream(layer, undefined, { chunk: 16 * 1024 });
      await new Promise<void>((resolve) => first.once('data', () => resolve()));
      first.destroy();
      await new Promise((r) => setTimeout(r, 50));
      expect(await sha(await tar.stream(layer))).toBe(b.layerDigest);
      expect((await tar.read(`blobs/sha256/${b.configDigest.slice(7)}`, 1 << 20)).length).toBeGreaterThan(0);
    } finally {
      await tar.close();
    }
  });

  it('reads the archive it indexed after the path is replaced by a rename', async () => {
    const a = sampleBundle('example.com/a/b:1', 100_000);
    const file = path.join(dir, 'renamed.tar');
    await writeBundle(file, a.entries);
    const tar = await TarFiles.open(file);
    try {
      const other = path.join(dir, 'other.tar');
      await writeBundle(other, [...sampleBundle('example.com/a/b:1', 90_000).entries].reverse());
      await rename(other, file);
      expect(await tar.replacedOnDisk()).toBe(true);
      expect(await sha(await tar.stream(`blobs/sha256/${a.layerDigest.slice(7)}`))).toBe(a.layerDigest);
    } finally {
      await tar.close();
    }
  });
});
