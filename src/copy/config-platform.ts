/** The platform an image config declares (os/architecture/variant), for the lock. */
import { VerifyingStream } from '../digest/index.js';
import type { ImageDestination, ImageSource } from '../endpoint/types.js';
import { platformFromConfig } from '../oci/platform.js';
import type { Descriptor } from '../oci/types.js';
import { MAX_CAPTURE } from './blobs.js';

/**
 * The platform of an image from its config: from bytes captured during the
 * copy, or read (verified, at most 1 MiB) when the copy did not stream it (it
 * was already at the destination): from the destination where it can read
 * blobs back, else from the source.
 */
export async function readConfigPlatform(
  source: ImageSource,
  repo: string,
  config: Descriptor,
  image: string,
  captured: Buffer | undefined,
  signal?: AbortSignal,
  local?: Pick<ImageDestination, 'readBlob'> & { repo: string },
): Promise<string | undefined> {
  if (captured) return platformFromConfig(captured);
  if (config.size > MAX_CAPTURE) return undefined;
  // A destination that can read back what it holds (a re-run of save over its staging) saves a fetch.
  const body = (await local?.readBlob?.(local.repo, config, signal)) ?? (await source.getBlob(repo, config, signal));
  const v = new VerifyingStream(`config ${config.digest} of ${image}`, config.digest, config.size);
  body.once('error', (e) => v.destroy(e));
  const chunks: Buffer[] = [];
  for await (const c of body.pipe(v)) chunks.push(c as Buffer);
  return platformFromConfig(Buffer.concat(chunks));
}

