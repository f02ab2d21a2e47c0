/** The copy engine: one implementation for every source and destination store. */
export { copyImages, jobName } from './engine.js';
export { BlobScheduler, type BlobOutcome, type BlobRequest } from './blobs.js';
export { parseManifest, isForeignLayer, type ParsedManifest } from '../oci/manifest.js';
export { parsePlatform, formatFilter, platformMatches, filterIndex, indexPlatforms, type PlatformFilter } from '../oci/platform.js';
export { platformFromConfig } from '../oci/platform.js';
export type { CopyJob, CopyOptions, CopyResult, CopyStatus, BlobCounts } from './types.js';
