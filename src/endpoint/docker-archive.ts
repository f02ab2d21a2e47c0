/**
 * `docker-archive:FILE[:REF]`: what `docker save` and `podman save` write (Docker's manifest.json,
 * no index.json), read in place as an OCI layout (src/layout/docker-archive.ts). REF is one of
 * the archive's names, as docker writes it or in full (`nginx:1.25` or
 * `docker.io/library/nginx:1.25`); without it, the archive's only image. Read-only: airlift
 * writes bundles that docker and podman load (a bundle carries a manifest.json too).
 *
 * `openArchiveSource` opens a tar given as a bundle, whichever it is: an OCI archive (index.json)
 * or a docker archive (manifest.json alone).
 */
import { UsageError } from '../errors.js';
import { DockerArchiveFiles, openBundleArchive } from '../layout/docker-archive.js';
import { splitRefName } from '../layout/index-json.js';
import { DOCKER_MANIFEST_FILE, INDEX_FILE } from '../layout/paths.js';
import { LayoutReader } from '../layout/reader.js';
import { TarFiles } from '../layout/tar-index.js';
import { formatReference, parseReference } from '../reference/index.js';
import { OciArchiveSource } from './oci-archive.js';
import { LayoutSource } from './oci-dir.js';

async function fromTar(tar: TarFiles): Promise<LayoutSource> {
  let files: DockerArchiveFiles;
  try {
    files = await DockerArchiveFiles.open(tar);
  } catch (err) {
    await tar.close();
    throw err;
  }
  return new LayoutSource('docker-archive', await LayoutReader.open(files)); // closes files when it cannot open
}

export async function openDockerArchiveSource(file: string): Promise<LayoutSource> {
  const tar = await TarFiles.open(file, { resolveLinks: true });
  if ((await tar.size(DOCKER_MANIFEST_FILE)) === undefined) {
    await tar.close();
    throw new UsageError(`${file} is not a docker archive: it has no manifest.json`, {
      hint: (await isOciLayoutTar(file)) ? `it is an OCI archive (an airlift bundle): use oci-archive:${file}` : 'give a file written by docker save or podman save',
    });
  }
  return fromTar(tar);
}

async function isOciLayoutTar(file: string): Promise<boolean> {
  const tar = await TarFiles.open(file).catch(() => undefined);
  if (!tar) return false;
  try {
    return (await tar.size(INDEX_FILE)) !== undefined;
  } finally {
    await tar.close();
  }
}

/** An OCI archive, or a docker archive given where a bundle is expected. */
export async function openArchiveSource(file: string): Promise<OciArchiveSource | LayoutSource> {
  const opened = await openBundleArchive(file);
  if (opened.kind === 'docker-archive') return new LayoutSource('docker-archive', await LayoutReader.open(opened.files));
  return new OciArchiveSource(await LayoutReader.open(opened.files), opened.files);
}

/** The repo and tag a docker-archive REF names in the layout the archive is read as (names in full). */
export function dockerArchiveImage(ref: string | undefined): { repo: string; reference: string } {
  if (ref === undefined || ref === '') return { repo: '', reference: '' };
  let full: string;
  try {
    full = formatReference(parseReference(ref));
  } catch {
    throw new UsageError(`docker-archive: ${JSON.stringify(ref)} is not an image name`, { hint: 'name one of the archive\'s images as docker save wrote it, e.g. docker-archive:FILE:nginx:1.25' });
  }
  return splitRefName(full);
}
