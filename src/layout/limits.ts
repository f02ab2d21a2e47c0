/**
 * The size cap on the metadata files airlift itself writes with a line per image or blob:
 * index.json, manifest.json (for docker load) and airlift.lock.json. Pure.
 *
 * Sized for 100,000 images: the bench's scale set writes, per image, 537 bytes of lock, 379 of
 * index.json and 313 of manifest.json (3 blobs an image, names of 40 characters); an image of 20
 * layers with a 100-character name takes about 2.5 KiB of lock, so 100,000 of them about 250 MB.
 * 256 MiB leaves that, and stays under V8's longest string (512 MiB), which JSON.parse needs whole.
 */
import { TooLargeError, withHint } from '../errors.js';

export const MAX_METADATA_BYTES = 256 * 1024 * 1024;

/** What to do about a metadata file over MAX_METADATA_BYTES. */
export const METADATA_TOO_LARGE_HINT =
  'airlift reads at most 256 MiB of image list (about 100,000 images); save the images as several bundles (split the chart or image list) and load each';

/** The error for `what` (the file, named with its bundle or layout) of `size` bytes. */
export function metadataTooLarge(what: string, size: number): TooLargeError {
  return new TooLargeError(`${what} is ${size} bytes, over the ${MAX_METADATA_BYTES}-byte limit`, { hint: METADATA_TOO_LARGE_HINT });
}

/** `read(MAX_METADATA_BYTES)`, its TooLargeError given the hint. */
export async function readMetadata<T>(read: (max: number) => Promise<T>): Promise<T> {
  try {
    return await read(MAX_METADATA_BYTES);
  } catch (err) {
    if (err instanceof TooLargeError) throw withHint(err, METADATA_TOO_LARGE_HINT);
    throw err;
  }
}
