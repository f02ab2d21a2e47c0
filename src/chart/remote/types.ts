/** The chart-fetcher contract (see index.ts): what is asked and what comes back. */

export interface ChartFetchRequest {
  /** 'oci://HOST/PATH' (the chart is PATH/<chart>), 'https://…' or 'http://…' (a Helm repository with index.yaml),
   *  '@name' or 'alias:name' or a bare repositories.yaml name; undefined when `chart` is a whole reference
   *  ('oci://HOST/PATH/CHART' or 'REPO/CHART'). */
  repository?: string;
  chart: string;
  /** exact version, or a semver range as helm takes it ('1.2.x', '^1.2', '>=1.2, <2', '1.x'); default newest non-prerelease */
  version?: string;
}

export interface FetchedChart {
  name: string;
  version: string;
  /** the exact bytes fetched */
  tgz: Buffer;
  /** 'sha256:<hex>' of tgz */
  sha256: string;
  /** where it came from: 'oci://HOST/PATH/CHART:VERSION' or the chart URL */
  source: string;
  /** OCI manifest digest when from a registry */
  digest?: string;
  /** the .prov file when the repository has one */
  prov?: Buffer;
}

export interface ChartFetcher {
  fetch(req: ChartFetchRequest): Promise<FetchedChart>;
  /**
   * The fetched chart as a `.tgz` file on disk (written once per chart into the run's temporary
   * directory), for readers that take a path (the chart scan). Removed by close().
   */
  localPath(chart: FetchedChart): Promise<string>;
  /** Closes connections and removes the temporary files. */
  close(): Promise<void>;
}

/** What a bundle and its lock keep of a fetched chart. */
export interface ChartOrigin {
  /** 'oci://HOST/PATH/CHART:TAG' or the chart URL */
  source: string;
  /** 'sha256:<hex>' of the .tgz as fetched */
  sha256: string;
  /** the OCI manifest digest it was pulled by */
  digest?: string;
  prov?: Buffer;
}

export function originOf(c: FetchedChart): ChartOrigin {
  return { source: c.source, sha256: c.sha256, ...(c.digest ? { digest: c.digest } : {}), ...(c.prov ? { prov: c.prov } : {}) };
}
