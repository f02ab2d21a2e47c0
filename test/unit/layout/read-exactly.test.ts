/** readExactly: the read-back of a file this run wrote is whole, or an E_IO that names the file. */
import { open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';
import { IoError } from '../../../src/errors.js';
import { readExactly } from '../../../src/layout/byte-source.js';

let dir: string;
let file: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('airlift-read-exactly-'));
  file = path.join(dir, 'bundle.tar');
  await writeFile(file, Buffer.from('0123456789'));
});
afterAll(() => cleanup());

describe('readExactly', () => {
  it('fills the whole range when the file holds it', async () => {
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(6, 0x2e);
      await readExactly(fh, buf, 1, 4, 3, file);
      expect(buf.toString()).toBe('.3456.');
    } finally {
      await fh.close();
    }
  });

  it('fails with E_IO naming the file when it is shorter than the range (shrunk under the run)', async () => {
    const fh = await open(file, 'r');
    try {
      const err = await readExactly(fh, Buffer.alloc(8), 0, 8, 6, file).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(IoError);
      expect((err as IoError).code).toBe('E_IO');
      expect((err as IoError).message).toContain(file);
      expect((err as IoError).message).toContain('ended early: 10 bytes where this run wrote at least 14');
    } finally {
      await fh.close();
    }
  });
});
