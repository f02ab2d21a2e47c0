/**
 * The last step of `save --compress` and `save --split-size`: the finished tar (written in place
 * by PlannedTar, never copied before) is compressed into seekable frames (compression.ts) and/or
 * cut into parts with their `.parts` file (parts.ts). Every file is written under a temporary
 * name, fsynced, and renamed into place only when all are complete, the `.parts` file last; on
 * failure the temporary files and the tar are removed: nothing half-written stays.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { readExactly } from './byte-source.js';
import { FRAME_BYTES, compressFrame, zstdSeekTable, type Compression } from './compression.js';
import { STREAM_CHUNK } from './files.js';
import { PARTS_SUFFIX, partName, type PartEntry, type PartsManifest } from './parts.js';
import { writeFully } from './tar-writer.js';
import { ioFailure } from './writer.js';

export interface Packaging {
  compress?: Compression;
  /** Bytes per part. */
  splitSize?: number;
}

export interface Delivered {
  /** The files written, in order (parts, then the .parts file; or the one archive). */
  files: string[];
  /** Bytes of the tar before compression, and what was written. */
  tarBytes: number;
  bytes: number;
}

/** Frames compressed at once (zlib runs them on the thread pool). */
const IN_FLIGHT = 4;

/** Compresses the file `from` into `to` in independent frames; resolves with the bytes written. */
async function compressFile(from: string, to: FileHandle, kind: Compression, signal?: AbortSignal): Promise<{ tarBytes: number; bytes: number }> {
  const src = await open(from, 'r');
  try {
    const total = (await src.stat()).size;
    const frames: Array<{ compressed: number; size: number }> = [];
    const pending: Array<Promise<{ out: Buffer; size: number }>> = [];
    let readPos = 0;
    let writePos = 0;
    const next = (): void => {
      const size = Math.min(FRAME_BYTES, total - readPos);
      const at = readPos;
      readPos += size;
      pending.push(
        (async () => {
          const buf = Buffer.allocUnsafe(size);
          await readExactly(src, buf, 0, size, at, from);
          return { out: await compressFrame(kind, buf), size };
        })(),
      );
    };
    while (readPos < total && pending.length < IN_FLIGHT) next();
    while (pending.length) {
      signal?.throwIfAborted();
      const { out, size } = await pending.shift()!;
      if (readPos < total) next();
      await writeFully(to, out, writePos);
      writePos += out.length;
      frames.push({ compressed: out.length, size });
    }
    if (kind === 'zstd') {
      const table = zstdSeekTable(frames);
      await writeFully(to, table, writePos);
      writePos += table.length;
    }
    await to.truncate(writePos);
    return { tarBytes: total, bytes: writePos };
  } finally {
    await src.close();
  }
}

/**
 * Cuts `from` into parts of at most `size` bytes named `<output>.000`…, each under a temporary
 * name, from the last part back: each part copied out is cut off `from` (truncated), and the
 * first part is `from` itself, renamed; so the disk holds the archive and one part at most, not
 * two archives. `from` is consumed.
 */
async function splitFile(from: string, output: string, size: number, signal?: AbortSignal): Promise<{ tmp: string[]; manifest: PartsManifest }> {
  const src = await open(from, 'r+');
  const tmp: string[] = [];
  try {
    const total = (await src.stat()).size;
    const count = Math.max(1, Math.ceil(total / size));
    const parts: PartEntry[] = [];
    const buf = Buffer.allocUnsafe(STREAM_CHUNK);
    const copy = async (start: number, len: number, out?: FileHandle): Promise<string> => {
      const hash = createHash('sha256');
      for (let done = 0; done < len; ) {
        signal?.throwIfAborted();
        const n = Math.min(buf.length, len - done);
        await readExactly(src, buf, 0, n, start + done, from);
        const chunk = buf.subarray(0, n);
        hash.update(chunk);
        if (out) await writeFully(out, chunk, done);
        done += n;
      }
      return `sha256:${hash.digest('hex')}`;
    };
    for (let i = count - 1; i >= 1; i--) {
      const start = i * size;
      const len = Math.min(size, total - start);
      const file = `${partName(output, i)}.airlift-tmp`;
      tmp.unshift(file);
      const out = await open(file, 'w');
      try {
        parts[i] = { name: path.basename(partName(output, i)), size: len, sha256: await copy(start, len, out) };
        await out.sync();
      } finally {
        await out.close();
      }
      await src.truncate(start);
    }
    const first = Math.min(size, total);
    parts[0] = { name: path.basename(partName(output, 0)), size: first, sha256: await copy(0, first) };
    await src.sync();
    const file0 = `${partName(output, 0)}.airlift-tmp`;
    await rename(from, file0);
    tmp.unshift(file0);
    return { tmp, manifest: { airliftParts: 1, total, parts } };
  } catch (err) {
    for (const f of tmp) await rm(f, { force: true });
    throw err;
  } finally {
    await src.close();
  }
}

/**
 * Turns the finished tar at `tar` into the output: compressed (into `output`, or into `into` /
 * a device when `stream`), split (into `<output>.NNN` and `<output>.parts`), or both (the
 * compressed bytes are split). Removes `tar` in every case.
 */
export async function deliverArchive(tar: string, output: string, pack: Packaging, signal?: AbortSignal, opts: { stream?: boolean; into?: Writable } = {}): Promise<Delivered> {
  const made: string[] = [];
  try {
    let body = tar;
    let tarBytes: number | undefined;
    let bytes: number | undefined;
    if (pack.compress) {
      const to = pack.splitSize || opts.stream ? `${tar}.${pack.compress}` : `${output}.airlift-tmp`;
      made.push(to);
      const fh = await open(to, 'w');
      try {
        ({ tarBytes, bytes } = await compressFile(tar, fh, pack.compress, signal));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rm(tar, { force: true }); // the disk holds the compressed copy from here on, not both
      body = to;
    }
    if (!pack.splitSize) {
      if (opts.stream) {
        const from = createReadStream(body, { highWaterMark: STREAM_CHUNK });
        if (opts.into) await pipeline(from, opts.into, { signal, end: false });
        else await pipeline(from, (await open(output, 'w')).createWriteStream(), { signal });
        return { files: [output], tarBytes: tarBytes ?? 0, bytes: bytes ?? 0 };
      }
      await rename(body, output);
      await syncDir(output);
      return { files: [output], tarBytes: tarBytes ?? 0, bytes: bytes ?? 0 };
    }
    const { tmp, manifest } = await splitFile(body, output, pack.splitSize, signal);
    made.push(...tmp);
    const partsFile = `${output}${PARTS_SUFFIX}`;
    made.push(`${partsFile}.airlift-tmp`);
    await writeFile(`${partsFile}.airlift-tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
    // every part is complete and synced: now put them in place, the .parts file last
    const files: string[] = [];
    for (const [i, t] of tmp.entries()) {
      await rename(t, partName(output, i));
      files.push(partName(output, i));
    }
    // parts of an earlier, longer split of the same name would only confuse: remove them
    for (let i = tmp.length; ; i++) {
      const stale = partName(output, i);
      const gone = await rm(stale).then(
        () => true,
        () => false,
      );
      if (!gone) break;
    }
    await rename(`${partsFile}.airlift-tmp`, partsFile);
    files.push(partsFile);
    await syncDir(partsFile);
    return { files, tarBytes: tarBytes ?? manifest.total, bytes: manifest.total };
  } catch (err) {
    for (const f of made) await rm(f, { force: true });
    throw ioFailure(`bundle ${output}`, err);
  } finally {
    await rm(tar, { force: true });
    for (const f of made) if (f !== output) await rm(f, { force: true }).catch(() => undefined);
  }
}

async function syncDir(file: string): Promise<void> {
  const parent = await open(path.dirname(file), 'r').catch(() => undefined);
  if (parent) await parent.sync().catch(() => undefined).finally(() => parent.close());
}
