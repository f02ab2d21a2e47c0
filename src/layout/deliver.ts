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
import { readFully } from './byte-source.js';
import { FRAME_BYTES, compressFrame, zstdSeekTable, type Compression } from './compression.js';
import { STREAM_CHUNK } from './files.js';
import { PARTS_SUFFIX, partName, type PartsManifest } from './parts.js';
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
          await readFully(src, buf, 0, size, at);
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

/** Cuts `from` into parts of at most `size` bytes named `<output>.000`…, each under a temporary name; returns them. */
async function splitFile(from: string, output: string, size: number, signal?: AbortSignal): Promise<{ tmp: string[]; manifest: PartsManifest }> {
  const src = await open(from, 'r');
  const tmp: string[] = [];
  try {
    const total = (await src.stat()).size;
    const manifest: PartsManifest = { airliftParts: 1, total, parts: [] };
    const buf = Buffer.allocUnsafe(STREAM_CHUNK);
    for (let start = 0, i = 0; start < total || i === 0; i++) {
      const len = Math.min(size, total - start);
      const file = `${partName(output, i)}.airlift-tmp`;
      tmp.push(file);
      const out = await open(file, 'w');
      const hash = createHash('sha256');
      try {
        for (let done = 0; done < len; ) {
          signal?.throwIfAborted();
          const n = await readFully(src, buf, 0, Math.min(buf.length, len - done), start + done);
          const chunk = buf.subarray(0, n);
          hash.update(chunk);
          await writeFully(out, chunk, done);
          done += n;
        }
        await out.sync();
      } finally {
        await out.close();
      }
      manifest.parts.push({ name: path.basename(partName(output, i)), size: len, sha256: `sha256:${hash.digest('hex')}` });
      start += len;
    }
    return { tmp, manifest };
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
