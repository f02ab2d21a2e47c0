/** Paths and fixed files of an OCI image layout. Pure. */
import { parseDigest } from '../digest/index.js';
import { BundleError } from '../errors.js';

export const OCI_LAYOUT_FILE = 'oci-layout';
export const INDEX_FILE = 'index.json';
/** Docker's archive manifest beside the layout (see docker-manifest.ts), so docker and podman load a bundle. */
export const DOCKER_MANIFEST_FILE = 'manifest.json';
export const BLOBS_DIR = 'blobs';
export const OCI_LAYOUT_CONTENT = '{"imageLayoutVersion":"1.0.0"}';

/** `blobs/<alg>/<hex>` for a digest; throws UnsupportedError / InputError for bad digests. */
export function blobPath(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${BLOBS_DIR}/${algorithm}/${hex}`;
}

/** The digest a `blobs/<alg>/<hex>` path names, or undefined for any other path. */
export function digestOfBlobPath(p: string): string | undefined {
  const m = /^blobs\/([a-z0-9]+)\/([a-f0-9]+)$/.exec(p);
  return m ? `${m[1]}:${m[2]}` : undefined;
}

/** Checks the `oci-layout` file's content. */
export function checkOciLayoutFile(where: string, bytes: Uint8Array): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new BundleError(`${where}: the oci-layout file is not JSON`, {
      hint: 'an OCI image layout must contain oci-layout with {"imageLayoutVersion":"1.0.0"}',
    });
  }
  const v = (parsed as { imageLayoutVersion?: unknown } | null)?.imageLayoutVersion;
  if (typeof v !== 'string' || !v.startsWith('1.')) {
    throw new BundleError(`${where}: unsupported imageLayoutVersion ${JSON.stringify(v)} in oci-layout`, {
      hint: 'airlift reads OCI image layouts of version 1.x',
    });
  }
}

/**
 * Normalises a path inside a bundle (`./blobs/x` → `blobs/x`) and rejects
 * anything that could escape its directory. Returns undefined for the root.
 */
export function safeEntryPath(where: string, name: string): string | undefined {
  if (name.includes('\0')) throw new BundleError(`${where}: entry ${JSON.stringify(name)} contains a NUL byte`);
  if (name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name)) {
    throw new BundleError(`${where}: entry ${JSON.stringify(name)} has an absolute path; refusing to read this archive`, {
      hint: 'a bundle holds only relative paths (oci-layout, index.json, blobs/...); get a fresh copy of the bundle',
    });
  }
  const parts = name.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) {
    throw new BundleError(`${where}: entry ${JSON.stringify(name)} points outside the archive (..); refusing to read this archive`, {
      hint: 'a bundle holds only relative paths (oci-layout, index.json, blobs/...); get a fresh copy of the bundle',
    });
  }
  return parts.length === 0 ? undefined : parts.join('/');
}
