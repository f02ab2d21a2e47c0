/**
 * Damaging a bundle on disk the way a bad disk or a bad copy would: one byte inverted in place,
 * the file keeping its size.
 */
import { copyFile, open } from 'node:fs/promises';
import { indexTar } from '../../src/layout/tar-index.js';

/** Inverts the byte at `pos` of `file`, in place. */
export async function flipByte(file: string, pos: number): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, pos);
    b[0] = b[0]! ^ 0xff;
    await fh.write(b, 0, 1, pos);
  } finally {
    await fh.close();
  }
}

/** Copies the tar `bundle` to `out` with one byte of blob `digest` inverted (`at` bytes into it). */
export async function copyWithDamagedBlob(bundle: string, out: string, digest: string, at = 100): Promise<void> {
  await copyFile(bundle, out);
  const entry = (await indexTar(out)).get(`blobs/sha256/${digest.slice('sha256:'.length)}`);
  if (!entry) throw new Error(`${bundle} holds no blob ${digest}`);
  await flipByte(out, entry.offset + at);
}
