/**
 * Fuzz of the bundle reader (deterministic seeds, bounded in count and time):
 * a small valid bundle is mutated (flipped bytes, truncation, garbage,
 * header fields, swapped JSON) and read by the production reader the way
 * `verify` reads it: openBundle, its images and lock, then verifyLayout
 * (every blob re-hashed, every image's tree walked). Every outcome is success
 * or an AirliftError with a stable code (never E_INTERNAL, never a crash or
 * hang), and nothing is ever written next to the bundle.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleImages, bundleLock, openBundle } from '../../../src/bundle/images.js';
import { verifyLayout } from '../../../src/bundle/verify.js';
import { AirliftError } from '../../../src/errors.js';
import { sampleBundle, tarBytes } from '../../helpers/bundle.js';
import { rng, type Rng } from './prng.js';

const BUDGET_MS = 2000;
const MAX_CASES = 600;
/** Cases per seed run whatever the time budget, so that a loaded machine still covers the mutations. */
const MIN_CASES_PER_SEED = 20;

/**
 * Reads a bundle completely with the production reader. Returns how many blobs were re-hashed;
 * throws an AirliftError for what the reader refuses, and for problems verifyLayout reports
 * (E_DIGEST_MISMATCH for damaged blobs, E_TOO_LARGE for an oversized manifest, else E_BUNDLE).
 */
export async function readWholeBundle(file: string): Promise<number> {
  const source = await openBundle(file);
  try {
    bundleImages(source, file);
    await bundleLock(source, file);
    const check = await verifyLayout(source.reader, 2);
    const problems = check.images.flatMap((i) => i.problems);
    if (check.damaged.size > 0) throw new AirliftError('E_DIGEST_MISMATCH', `${file}: ${[...check.damaged.values()].join('; ')}`);
    if (check.images.some((i) => i.tooLarge)) throw new AirliftError('E_TOO_LARGE', `${file}: ${problems.join('; ')}`);
    if (problems.length) throw new AirliftError('E_BUNDLE', `${file}: ${problems.join('; ')}`);
    return check.blobsChecked;
  } finally {
    await source.close();
  }
}

function mutate(r: Rng, base: Buffer): Buffer {
  const b = Buffer.from(base);
  switch (r.int(6)) {
    case 0: {
      // flip 1-4 random bytes anywhere
      const n = r.int(4) + 1;
      for (let i = 0; i < n; i++) b[r.int(b.length)] = r.int(256);
      return b;
    }
    case 1: // truncate
      return b.subarray(0, r.int(b.length));
    case 2: {
      // a flipped byte inside a header field of one of the first entries (name, size, type, checksum)
      const block = r.int(Math.min(14, b.length / 512)) * 512;
      const field = r.pick([0, 50, 99, 124, 130, 135, 148, 156, 257, 345]);
      b[block + field + r.int(4)] = r.pick([0, 0x2e, 0x2f, 0x37, 0x39, 0x80, 0xff, r.int(256)]);
      return b;
    }
    case 3: // garbage appended or prepended
      return r.next() < 0.5 ? Buffer.concat([b, r.bytes(r.int(2000))]) : Buffer.concat([r.bytes(r.int(1024)), b]);
    case 4: {
      // a copied 512-byte block at another block boundary
      const blocks = Math.floor(b.length / 512);
      const from = r.int(blocks) * 512;
      const to = r.int(blocks) * 512;
      b.copy(b, to, from, from + 512);
      return b;
    }
    default:
      return r.bytes(r.int(3000));
  }
}

let dir: string;
let valid: Buffer;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-fuzz-bundle-'));
  valid = await tarBytes(sampleBundle().entries);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function outcome(bytes: Buffer, name: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  try {
    await readWholeBundle(file);
    return 'ok';
  } catch (err) {
    if (!(err instanceof AirliftError)) throw new Error(`non-AirliftError for ${name}: ${String((err as Error)?.stack ?? err)}`);
    if (err.code === 'E_INTERNAL') throw new Error(`E_INTERNAL for ${name}: ${err.message}`);
    return err.code;
  } finally {
    await rm(file, { force: true });
  }
}

describe('bundle reader fuzz', () => {
  it('reads the unmutated bundle completely', async () => {
    const file = path.join(dir, 'valid.tar');
    await writeFile(file, valid);
    expect(await readWholeBundle(file)).toBe(3); // config, layer and manifest
    await rm(file);
  });

  it('answers mutated bundles only with AirliftError codes, and writes nothing', async () => {
    const started = Date.now();
    const codes = new Map<string, number>();
    let cases = 0;
    for (const seed of [3, 11, 99]) {
      const r = rng(seed);
      for (let i = 0; i < MAX_CASES / 3 && (i < MIN_CASES_PER_SEED || Date.now() - started < (BUDGET_MS * ([3, 11, 99].indexOf(seed) + 1)) / 3); i++) {
        const code = await outcome(mutate(r, valid), `case-${seed}-${i}.tar`);
        codes.set(code, (codes.get(code) ?? 0) + 1);
        cases++;
      }
    }
    expect(await readdir(dir)).toEqual([]);
    expect(cases).toBeGreaterThan(50);
    // The mutations must reach past the tar layer into JSON and digest checks.
    expect(codes.get('E_BUNDLE') ?? 0).toBeGreaterThan(0);
    expect([...codes.keys()].some((c) => c === 'E_DIGEST_MISMATCH' || c === 'ok')).toBe(true);
  });
});
