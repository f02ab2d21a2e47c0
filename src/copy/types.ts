/**
 * The copy engine's inputs and outputs. A job names one image at a source
 * store and where it goes; the engine copies every job once, sharing blobs.
 */
import type { StallOptions } from './stall.js';
import type { ImageDestination, ImageSource } from '../endpoint/types.js';
import type { AirliftError } from '../errors.js';
import type { Logger } from '../log.js';
import type { PlatformFilter } from '../oci/platform.js';
import type { AttachmentRecord } from '../oci/referrers.js';
import type { BasicDescriptor } from '../oci/types.js';

export interface CopyJob {
  source: {
    store: ImageSource;
    repo: string;
    /** Tag or digest at the source. */
    reference: string;
  };
  dest: {
    store: ImageDestination;
    repo: string;
    /** Tag (or digest) to store the top-level manifest under; by digest only when absent. */
    tag?: string;
  };
  /** Name for messages and events: the full source reference. Defaults to repo:reference. */
  name?: string;
  /** What the job carries, for counts and events: an image (default) or a chart stored as an OCI artifact. */
  kind?: 'image' | 'chart';
  /**
   * What an earlier run recorded for this image (a lock entry). When the
   * destination already holds `digest`, its platforms are reused instead of
   * being fetched again.
   */
  previous?: BasicDescriptor & { sourceDigest?: string; platforms: string[] };
}

export interface CopyOptions {
  /** Keep only these platforms of multi-platform images (the index is rewritten when some are dropped). */
  platforms?: PlatformFilter[];
  /** Parallel blob transfers (global). Images in flight are bounded by a multiple of it. */
  concurrency: number;
  logger: Logger;
  signal?: AbortSignal;
  /**
   * Skip an image whose destination tag already resolves to the digest that
   * would be written (one HEAD at the destination). Default true.
   */
  skipExisting?: boolean;
  /**
   * Fill in `platforms` for images skipped as already present when no earlier
   * lock entry gives them (costs a manifest GET at the source). Default false.
   */
  describeSkipped?: boolean;
  /** Called with byte counts as blob data flows (progress displays); `digest` names the blob. */
  onBytes?: (image: string, bytes: number, digest: string) => void;
  /** Stalled transfers: when to report them and the minimum rate under which they fail (defaults in stall.ts). */
  stall?: StallOptions;
  /**
   * Copy what travels with each image (signatures, attestations, SBOMs: cosign tags and OCI
   * referrers, src/referrers/); absent: images alone.
   */
  referrers?: ReferrerOptions;
}

export interface ReferrerOptions {
  /** --referrers-type: only these artifact types (cosign's also as `sig`, `att`, `sbom`). */
  types?: string[];
  /** A signed index that --platform rewrites fails its image instead of a warning. */
  strict?: boolean;
}

/** One attachment of an image at the destination, and whether this run copied it. */
export interface ReferrerResult extends AttachmentRecord {
  status: 'copied' | 'skipped';
}

export type CopyStatus = 'copied' | 'skipped' | 'failed';

export interface BlobCounts {
  /** Streamed from the source and stored. */
  uploaded: number;
  /** Linked from another repository of the destination. */
  mounted: number;
  /** Already at the destination (known from this run or found by HEAD). */
  existing: number;
  /** Foreign or non-distributable layers left out on purpose. */
  foreign: number;
  /** Bytes streamed for this image's uploads. */
  bytes: number;
}

export interface CopyResult {
  job: CopyJob;
  /** job.name, or repo:reference. */
  name: string;
  status: CopyStatus;
  error?: AirliftError;
  /** Top-level manifest as stored at the destination (set unless the copy failed before the source answered). */
  digest?: string;
  mediaType?: string;
  size?: number;
  /** Digest at the source (differs from `digest` when the index was filtered). */
  sourceDigest?: string;
  /** "os/arch[/variant]" of every platform stored; undefined when unknown (a skipped image without describeSkipped). */
  platforms?: string[];
  filtered?: { sourceDigest: string; note: string };
  blobs: BlobCounts;
  /** Child manifests stored (index children). */
  manifests: number;
  /** What travelled with the image (CopyOptions.referrers), when something did. */
  referrers?: ReferrerResult[];
  /** What the image's copy warned about (also logged). */
  warnings?: string[];
}

export function emptyCounts(): BlobCounts {
  return { uploaded: 0, mounted: 0, existing: 0, foreign: 0, bytes: 0 };
}
