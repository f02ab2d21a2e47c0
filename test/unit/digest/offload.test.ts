/**
 * The hashing thread's failures to read back what a writer says it wrote (the file shorter than
 * the ranges, as when another process truncates a bundle being written) are E_IO errors naming
 * the blob, not internal ones; the bytes it does read give the digest a plain hash gives.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashWorker, OffloadedCheck } from '../../../src/digest/offload.js';
import { AirliftError } from '../../../src/errors.js';
import { tempDir } from '../layout/helpers.js';
import { sha256Digest } from '../../helpers/digest.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir('airlift-offload-');
});
afterAll(async () => {
  await tmp?.cleanup();
});

describe('OffloadedCheck', () => {
  it('verifies the bytes the file holds', async () => {
    const data = Buffer.alloc(3000, 5);
    const worker = new HashWorker();
    const fh = await open(path.join(tmp.dir, 'whole'), 'w+');
    try {
      await fh.write(data, 0, data.length, 0);
      const check = new OffloadedCheck(worker, fh.fd, 'blob whole', sha256Digest(data), data.length);
      check.update(data);
      check.written(0, 1000);
      check.written(1000, 2000);
      await expect(check.finish()).resolves.toBeUndefined();
    } finally {
      await fh.close();
      await worker.close();
    }
  });

  it('a file shorter than the ranges written is E_IO naming the blob and where the file ends', async () => {
    const data = Buffer.alloc(3000, 7);
    const worker = new HashWorker();
    const fh = await open(path.join(tmp.dir, 'short'), 'w+');
    try {
      await fh.write(data, 0, 1000, 0); // the writer says 3000 bytes are there; the file holds 1000
      const check = new OffloadedCheck(worker, fh.fd, 'blob sha256:short to bundle.tar', sha256Digest(data), data.length);
      check.update(data);
      check.written(0, data.length);
      const err = await check.finish().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AirliftError);
      expect((err as AirliftError).code).toBe('E_IO');
      expect((err as AirliftError).message).toMatch(/^blob sha256:short to bundle\.tar: reading back the written bytes to hash them: the file ends at 1000/);
    } finally {
      await fh.close();
      await worker.close();
    }
  });
});
