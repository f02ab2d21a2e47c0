/**
 * Charts as OCI artifacts, the way `helm push` stores them: a manifest whose
 * config is the Chart.yaml metadata as JSON (`application/vnd.cncf.helm.config.v1+json`)
 * and whose one layer is the packaged chart (`application/vnd.cncf.helm.chart.content.v1.tar+gzip`),
 * tagged with the chart version (`+` written `_`, as helm does). They are
 * served to the copy engine by an in-memory ImageSource, so charts are pushed
 * with the same engine (and the same skip/verify rules) as images.
 */
import { Readable } from 'node:stream';
import { sha256 } from '../digest/index.js';
import type { ImageSource } from '../endpoint/types.js';
import { NotFoundError } from '../errors.js';
import { MediaType, type BasicDescriptor, type Descriptor, type RawManifest } from '../oci/types.js';

export interface HelmArtifact {
  name: string;
  version: string;
  /** The OCI tag: the version with `+` replaced by `_`. */
  tag: string;
  manifest: RawManifest;
}

export function chartTag(version: string): string {
  return version.replace(/\+/g, '_');
}

export class HelmChartSource implements ImageSource {
  readonly kind = 'oci-archive' as const;
  /** Bytes held in memory: the same every time. */
  readonly rereadable = false;
  private readonly blobs = new Map<string, Buffer>();
  private readonly manifests = new Map<string, RawManifest>();
  constructor(readonly description: string) {}

  /** Adds a packaged chart; returns the artifact to push (repo chosen by the caller). */
  add(tgz: Buffer, meta: Record<string, unknown>): HelmArtifact {
    const name = String(meta.name);
    const version = String(meta.version);
    const config = Buffer.from(JSON.stringify(meta), 'utf8');
    const cfg: Descriptor = { mediaType: MediaType.HelmConfig, digest: sha256(config), size: config.length };
    const layer: Descriptor = {
      mediaType: MediaType.HelmChartContent,
      digest: sha256(tgz),
      size: tgz.length,
      annotations: { 'org.opencontainers.image.title': `${name}-${version}.tgz` },
    };
    const body = {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: cfg,
      layers: [layer],
      annotations: { 'org.opencontainers.image.title': name, 'org.opencontainers.image.version': version },
    };
    const bytes = Buffer.from(JSON.stringify(body), 'utf8');
    const manifest: RawManifest = { bytes, mediaType: MediaType.OciManifest, digest: sha256(bytes) };
    this.blobs.set(cfg.digest, config);
    this.blobs.set(layer.digest, tgz);
    this.manifests.set(manifest.digest, manifest);
    return { name, version, tag: chartTag(version), manifest };
  }

  /** A manifest held here, by digest. */
  manifest(digest: string): RawManifest | undefined {
    return this.manifests.get(digest);
  }
  /** A blob held here (a chart's config or its .tgz), by digest. */
  blob(digest: string): Buffer | undefined {
    return this.blobs.get(digest);
  }

  async getManifest(_repo: string, reference: string): Promise<RawManifest> {
    const m = this.manifests.get(reference);
    if (!m) throw new NotFoundError(`chart manifest ${reference} is not in ${this.description}`);
    return m;
  }
  async resolveManifest(_repo: string, reference: string): Promise<BasicDescriptor | undefined> {
    const m = this.manifests.get(reference);
    return m ? { digest: m.digest, mediaType: m.mediaType, size: m.bytes.byteLength } : undefined;
  }
  async getBlob(_repo: string, desc: Descriptor): Promise<Readable> {
    const b = this.blobs.get(desc.digest);
    if (!b) throw new NotFoundError(`blob ${desc.digest} is not in ${this.description}`);
    return Readable.from([b]);
  }
  async close(): Promise<void> {}
}
