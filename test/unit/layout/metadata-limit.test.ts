/**
 * The metadata files airlift writes with a line per image (airlift.lock.json, index.json,
 * manifest.json) read up to MAX_METADATA_BYTES (sized for 100,000 images): a lock just over the old
 * 16 MiB cap reads; a file over the cap is refused naming the file and saying what to do. The files
 * over the cap are sparse (a size, no bytes), so the test costs no memory or disk for them.
 */
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleLock, openBundle } from '../../../src/bundle/images.js';
import { AirliftError } from '../../../src/errors.js';
import { MAX_METADATA_BYTES } from '../../../src/layout/limits.js';
import { layoutEntries, makeTar, tinyLayout } from './tar-fixtures.js';

const OLD_CAP = 16 * 1024 * 1024;
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tmp(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-meta-limit-'));
  dirs.push(dir);
  return dir;
}

function lockText(images: number): string {
  const list = Array.from({ length: images }, (_, i) => ({
    source: `registry.example.com/team/app-${String(i).padStart(6, '0')}:1.0`,
    digest: `sha256:${i.toString(16).padStart(64, '0')}`,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: 558,
    platforms: ['linux/amd64'],
  }));
  return `${JSON.stringify({ version: 1, generator: 'airlift test', charts: [], images: list }, null, 2)}\n`;
}

async function refusal(p: Promise<unknown>): Promise<AirliftError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AirliftError);
  return err as AirliftError;
}

describe('metadata size limit', () => {
  it('is sized for 100,000 images and under V8 longest string', () => {
    expect(MAX_METADATA_BYTES).toBeGreaterThanOrEqual(100_000 * 2048);
    expect(MAX_METADATA_BYTES).toBeLessThan(2 ** 29 - 24);
  });

  it('reads a bundle lock just over the old 16 MiB cap', async () => {
    const dir = await tmp();
    const images = 64_000;
    const text = lockText(images);
    expect(Buffer.byteLength(text)).toBeGreaterThan(OLD_CAP);
    const file = path.join(dir, 'bundle.tar');
    await writeFile(file, await makeTar([...layoutEntries(tinyLayout().files), { name: 'airlift.lock.json', data: text }]));
    const bundle = await openBundle(file);
    try {
      const lock = await bundleLock(bundle, file);
      expect(lock?.images.length).toBe(images);
      expect(lock?.images[images - 1]?.source).toBe('registry.example.com/team/app-063999:1.0');
    } finally {
      await bundle.close();
    }
  }, 60_000);

  it('refuses a bundle lock over the cap, naming it and saying what to do', async () => {
    const dir = await tmp();
    const file = path.join(dir, 'bundle.tar');
    // a tar whose last entry is airlift.lock.json of MAX + 1 bytes: the header patched, the data a hole
    const tar = await makeTar([...layoutEntries(tinyLayout().files), { name: 'airlift.lock.json', data: 'x' }]);
    const header = tar.length - 1024 - 512 - 512; // end-of-archive, the 1-byte entry's data block, its header
    expect(tar.toString('utf8', header, header + 17)).toBe('airlift.lock.json');
    const size = MAX_METADATA_BYTES + 1;
    tar.write(`${size.toString(8).padStart(11, '0')}\0`, header + 124, 'latin1');
    tar.fill(' ', header + 148, header + 156);
    let sum = 0;
    for (let i = header; i < header + 512; i++) sum += tar[i]!;
    tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, header + 148, 'latin1');
    await writeFile(file, tar.subarray(0, header + 512));
    await truncate(file, header + 512 + Math.ceil(size / 512) * 512 + 1024);
    const bundle = await openBundle(file);
    try {
      const err = await refusal(bundleLock(bundle, file));
      expect(err.code).toBe('E_TOO_LARGE');
      expect(err.message).toContain('airlift.lock.json');
      expect(err.message).toContain(String(size));
      expect(err.hint).toMatch(/several bundles/);
    } finally {
      await bundle.close();
    }
  });

  it('refuses a layout whose index.json is over the cap, naming it and saying what to do', async () => {
    const dir = path.join(await tmp(), 'layout');
    await mkdir(dir);
    const files = tinyLayout().files;
    for (const [name, data] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), data);
    }
    await truncate(path.join(dir, 'index.json'), MAX_METADATA_BYTES + 1);
    const err = await refusal(openBundle(dir));
    expect(err.code).toBe('E_TOO_LARGE');
    expect(err.message).toContain('index.json');
    expect(err.message).toContain(String(MAX_METADATA_BYTES + 1));
    expect(err.hint).toMatch(/several bundles/);
  });
});
