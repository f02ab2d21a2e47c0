/** Small lock builders for the lock tests. */
import type { Lock, LockImage } from '../../../src/lock/types.js';
import { sha256Digest } from '../../helpers/digest.js';

export function dg(seed: string): string {
  return sha256Digest(seed);
}

export function img(source: string, seed = source, extra: Partial<LockImage> = {}): LockImage {
  return {
    source,
    destination: `mirror.test:5000/m/${source.split('/').slice(1).join('/')}`,
    digest: dg(seed),
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: 100 + source.length,
    platforms: ['linux/amd64'],
    ...extra,
  };
}

export function lock(images: LockImage[], extra: Partial<Lock> = {}): Lock {
  return { version: 1, generator: 'airlift 0.1.0', target: 'mirror.test:5000/m', charts: [], images, ...extra };
}
