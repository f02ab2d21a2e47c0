import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/digest/index.js';
import { blobPath } from '../../../src/layout/paths.js';
import { PlannedTar } from '../../../src/layout/planned-tar.js';
import { TarFiles } from '../../../src/layout/tar-index.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** The blobs whose tar header the planned tar still holds in memory. */
function headersHeld(t: PlannedTar): number {
  const slots = (t as unknown as { slots: Map<string, { header?: Buffer }> }).slots;
  return [...slots.values()].filter((s) => s.header !== undefined).length;
}

describe('planned tar', () => {
  it('holds no plain blob header ahead of its data, lets the others go once written, and a blob whose data failed and was written again is whole in the archive', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-planned-tar-'));
    dirs.push(dir);
    const blobs = Array.from({ length: 50 }, (_, i) => Buffer.from(`blob ${i} `.repeat(i + 1)));
    const descs = blobs.map((b) => ({ digest: sha256(b), size: b.length }));
    const t = await PlannedTar.open(path.join(dir, 'staging'), descs);
    // none is built ahead but the first blob's, which carries the blobs/ directory entries: each
    // other header is made when its data is written (it was 50 headers held from the plan on)
    expect(headersHeld(t)).toBe(1);
    for (const [i, b] of blobs.entries()) if (i > 0) await t.writeBytes([{ desc: descs[i]!, bytes: b }]);
    expect(headersHeld(t)).toBe(1);
    // the first blob's data breaks off after its header was written; its next transfer writes it whole
    const broken = new Readable({ read() {} });
    broken.push(blobs[0]!.subarray(0, 3));
    setImmediate(() => broken.destroy(new Error('connection reset')));
    await expect(t.write(descs[0]!, broken)).rejects.toThrow();
    expect(t.has(descs[0]!.digest, descs[0]!.size)).toBe(false);
    await t.write(descs[0]!, Readable.from([blobs[0]!]));
    expect(headersHeld(t)).toBe(0);
    const out = path.join(dir, 'bundle.tar');
    await t.finish([], out);
    // GNU tar reads the blob that was written twice as it is
    expect(execFileSync('tar', ['-xOf', out, blobPath(descs[0]!.digest)]).equals(blobs[0]!)).toBe(true);
    const files = await TarFiles.open(out);
    try {
      for (const [i, d] of descs.entries()) expect((await files.read(blobPath(d.digest), 1 << 20)).equals(blobs[i]!)).toBe(true);
    } finally {
      await files.close();
    }
  });
});
