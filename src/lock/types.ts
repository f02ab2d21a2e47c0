/**
 * airlift.lock.json: what a save, load or sync moved. Written into bundles,
 * by `load --lock-out` and `sync --lock-out`; read by `relocate --lock`,
 * `lock diff` and `lock merge`.
 */
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
}

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

export interface Lock {
  version: typeof LOCK_VERSION;
  generator: string;
  /** "HOST[:PORT][/PREFIX]" for load/sync. */
  target?: string;
  charts: LockChart[];
  images: LockImage[];
  /** Other files in a bundle (absent when there are none). */
  files?: LockFile[];
}
