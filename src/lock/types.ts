/**
 * airlift.lock.json: what a save, load or sync moved. Written into bundles,
 * by `load --lock-out` and `sync --lock-out`; read by `relocate --lock`,
 * `lock diff` and `lock merge`.
 */
import type { AttachmentRecord } from '../oci/referrers.js';

export const LOCK_VERSION = 1;

export interface LockImage {
  /** Full source reference, normalised: "docker.io/library/nginx:1.25" (or "...@sha256:..."). */
  source: string;
  /** Where it landed, when the operation had a destination: "mirror:5000/prefix/library/nginx:1.25". */
  destination?: string;
  /** Digest of the top-level manifest or index as stored. */
  digest: string;
  mediaType: string;
  size: number;
  /** "os/arch[/variant]" of every platform stored; empty for a single-platform image without a platform in its config. */
  platforms: string[];
  /** Set when an index was rewritten because only some platforms were kept. */
  filtered?: { sourceDigest: string; note: string };
  /** What travelled with the image (signatures, attestations, SBOMs, other referrers); absent when nothing did. */
  referrers?: LockReferrer[];
}

/** An attachment of an image: a cosign tag (`tag`) or an OCI referrer (by digest), and the digest it is attached to. */
export type LockReferrer = AttachmentRecord;

export interface LockChart {
  name: string;
  version: string;
  /** Path inside the bundle: "charts/<name>-<version>.tgz". */
  file?: string;
  digest?: string;
  /** Where it landed as an OCI Helm chart after load. */
  destination?: string;
  /**
   * How the bundle's .tgz came to be: 'fetched' (the exact bytes fetched from `source`; `digest` is
   * their sha256) or 'packaged' (airlift packaged it: a chart directory, or a fetched chart
   * repackaged with dependencies it had to add). Absent in locks written before charts were fetched.
   */
  packaging?: 'fetched' | 'packaged';
  /** Where a fetched chart came from: 'oci://HOST/PATH/CHART:TAG' or the chart URL. */
  source?: string;
  /** The OCI manifest digest a chart from a registry was pulled by. */
  sourceDigest?: string;
  /** Its provenance file in the bundle ("charts/<name>-<version>.tgz.prov"), when the source had one. */
  prov?: { file: string; digest: string };
  /** Dependencies fetched (not vendored in the chart as given) and packaged into its charts/. */
  dependencies?: LockDependency[];
  /** Dependencies left out with --skip-missing-deps, and why. */
  skippedDependencies?: Array<{ name: string; version?: string; repository: string; reason: string }>;
}

/** A chart dependency airlift fetched: what, from where, and the sha256 of the packaged chart. */
export interface LockDependency {
  name: string;
  version: string;
  /** The chart URL, `oci://HOST/PATH/NAME:VERSION`, or `file://PATH`. */
  source: string;
  digest: string;
}

/** A file a bundle carries beside the images and charts (the release files of `save --include-self`). */
export interface LockFile {
  /** Path inside the bundle: "airlift/airlift.mjs". */
  file: string;
  digest: string;
  size: number;
}

/**
 * The bundle a differential bundle (`save --since BASE`) was made against: what it held, so that
 * a later differential can be made against this one, and which blobs this bundle leaves out
 * (`load` checks the destination holds them before pushing anything; `verify` does not count them
 * as missing).
 */
export interface LockBase {
  /** The base as it was named to --since (a bundle or its lock). */
  file: string;
  /** sha256 of the base bundle file, when --since named the bundle itself. */
  sha256?: string;
  /** sha256 of the base's airlift.lock.json. */
  lock: string;
  /** The images the base held: source reference and digest. */
  images: Array<{ source: string; digest: string }>;
  /** Every blob the base held, its own bases' included (sorted digests). */
  blobs: string[];
  /** Blobs (layers) this bundle's manifests name that it leaves out, because the base held them (sorted digests). */
  omitted: string[];
}

/** An image a run with --keep-going could not copy: not in the bundle or the mirror. */
export interface LockMissing {
  source: string;
  /** The error code (E_NOT_FOUND, E_AUTH, ...). */
  code: string;
  message: string;
}

export interface Lock {
  version: typeof LOCK_VERSION;
  generator: string;
  /** "HOST[:PORT][/PREFIX]" for load/sync. */
  target?: string;
  charts: LockChart[];
  images: LockImage[];
  /** Other files in a bundle (absent when there are none). */
  files?: LockFile[];
  /** Every blob a bundle written by save carries under blobs/ (sorted digests): what `save --since` this lock leaves out. */
  blobs?: string[];
  /** Set for a differential bundle (save --since). */
  base?: LockBase;
  /** Images a --keep-going run could not copy (absent when every image was copied). */
  missing?: LockMissing[];
}
