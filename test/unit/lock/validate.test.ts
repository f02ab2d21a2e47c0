import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, NotFoundError } from '../../../src/errors.js';
import { formatLock, parseLock, readLock, writeLock } from '../../../src/lock/io.js';
import { dg, img, lock } from './fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-lock-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

describe('parseLock', () => {
  it('accepts a valid lock and keeps unknown fields', () => {
    const l = { ...lock([img('docker.io/library/nginx:1.25')]), extra: { x: 1 } };
    const parsed = parseLock(JSON.stringify(l), 'a.json');
    expect(parsed.images[0]!.source).toBe('docker.io/library/nginx:1.25');
    expect((parsed as unknown as { extra: unknown }).extra).toEqual({ x: 1 });
  });

  it('treats missing charts as none', () => {
    const { charts: _c, ...l } = lock([img('docker.io/a/b:1')]);
    expect(parseLock(JSON.stringify(l), 'a.json').charts).toEqual([]);
  });

  it.each([
    ['not json', '{', 'bad.json: not valid JSON'],
    ['an array', '[]', 'bad.json: (top level): expected an object'],
    ['wrong version', JSON.stringify({ ...lock([]), version: 2 }), 'bad.json: version: expected 1, got number 2 (written by a newer airlift'],
    ['no generator', JSON.stringify({ ...lock([]), generator: undefined }), 'bad.json: generator: expected a non-empty string, got nothing'],
    ['images not array', JSON.stringify({ ...lock([]), images: {} }), 'bad.json: images: expected an array, got an object'],
    ['bad digest', JSON.stringify(lock([img('docker.io/a/b:1'), { ...img('docker.io/a/c:1'), digest: 'sha256:xyz' }])), 'bad.json: images[1].digest: invalid digest "sha256:xyz"'],
    ['missing source', JSON.stringify(lock([{ ...img('docker.io/a/b:1'), source: '' }])), 'bad.json: images[0].source: expected a non-empty string, got string ""'],
    ['negative size', JSON.stringify(lock([{ ...img('docker.io/a/b:1'), size: -1 }])), 'bad.json: images[0].size: expected a whole number of bytes'],
    ['fractional referrer size', JSON.stringify(lock([{ ...img('docker.io/a/b:1'), referrers: [{ subject: dg('s'), digest: dg('r'), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1.5 }] } as never])), 'bad.json: images[0].referrers[0].size: expected a whole number of bytes, got number 1.5'],
    ['file size as a string', JSON.stringify({ ...lock([]), files: [{ file: 'airlift/SHA256SUMS', digest: dg('f'), size: '3' }] }), 'bad.json: files[0].size: expected a whole number of bytes, got string "3"'],
    ['bad platform', JSON.stringify(lock([{ ...img('docker.io/a/b:1'), platforms: ['linux'] }])), 'bad.json: images[0].platforms[0]: expected "os/arch[/variant]"'],
    ['bad chart', JSON.stringify(lock([], { charts: [{ name: 'x' } as never] })), 'bad.json: charts[0].version: expected a non-empty string'],
    ['bad filtered', JSON.stringify(lock([{ ...img('docker.io/a/b:1'), filtered: { sourceDigest: 'nope', note: 'n' } }])), 'bad.json: images[0].filtered.sourceDigest: invalid digest'],
  ])('refuses %s, naming the file and field', (_name, text, message) => {
    const e = inputError(() => parseLock(text, 'bad.json'));
    expect(e.message).toContain(message);
    expect(e.hint).toContain('bad.json');
  });
});

describe('formatLock / writeLock / readLock', () => {
  it('writes a canonical lock: images sorted by source, stable key order, trailing newline', () => {
    const a = img('quay.io/z/z:1', 'z', { platforms: ['linux/arm64', 'linux/amd64'] });
    const b = img('docker.io/a/a:1', 'a');
    // keys in an unusual order
    const shuffled = { images: [a, b], charts: [], target: 't:1', generator: 'g', version: 1 } as const;
    const text = formatLock(shuffled as never);
    expect(text.endsWith('}\n')).toBe(true);
    const doc = JSON.parse(text);
    expect(Object.keys(doc)).toEqual(['version', 'generator', 'target', 'charts', 'images']);
    expect(doc.images.map((i: { source: string }) => i.source)).toEqual(['docker.io/a/a:1', 'quay.io/z/z:1']);
    expect(Object.keys(doc.images[0])).toEqual(['source', 'destination', 'digest', 'mediaType', 'size', 'platforms']);
    expect(doc.images[1].platforms).toEqual(['linux/amd64', 'linux/arm64']);
    // same lock, other order → same bytes
    expect(formatLock({ ...shuffled, images: [b, a] } as never)).toBe(text);
  });

  it('round-trips through a file and leaves no temporary file behind', async () => {
    const file = path.join(dir, 'rt.json');
    const l = lock([img('docker.io/b/b:1'), img('docker.io/a/a:1')]);
    await writeLock(file, l);
    const back = await readLock(file);
    expect(back.images.map((i) => i.source)).toEqual(['docker.io/a/a:1', 'docker.io/b/b:1']);
    expect(back.images[0]!.digest).toBe(dg('docker.io/a/a:1'));
    expect((await readdir(dir)).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('replaces an existing file atomically and keeps the old content when writing fails', async () => {
    const file = path.join(dir, 'keep.json');
    await writeFile(file, 'old content');
    await expect(writeLock(path.join(dir, 'missing-dir', 'x.json'), lock([]))).rejects.toBeInstanceOf(NotFoundError);
    expect(await readFile(file, 'utf8')).toBe('old content');
    await writeLock(file, lock([img('docker.io/a/a:1')]));
    expect(JSON.parse(await readFile(file, 'utf8')).images).toHaveLength(1);
  });

  it('names a missing file', async () => {
    const file = path.join(dir, 'nope.json');
    await expect(readLock(file)).rejects.toThrow(new RegExp(`lock file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} does not exist`));
  });

  it('names a file with invalid content', async () => {
    const file = path.join(dir, 'invalid.json');
    await writeFile(file, JSON.stringify({ version: 1, generator: 'g', charts: [], images: [{ source: 'x' }] }));
    await expect(readLock(file)).rejects.toThrow(`${file}: images[0].digest`);
  });
});
