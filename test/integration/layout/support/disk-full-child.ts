/**
 * Child process for the disk-full test: writes a bundle of one image with a
 * layer of N random bytes, and an extra file (a chart) of M random bytes, to
 * DIR/bundle.tar (DIR is a small tmpfs) and prints the outcome and the files
 * left in DIR as JSON.
 */
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { sha256 } from '../../../../src/digest/index.js';
import { openOciArchiveDestination } from '../../../../src/endpoint/oci-archive.js';
import { AirliftError } from '../../../../src/errors.js';

async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(`${p}/`, ...(await walk(dir, p)));
    else out.push(p);
  }
  return out;
}

const [dir, sizeArg, extraArg] = process.argv.slice(2);
const layer = randomBytes(Number(sizeArg));
const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
const manifest = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
  }),
);
let result: Record<string, unknown>;
try {
  const dst = await openOciArchiveDestination(path.join(dir!, 'bundle.tar'));
  const mf = { bytes: manifest, mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest) };
  await dst.prepare({ blobs: [config, layer].map((b) => ({ digest: sha256(b), size: b.length })), manifests: [mf] });
  if (Number(extraArg) > 0) dst.addFile('charts/big-1.0.0.tgz', randomBytes(Number(extraArg)));
  for (const b of [config, layer]) {
    await dst.putBlob('r', { mediaType: 'x', digest: sha256(b), size: b.length }, Readable.from([b.subarray(0, b.length >> 1), b.subarray(b.length >> 1)]));
  }
  await dst.putManifest('example.org/app', mf, '1');
  await dst.commit();
  result = { ok: true };
} catch (err) {
  result = err instanceof AirliftError ? { ok: false, code: err.code, message: err.message, hint: err.hint } : { ok: false, message: String(err) };
}
result.files = await walk(dir!);
process.stdout.write(JSON.stringify(result) + '\n');
