/**
 * The pieces of a differential bundle that need no registry: verify leaves out only the layers the
 * lock says the bundle leaves out (any other absent blob is damage), and the lock's `base`,
 * `blobs` and `missing` fields are validated and written in canonical order.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLayout, presetTiny, type GeneratedLayout } from '../../../fixtures/images/generate.js';
import { verifyLayout } from '../../../src/bundle/verify.js';
import { InputError } from '../../../src/errors.js';
import { DirFiles } from '../../../src/layout/files.js';
import { LayoutReader } from '../../../src/layout/reader.js';
import { blobPath } from '../../../src/layout/paths.js';
import { formatLock, parseLock } from '../../../src/lock/io.js';
import { mergeLocks } from '../../../src/lock/merge.js';
import { dg, img, lock } from '../lock/fixtures.js';
import { tempDir } from '../layout/helpers.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let gen: GeneratedLayout;
let layer: string;
beforeAll(async () => {
  tmp = await tempDir('airlift-differential-');
  gen = await generateLayout(path.join(tmp.dir, 'layout'), presetTiny());
  const alpha = gen.images.find((i) => i.name === 'fixtures/alpha')!;
  layer = alpha.manifests[0]!.layers[1]!.digest; // alpha's own layer
  await rm(path.join(gen.dir, blobPath(layer)));
});
afterAll(async () => tmp.cleanup());

describe('verifyLayout of a layout lacking a layer', () => {
  it('reports the layer missing when nothing says it is left out', async () => {
    const check = await verifyLayout(await LayoutReader.open(new DirFiles(gen.dir)), 2);
    const bad = check.images.filter((i) => i.status === 'bad');
    expect(bad.map((i) => i.image)).toEqual(['fixtures/alpha:1.0']);
    expect(bad[0]!.problems.join('\n')).toContain(`blob ${layer} (layer of`);
    expect(check.leftOut).toBe(0);
  });

  it('accepts it, counted as left out, when the lock leaves it out; another absent blob stays damage', async () => {
    const check = await verifyLayout(await LayoutReader.open(new DirFiles(gen.dir)), 2, undefined, { leftOut: new Set([layer]) });
    expect(check.images.every((i) => i.status === 'ok')).toBe(true);
    expect(check.leftOut).toBe(1);
    const other = await verifyLayout(await LayoutReader.open(new DirFiles(gen.dir)), 2, undefined, { leftOut: new Set([dg('x')]) });
    expect(other.images.find((i) => i.image === 'fixtures/alpha:1.0')!.status).toBe('bad');
  });
});

describe('lock fields of differential and --keep-going bundles', () => {
  const base = { file: 'full.tar', sha256: dg('tar'), lock: dg('lock'), images: [{ source: 'docker.io/library/b:1', digest: dg('b') }, { source: 'docker.io/library/a:1', digest: dg('a') }], blobs: [dg('2'), dg('1')], omitted: [dg('1')] };

  it('round-trips base, blobs and missing in canonical order', () => {
    const l = { ...lock([img('docker.io/library/nginx:1.25')]), blobs: [dg('z'), dg('y')], base, missing: [{ source: 'docker.io/library/x:1', code: 'E_NOT_FOUND', message: 'gone' }] };
    const text = formatLock(parseLock(JSON.stringify(l), 'a.json'));
    const back = JSON.parse(text) as { blobs: string[]; base: typeof base; missing: unknown[] };
    expect(back.blobs).toEqual([dg('z'), dg('y')].sort());
    expect(back.base.images.map((i) => i.source)).toEqual(['docker.io/library/a:1', 'docker.io/library/b:1']);
    expect(Object.keys(back.base)).toEqual(['file', 'sha256', 'lock', 'images', 'blobs', 'omitted']);
    expect(back.missing).toEqual([{ source: 'docker.io/library/x:1', code: 'E_NOT_FOUND', message: 'gone' }]);
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['version', 'generator', 'target', 'charts', 'images', 'missing', 'base', 'blobs']);
  });

  it('names the field of a bad digest in base or blobs', () => {
    const bad = (l: unknown): InputError => {
      try {
        parseLock(JSON.stringify(l), 'b.json');
      } catch (e) {
        return e as InputError;
      }
      throw new Error('expected an InputError');
    };
    expect(bad({ ...lock([]), blobs: ['nope'] }).message).toMatch(/^b\.json: blobs\[0\]: /);
    expect(bad({ ...lock([]), base: { ...base, omitted: [dg('1'), 42] } }).message).toMatch(/^b\.json: base\.omitted\[1\]: expected a digest/);
    expect(bad({ ...lock([]), base: { ...base, lock: undefined } }).message).toMatch(/^b\.json: base\.lock: /);
    expect(bad({ ...lock([]), missing: [{ source: 'x' }] }).message).toMatch(/^b\.json: missing\[0\]\.code: /);
  });

  it('lock merge unites the blobs of shard locks (when each lists them) and their missing images', () => {
    const a = { ...lock([img('docker.io/library/a:1')]), blobs: [dg('1'), dg('2')], missing: [{ source: 'docker.io/library/x:1', code: 'E_AUTH', message: 'refused' }] };
    const b = { ...lock([img('docker.io/library/b:1')]), blobs: [dg('2'), dg('3')] };
    const merged = mergeLocks([{ file: 'a.json', lock: a }, { file: 'b.json', lock: b }]);
    expect(merged.blobs).toEqual([dg('1'), dg('2'), dg('3')].sort());
    expect(merged.missing).toEqual(a.missing);
    const partial = mergeLocks([{ file: 'a.json', lock: a }, { file: 'c.json', lock: lock([img('docker.io/library/c:1')]) }]);
    expect(partial.blobs).toBeUndefined();
  });
});
