/** A parsed, normalised image reference: `registry/repository[:tag][@digest]`. */
export interface Reference {
  /** Registry host with optional port: "docker.io", "quay.io", "127.0.0.1:5000", "[::1]:5000". */
  readonly registry: string;
  /** Repository path inside the registry, without the host: "library/nginx", "bitnami/redis". */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

export interface ParseOptions {
  /** Registry used when the input names none. Default 'docker.io'. */
  defaultRegistry?: string;
  /** Tag used when the input has neither tag nor digest. Default 'latest'; null leaves the tag undefined. */
  defaultTag?: string | null;
}
