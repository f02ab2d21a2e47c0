/**
 * PlannedTar's blob writes (issue #22, save big): each blob is copied into reused 1 MiB buffers and
 * written with its header, each hashed chunk by chunk as it arrives. Judged by GNU tar (the archive's entries and bytes) and
 * by the digest errors: a wrong byte, a short body or a long one is refused and never counted
 * as stored, and the bundle cannot be finished without it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VerifyingStream, sha256 } from '../../../src/digest/index.js';
import { PlannedTar } from '../../../src/layout/planned-tar.js';
import { expectChangedByteRefused, randomBlob, tempDir } from './helpers.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => tmp.cleanup());

const MiB = 1024 * 1024;

/** A body delivered in chunks of odd sizes (as a socket delivers them). */
function body(bytes: Buffer, chunk = 65_521): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  return Readable.from(parts, { objectMode: false });
}

const blob = randomBlob;

const hex = (d: string): string => d.slice('sha256:'.length);

describe('PlannedTar.write', () => {
  // sizes around the buffer: smaller, exactly one, several and a partial last one
  const blobs = [blob(1), blob(700_000), blob(MiB), blob(3 * MiB + 12_345), blob(0)];

  it('writes every blob at its place: GNU tar lists them and gives back their bytes', async () => {
    const dir = path.join(tmp.dir, 'ok.staging');
    const out = path.join(tmp.dir, 'ok.tar');
    const tar = await PlannedTar.open(
      dir,
      blobs.map((b) => b.desc),
    );
    await Promise.all(blobs.map((b) => tar.write(b.desc, body(b.bytes))));
    expect(tar.missing()).toEqual([]);
    await tar.finish([{ name: 'index.json', data: Buffer.from('{}') }], out);
    const names = execFileSync('tar', ['-tf', out], { encoding: 'utf8' }).trim().split('\n');
    for (const b of blobs) {
      expect(names).toContain(`blobs/sha256/${hex(b.desc.digest)}`);
      const back = execFileSync('tar', ['-xOf', out, `blobs/sha256/${hex(b.desc.digest)}`], { maxBuffer: 16 * MiB });
      expect(sha256(back)).toBe(b.desc.digest);
    }
  });

  it('a body the engine already verified (VerifyingStream) is stored as it is', async () => {
    const b = blob(2 * MiB + 1);
    const tar = await PlannedTar.open(path.join(tmp.dir, 'verified.staging'), [b.desc]);
    try {
      await tar.write(b.desc, body(b.bytes).pipe(new VerifyingStream('x', b.desc.digest, b.desc.size)));
      expect(tar.has(b.desc.digest, b.desc.size)).toBe(true);
    } finally {
      await tar.close();
    }
  });

  for (const [label, size] of [
    ['within one buffer', 300_000],
    ['over several buffers', 2 * MiB + 7],
  ] as const) {
    it(`refuses one changed byte (${label}): E_DIGEST_MISMATCH naming the blob, not stored, no bundle`, async () => {
      const b = blob(size);
      const bad = Buffer.from(b.bytes);
      bad[size - 3] = (bad[size - 3] ?? 0) ^ 0xff;
      const dir = path.join(tmp.dir, `bad-${size}.staging`);
      const tar = await PlannedTar.open(dir, [b.desc]);
      try {
        await expectChangedByteRefused(tar, b.desc, bad, tar.write(b.desc, body(bad)), path.join(tmp.dir, `bad-${size}.tar`));
        expect(tar.missing()).toEqual([b.desc.digest]);
      } finally {
        await tar.close();
      }
    });

    it(`refuses a short body and a long one (${label})`, async () => {
      const b = blob(size);
      const tar = await PlannedTar.open(path.join(tmp.dir, `len-${size}.staging`), [b.desc]);
      try {
        await expect(tar.write(b.desc, body(b.bytes.subarray(0, size - 1)))).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH' });
        await expect(tar.write(b.desc, body(Buffer.concat([b.bytes, Buffer.from('x')])))).rejects.toThrow(/more bytes than the descriptor's size/);
        expect(tar.has(b.desc.digest, b.desc.size)).toBe(false);
        // and the right bytes afterwards are stored
        await tar.write(b.desc, body(b.bytes));
        expect(tar.has(b.desc.digest, b.desc.size)).toBe(true);
      } finally {
        await tar.close();
      }
    });
  }
});

describe('PlannedTar.writeBytes (small blobs a save fetched whole, verified by the engine)', () => {
  it('stores them with their headers, journals them in done.log before they count, and a re-opened plan reuses them', async () => {
    const dir = path.join(tmp.dir, 'bytes.staging');
    const small = [blob(1), blob(2048), blob(16 * 1024), blob(0)];
    const big = blob(MiB + 7);
    const descs = [...small.map((b) => b.desc), big.desc];
    const first = await PlannedTar.open(dir, descs);
    // concurrently, as the engine's transfers end: their journal lines go out together
    await Promise.all(small.map((b) => first.writeBytes([{ desc: b.desc, bytes: b.bytes }], true)));
    for (const b of small) expect(first.has(b.desc.digest, b.desc.size)).toBe(true);
    const journal = readFileSync(path.join(dir, 'done.log'), 'utf8').split('\n').filter(Boolean);
    expect(journal.sort()).toEqual(small.map((b) => b.desc.digest).sort());
    // closed at once after a write (a run stopped): nothing throws, the lines are on disk
    await first.close();

    const again = await PlannedTar.open(dir, descs);
    for (const b of small) expect(again.has(b.desc.digest, b.desc.size)).toBe(true);
    expect(again.missing()).toEqual([big.desc.digest]);
    await again.write(big.desc, body(big.bytes));
    const out = path.join(tmp.dir, 'bytes.tar');
    await again.finish([{ name: 'index.json', data: Buffer.from('{}') }], out);
    for (const b of [...small, big]) {
      const back = execFileSync('tar', ['-xOf', out, `blobs/sha256/${hex(b.desc.digest)}`], { maxBuffer: 16 * MiB });
      expect(sha256(back)).toBe(b.desc.digest);
    }
  });

  it('without `verified`, refuses bytes that do not match their digest and stores nothing', async () => {
    const b = blob(4096);
    const tar = await PlannedTar.open(path.join(tmp.dir, 'bytes-bad.staging'), [b.desc]);
    try {
      const bad = Buffer.from(b.bytes);
      bad[100] = bad[100]! ^ 1;
      await expect(tar.writeBytes([{ desc: b.desc, bytes: bad }])).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH' });
      expect(tar.has(b.desc.digest, b.desc.size)).toBe(false);
    } finally {
      await tar.close();
    }
  });
});
