/**
 * PlannedTar.writer, the push form of write() (issue #22, save big: a registry's blob GET hands
 * each chunk straight to the archive, with no stream between). Judged against write(): the same
 * blobs give the same archive byte for byte, a changed byte, a short body or a long one is
 * refused and never counted as stored, and a writer that asks its caller to wait (both buffers
 * full) still writes every byte in order.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/digest/index.js';
import { PlannedTar } from '../../../src/layout/planned-tar.js';
import type { BlobWriter } from '../../../src/endpoint/types.js';
import { expectChangedByteRefused, randomBlob, tempDir } from './helpers.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => tmp.cleanup());

const MiB = 1024 * 1024;

const blob = randomBlob;

function chunks(bytes: Buffer, chunk = 65_521): Buffer[] {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  return parts;
}

/** Pushes the chunks as a socket would (one after another, waiting when asked); how many times it was asked to wait. */
async function push(w: BlobWriter, bytes: Buffer, chunk?: number): Promise<number> {
  let waits = 0;
  for (const c of chunks(bytes, chunk)) {
    const wait = w.write(c);
    if (wait) {
      waits++;
      await wait;
    }
  }
  return waits;
}

describe('PlannedTar.writer', () => {
  const blobs = [blob(1), blob(700_000), blob(MiB), blob(5 * MiB + 12_345), blob(0)];

  it('gives the archive write() gives, byte for byte, and asks the caller to wait when both buffers are full', async () => {
    const streamed = await PlannedTar.open(path.join(tmp.dir, 'a.staging'), blobs.map((b) => b.desc));
    await Promise.all(blobs.map((b) => streamed.write(b.desc, Readable.from(chunks(b.bytes)))));
    await streamed.finish([{ name: 'index.json', data: Buffer.from('{}') }], path.join(tmp.dir, 'a.tar'));

    const pushed = await PlannedTar.open(path.join(tmp.dir, 'b.staging'), blobs.map((b) => b.desc));
    const waits = await Promise.all(
      blobs.map(async (b) => {
        const w = pushed.writer(b.desc);
        const n = await push(w, b.bytes);
        await w.end();
        return n;
      }),
    );
    expect(pushed.missing()).toEqual([]);
    await pushed.finish([{ name: 'index.json', data: Buffer.from('{}') }], path.join(tmp.dir, 'b.tar'));
    expect(sha256(await readFile(path.join(tmp.dir, 'b.tar')))).toBe(sha256(await readFile(path.join(tmp.dir, 'a.tar'))));
    // the 5 MiB blob, pushed without a pause, filled both buffers before the first write ended
    expect(waits[3]).toBeGreaterThan(0);
  });

  for (const [label, size] of [
    ['inline', 300_000],
    ['on the hashing thread', 2 * MiB + 7],
  ] as const) {
    it(`refuses one changed byte (${label}): E_DIGEST_MISMATCH naming the blob, not stored`, async () => {
      const b = blob(size);
      const bad = Buffer.from(b.bytes);
      bad[size - 3] = (bad[size - 3] ?? 0) ^ 0xff;
      const tar = await PlannedTar.open(path.join(tmp.dir, `bad-${size}.staging`), [b.desc]);
      try {
        const w = tar.writer(b.desc);
        await push(w, bad);
        await expectChangedByteRefused(tar, b.desc, bad, w.end(), path.join(tmp.dir, `bad-${size}.tar`));
      } finally {
        await tar.close();
      }
    });

    it(`refuses a short body at end() and a long one at write() (${label}); the right bytes afterwards are stored`, async () => {
      const b = blob(size);
      const tar = await PlannedTar.open(path.join(tmp.dir, `len-${size}.staging`), [b.desc]);
      try {
        const short = tar.writer(b.desc);
        await push(short, b.bytes.subarray(0, size - 1));
        await expect(short.end()).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH' });
        const long = tar.writer(b.desc);
        await expect(push(long, Buffer.concat([b.bytes, Buffer.from('x')]))).rejects.toThrow(/more bytes than the descriptor's size/);
        await long.abort();
        expect(tar.has(b.desc.digest, b.desc.size)).toBe(false);
        const ok = tar.writer(b.desc);
        await push(ok, b.bytes);
        await ok.end();
        expect(tar.has(b.desc.digest, b.desc.size)).toBe(true);
      } finally {
        await tar.close();
      }
    });
  }

  it('abort() after part of a blob leaves it unstored, and the bundle cannot be finished without it', async () => {
    const b = blob(3 * MiB);
    const tar = await PlannedTar.open(path.join(tmp.dir, 'abort.staging'), [b.desc]);
    try {
      const w = tar.writer(b.desc);
      await push(w, b.bytes.subarray(0, 2 * MiB));
      await w.abort();
      expect(tar.missing()).toEqual([b.desc.digest]);
      await expect(tar.finish([], path.join(tmp.dir, 'abort.tar'))).rejects.toThrow(/was not stored/);
    } finally {
      await tar.close();
    }
  });
});
