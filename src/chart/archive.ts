/**
 * Packaged charts (`.tgz`) read in memory with tar-stream + gunzip, never
 * extracted to disk. Sizes are bounded so a hostile archive cannot exhaust memory.
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { InputError, TooLargeError } from '../errors.js';

export const ARCHIVE_LIMITS = {
  /** Largest single file kept from a chart archive. */
  maxEntryBytes: 16 * 1024 * 1024,
  /** Largest total of kept files (uncompressed). */
  maxTotalBytes: 128 * 1024 * 1024,
  maxEntries: 20_000,
};

/** Files of a chart archive: path inside the archive ("mychart/values.yaml") → bytes. */
export type FileTree = Map<string, Buffer>;

function normaliseEntryName(name: string): string | undefined {
  const parts = name.replace(/\\/g, '/').split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) return undefined;
  return parts.join('/');
}

/** Reads a gzip-compressed tar into memory. `label` names it in errors. */
export async function readTgz(data: Buffer, label: string, limits = ARCHIVE_LIMITS): Promise<FileTree> {
  const files: FileTree = new Map();
  let total = 0;
  let entries = 0;
  const ex = extract();
  const gunzip = createGunzip();
  const source = Readable.from([data]);
  const done = new Promise<void>((resolve, reject) => {
    const fail = (err: unknown): void => {
      source.destroy();
      gunzip.destroy();
      ex.destroy();
      reject(err);
    };
    source.on('error', fail);
    gunzip.on('error', (err) =>
      fail(
        new InputError(`${label}: not a gzip-compressed chart archive (${err.message})`, {
          hint: 'give a chart directory or a .tgz made by `helm package`',
        }),
      ),
    );
    ex.on('error', (err: Error) =>
      fail(new InputError(`${label}: malformed tar archive (${err.message})`, { hint: 'repackage the chart with `helm package`' })),
    );
    ex.on('entry', (header, stream, next) => {
      entries += 1;
      if (entries > limits.maxEntries) {
        fail(new TooLargeError(`${label}: more than ${limits.maxEntries} entries`, { hint: 'this is not a normal Helm chart archive' }));
        return;
      }
      const name = normaliseEntryName(header.name);
      if (header.type !== 'file' && header.type !== 'contiguous-file') {
        stream.resume();
        stream.on('end', () => next());
        return;
      }
      if (name === undefined) {
        fail(new InputError(`${label}: entry ${JSON.stringify(header.name)} escapes the archive`, { hint: 'do not use this archive' }));
        return;
      }
      const size = header.size ?? 0;
      if (size > limits.maxEntryBytes || total + size > limits.maxTotalBytes) {
        fail(
          new TooLargeError(`${label}: ${name} is ${size} bytes; chart files are limited to ${limits.maxEntryBytes} bytes and ${limits.maxTotalBytes} in total`, {
            hint: 'a Helm chart does not carry files this large; check the archive',
          }),
        );
        return;
      }
      const chunks: Buffer[] = [];
      let got = 0;
      stream.on('data', (data: unknown) => {
        const c = data as Buffer;
        got += c.length;
        if (got > size || got > limits.maxEntryBytes) {
          fail(new TooLargeError(`${label}: ${name} is larger than its header says`));
          return;
        }
        chunks.push(c);
      });
      stream.on('end', () => {
        total += got;
        files.set(name, Buffer.concat(chunks));
        next();
      });
      stream.on('error', fail);
    });
    ex.on('finish', () => resolve());
  });
  source.pipe(gunzip).pipe(ex);
  await done;
  return files;
}
