/**
 * readSaveBase (save --since): what an earlier bundle held, from the bundle (its blobs/ and its
 * lock, hashed) or from its lock alone, with its own bases' blobs; and the clear refusals: a lock
 * that lists no blobs (an older airlift, load or sync), a bundle without a lock, a directory, a
 * path that does not exist.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockBase, readSaveBase } from '../../../src/bundle/base.js';
import { formatLock } from '../../../src/lock/io.js';
import { sampleBundle, tarBytes } from '../../helpers/bundle.js';
import { dg, lock } from '../lock/fixtures.js';
import { tempDir } from '../layout/helpers.js';
import { sha256Digest as sha } from '../../helpers/digest.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
const p = (n: string): string => path.join(tmp.dir, n);
beforeAll(async () => {
  tmp = await tempDir('airlift-base-');
});
afterAll(async () => tmp.cleanup());

describe('readSaveBase', () => {
  it('reads a bundle: its blobs, its lock, the sha256 of both, and what its own base held', async () => {
    const s = sampleBundle();
    const text = formatLock({ ...lock([]), images: [{ source: s.ref, digest: s.manifestDigest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: s.manifest.length, platforms: [] }], base: { file: 'older.tar', lock: dg('l'), images: [], blobs: [dg('older')], omitted: [] } });
    const tar = await tarBytes([...s.entries, { name: 'airlift.lock.json', body: text }]);
    await writeFile(p('b.tar'), tar);
    const base = await readSaveBase(p('b.tar'), 'b.tar');
    expect(base.sha256).toBe(sha(tar));
    expect(base.lock).toBe(sha(text));
    expect(base.images).toEqual([{ source: s.ref, digest: s.manifestDigest }]);
    expect([...base.blobs].sort()).toEqual([s.manifestDigest, s.configDigest, s.layerDigest, dg('older')].sort());
    expect(lockBase(base, [s.layerDigest, s.layerDigest])).toMatchObject({ file: 'b.tar', sha256: sha(tar), omitted: [s.layerDigest] });
  });

  it('reads a lock that lists its blobs (no sha256 of a bundle then)', async () => {
    const text = formatLock({ ...lock([]), blobs: [dg('1')], base: { file: 'x', lock: dg('x'), images: [], blobs: [dg('0')], omitted: [] } });
    await writeFile(p('with-blobs.json'), text);
    const base = await readSaveBase(p('with-blobs.json'), 'with-blobs.json');
    expect(base.sha256).toBeUndefined();
    expect(base.lock).toBe(sha(text));
    expect([...base.blobs].sort()).toEqual([dg('0'), dg('1')].sort());
  });

  it('refuses a lock without blobs, a bundle without a lock, a directory and a missing path, naming them', async () => {
    await writeFile(p('loaded.lock.json'), formatLock(lock([])));
    await expect(readSaveBase(p('loaded.lock.json'), 'loaded.lock.json')).rejects.toMatchObject({ code: 'E_INPUT', message: expect.stringMatching(/^--since loaded\.lock\.json: the lock does not list the blobs/) });
    await writeFile(p('nolock.tar'), await tarBytes(sampleBundle().entries));
    await expect(readSaveBase(p('nolock.tar'), 'nolock.tar')).rejects.toMatchObject({ code: 'E_INPUT', message: expect.stringContaining('nolock.tar has no airlift.lock.json') });
    await mkdir(p('dir'));
    await expect(readSaveBase(p('dir'), 'dir')).rejects.toMatchObject({ code: 'E_INPUT', message: '--since dir is a directory' });
    await expect(readSaveBase(p('nope.tar'), 'nope.tar')).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: '--since nope.tar does not exist' });
  });
});
