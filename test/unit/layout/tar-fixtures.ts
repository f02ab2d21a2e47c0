/** Builds small layouts and tars (valid and hostile) in memory for reader tests. */
import { writeFile } from 'node:fs/promises';
import tarStream, { type Header } from 'tar-stream';
import { sha256 } from '../../../src/digest/index.js';

export interface TarEntrySpec {
  name: string;
  data?: Buffer | string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
}

export async function makeTar(entries: TarEntrySpec[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const header: Partial<Header> & { name: string } = { name: e.name, type: e.type ?? 'file', mtime: new Date(0) };
      if (e.linkname) header.linkname = e.linkname;
      const data = e.type === undefined || e.type === 'file' ? Buffer.from(e.data ?? '') : undefined;
      if (data) header.size = data.length;
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (data) pack.entry(header, data, cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export interface TinyLayout {
  files: Record<string, Buffer>;
  manifestDigest: string;
  layerDigest: string;
  refName: string;
}

/** One OCI image (config, one layer, manifest) named `refName`, as layout files. */
export function tinyLayout(refName = 'example.com/app/web:1.0', layerBytes = 2048): TinyLayout {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const layer = Buffer.alloc(layerBytes, 7);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
    }),
  );
  const index = {
    schemaVersion: 2,
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: sha256(manifest),
        size: manifest.length,
        annotations: { 'org.opencontainers.image.ref.name': refName },
      },
    ],
  };
  const blob = (b: Buffer): string => `blobs/sha256/${sha256(b).slice(7)}`;
  return {
    files: {
      'oci-layout': Buffer.from('{"imageLayoutVersion":"1.0.0"}'),
      'index.json': Buffer.from(JSON.stringify(index)),
      [blob(config)]: config,
      [blob(layer)]: layer,
      [blob(manifest)]: manifest,
    },
    manifestDigest: sha256(manifest),
    layerDigest: sha256(layer),
    refName,
  };
}

export function layoutEntries(files: Record<string, Buffer>): TarEntrySpec[] {
  return Object.entries(files).map(([name, data]) => ({ name, data }));
}

export async function writeTarFile(path: string, entries: TarEntrySpec[]): Promise<void> {
  await writeFile(path, await makeTar(entries));
}
