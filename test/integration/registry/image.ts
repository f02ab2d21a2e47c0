/** Builds a tiny image (config + one layer + OCI manifest) in memory for registry tests. */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { sha256 } from '../../../src/digest/index.js';
import { MediaType, type Descriptor, type RawManifest } from '../../../src/oci/types.js';

export interface TestImage {
  config: { desc: Descriptor; bytes: Buffer };
  layer: { desc: Descriptor; bytes: Buffer };
  manifest: RawManifest;
}

export function makeImage(layerSize = 64 * 1024): TestImage {
  const layerBytes = randomBytes(layerSize);
  const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layerBytes)] }, nonce: randomBytes(8).toString('hex') }));
  const config: Descriptor = { mediaType: MediaType.OciConfig, digest: sha256(configBytes), size: configBytes.length };
  const layer: Descriptor = { mediaType: MediaType.OciLayer, digest: sha256(layerBytes), size: layerBytes.length };
  const manifestBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: [layer] }));
  return {
    config: { desc: config, bytes: configBytes },
    layer: { desc: layer, bytes: layerBytes },
    manifest: { bytes: new Uint8Array(manifestBytes), mediaType: MediaType.OciManifest, digest: sha256(manifestBytes) },
  };
}

export async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A stream that hands out `bytes` in small pieces, optionally slowly. */
export function slowStream(bytes: Buffer, pieceSize: number, delayMs: number): Readable {
  let off = 0;
  return new Readable({
    read() {
      if (off >= bytes.length) {
        this.push(null);
        return;
      }
      const piece = bytes.subarray(off, off + pieceSize);
      off += piece.length;
      if (delayMs > 0) setTimeout(() => this.push(piece), delayMs);
      else this.push(piece);
    },
  });
}
