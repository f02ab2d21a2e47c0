/**
 * Opening a bundle (an oci-archive tar, or an OCI layout directory such as
 * skopeo writes) and listing its images by their full source references.
 */
import { isAttachmentEntry } from '../layout/referrers.js';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { openArchiveSource } from '../endpoint/docker-archive.js';
import { OciArchiveSource, openOciArchiveSource } from '../endpoint/oci-archive.js';
import { openOciDirSource, type LayoutSource } from '../endpoint/oci-dir.js';
import { partsManifestFor } from '../layout/parts.js';
import { BundleError, NotFoundError, toAirliftError } from '../errors.js';
import { entryName } from '../layout/index-json.js';
import { readMetadata } from '../layout/limits.js';
import { parseLock } from '../lock/io.js';
import type { Lock } from '../lock/types.js';
import type { Descriptor } from '../oci/types.js';
import { formatReference, parseReference, type Reference } from '../reference/index.js';

export interface BundleImage {
  /** The full reference the image was saved under. */
  ref: Reference;
  formatted: string;
  /** Top-level descriptor in index.json. */
  descriptor: Descriptor;
}

/**
 * A bundle: an OCI layout (the images) and, for an archive airlift wrote, the files beside it
 * (the lock, charts, airlift itself). `bundleFiles` gives the second, typed, where it exists.
 */
export type Bundle = LayoutSource | OciArchiveSource;

/** The files of a bundle outside its layout (an archive's lock, charts, airlift itself); undefined for a layout directory. */
export interface BundleFiles {
  extraFiles(): Promise<string[]>;
  readFile(name: string, max: number): Promise<Buffer>;
  openFile(name: string): Promise<Readable>;
}

export function bundleFiles(bundle: Bundle): BundleFiles | undefined {
  return bundle instanceof OciArchiveSource ? bundle : undefined;
}

export async function openBundle(file: string): Promise<Bundle> {
  let st;
  try {
    st = await stat(file);
  } catch {
    if (await partsManifestFor(file)) return openOciArchiveSource(file); // bundle.tar, saved with --split-size
    throw new NotFoundError(`bundle ${file} does not exist`, { hint: 'give the path of a bundle written by airlift save, or an OCI layout directory' });
  }
  // a tar is an OCI archive (a bundle), or what docker save / podman save wrote
  return st.isDirectory() ? openOciDirSource(file) : openArchiveSource(file);
}

/** The named images of a bundle. A name that is not a full image reference is a BundleError naming it. */
export function bundleImages(source: LayoutSource, where: string): BundleImage[] {
  const out: BundleImage[] = [];
  for (const e of source.images()) {
    const name = e.containerdName ?? e.refName;
    if (name === undefined) continue; // an unnamed entry is not an image to push
    if (isAttachmentEntry(e)) continue; // a signature or other attachment travels with its image
    let ref: Reference;
    try {
      if (!name.includes('/')) throw new Error('no repository');
      ref = parseReference(name);
    } catch {
      throw new BundleError(`${where}: image ${JSON.stringify(entryName(e))} is not named by a full image reference`, {
        hint: 'name images REGISTRY/REPOSITORY:TAG in the layout (airlift save does; with skopeo use oci:DIR:REGISTRY/REPOSITORY:TAG)',
      });
    }
    out.push({ ref, formatted: formatReference(ref), descriptor: e.descriptor });
  }
  if (out.length === 0) throw new BundleError(`${where} names no images`, { hint: 'recreate it with airlift save' });
  return out;
}

/** The airlift.lock.json inside an archive bundle, when there is one. */
export async function bundleLock(source: Bundle, where: string): Promise<Lock | undefined> {
  const files = bundleFiles(source);
  if (!files) return undefined;
  if (!(await files.extraFiles()).includes('airlift.lock.json')) return undefined;
  try {
    return parseLock((await readMetadata((max) => files.readFile('airlift.lock.json', max))).toString('utf8'), `${where}: airlift.lock.json`);
  } catch (err) {
    throw toAirliftError(err);
  }
}
