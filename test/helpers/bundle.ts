/**
 * Small hand-made OCI layout bundles for bad-input and fuzz tests: a valid
 * one-image bundle as a list of tar entries, and a tar writer (tar-stream)
 * that can also write hostile entries (`../` paths, absolute paths, links).
 */
import { sha256Hex as sha } from './digest.js';
import { writeFile } from 'node:fs/promises';
import tarStream from 'tar-stream';

export interface BundleEntry {
  name: string;
  body?: Buffer | string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
}


export interface SampleBundle {
  entries: BundleEntry[];
  ref: string;
  manifestDigest: string;
  layerDigest: string;
  configDigest: string;
  manifest: Buffer;
}

/** One OCI image (config + one layer) named `ref`, as bundle entries. */
export function sampleBundle(ref = 'example.com/team/app:1.0', layerBytes = 3000): SampleBundle {
  const layer = Buffer.alloc(layerBytes);
  for (let i = 0; i < layer.length; i++) layer[i] = (i * 31 + 7) & 0xff;
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${sha(layer)}`] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha(config)}`, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${sha(layer)}`, size: layer.length }],
    }),
  );
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: `sha256:${sha(manifest)}`,
        size: manifest.length,
        annotations: { 'org.opencontainers.image.ref.name': ref, 'io.containerd.image.name': ref },
      },
    ],
  };
  return {
    ref,
    manifest,
    manifestDigest: `sha256:${sha(manifest)}`,
    layerDigest: `sha256:${sha(layer)}`,
    configDigest: `sha256:${sha(config)}`,
    entries: [
      { name: 'oci-layout', body: '{"imageLayoutVersion":"1.0.0"}' },
      { name: 'index.json', body: JSON.stringify(index) },
      { name: 'blobs/', type: 'directory' },
      { name: 'blobs/sha256/', type: 'directory' },
      { name: `blobs/sha256/${sha(config)}`, body: config },
      { name: `blobs/sha256/${sha(layer)}`, body: layer },
      { name: `blobs/sha256/${sha(manifest)}`, body: manifest },
    ],
  };
}

export interface MergedImage {
  ref: string;
  /** The manifest digest. */
  digest: string;
  /** The image's own blobs (config and layer), without the manifest. */
  blobs: Array<{ digest: string; size: number }>;
}

/** Several sample images in one layout, each index entry named by its `ref` (shared blobs stored once). */
export function mergedBundle(images: Array<{ ref: string; layerBytes: number }>): { entries: BundleEntry[]; images: MergedImage[] } {
  const blobs = new Map<string, BundleEntry>();
  const manifests: unknown[] = [];
  const out: MergedImage[] = [];
  for (const { ref, layerBytes } of images) {
    const b = sampleBundle(ref, layerBytes);
    const own: MergedImage['blobs'] = [];
    for (const e of b.entries) {
      if (!/^blobs\/sha256\/[a-f0-9]{64}$/.test(e.name)) continue;
      blobs.set(e.name, e);
      const digest = `sha256:${e.name.slice('blobs/sha256/'.length)}`;
      if (digest !== b.manifestDigest) own.push({ digest, size: (e.body as Buffer).length });
    }
    manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: b.manifestDigest, size: b.manifest.length, annotations: { 'org.opencontainers.image.ref.name': ref, 'io.containerd.image.name': ref } });
    out.push({ ref, digest: b.manifestDigest, blobs: own });
  }
  return {
    images: out,
    entries: [
      { name: 'oci-layout', body: '{"imageLayoutVersion":"1.0.0"}' },
      { name: 'index.json', body: JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }) },
      { name: 'blobs/', type: 'directory' },
      { name: 'blobs/sha256/', type: 'directory' },
      ...blobs.values(),
    ],
  };
}

/** Tar bytes of `entries` (ustar/pax via tar-stream; names are written as given). */
export function tarBytes(entries: BundleEntry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = { name: e.name, type, mode: type === 'directory' ? 0o755 : 0o644, mtime: new Date(0), ...(e.linkname ? { linkname: e.linkname } : {}) };
    if (type === 'file') pack.entry(header, typeof e.body === 'string' ? Buffer.from(e.body) : (e.body ?? Buffer.alloc(0)));
    else pack.entry(header);
  }
  pack.finalize();
  return done;
}

export async function writeBundle(file: string, entries: BundleEntry[]): Promise<Buffer> {
  const bytes = await tarBytes(entries);
  await writeFile(file, bytes);
  return bytes;
}

/** `entries` with the entry called `name` replaced (or removed when `body` is null). */
export function replaceEntry(entries: BundleEntry[], name: string, body: Buffer | string | null): BundleEntry[] {
  if (body === null) return entries.filter((e) => e.name !== name);
  return entries.map((e) => (e.name === name ? { ...e, body } : e));
}
