/**
 * One blob a job's manifest names, through the run's blob scheduler and counted in the job's
 * result: the one step the engine (an image's config and layers) and the attachment copier (an
 * attachment's blobs) share. A foreign (non-distributable) layer is counted and not copied.
 */
import { isForeignLayer } from '../oci/manifest.js';
import type { Descriptor } from '../oci/types.js';
import type { BlobOutcome, BlobScheduler } from './blobs.js';
import type { CopyJob, CopyResult } from './types.js';

export interface JobBlob {
  job: CopyJob;
  /** The image, for messages and byte accounting. */
  name: string;
  desc: Descriptor;
  result: CopyResult;
  /** A layer (not a config): a foreign one stays where it is. */
  layer: boolean;
  /** Keep the bytes in memory when uploaded (the image config, read for the lock). */
  capture?: boolean;
  destRepoNew: () => Promise<boolean>;
}

export async function ensureJobBlob(blobs: BlobScheduler, b: JobBlob): Promise<BlobOutcome | 'foreign'> {
  const { job, desc, result } = b;
  if (b.layer && isForeignLayer(desc)) {
    result.blobs.foreign++;
    return 'foreign';
  }
  const outcome = await blobs.ensure({
    source: job.source.store,
    srcRepo: job.source.repo,
    dest: job.dest.store,
    destRepo: job.dest.repo,
    desc,
    image: b.name,
    capture: b.capture === true,
    destRepoNew: b.destRepoNew,
  });
  result.blobs[outcome]++;
  if (outcome === 'uploaded') result.blobs.bytes += desc.size;
  return outcome;
}
