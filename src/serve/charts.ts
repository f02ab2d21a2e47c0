/**
 * The charts a bundle carries (`charts/*.tgz`), served as OCI Helm charts the way `load` pushes
 * them: repository `charts/<name>`, tag the chart version (`+` written `_`), a manifest whose
 * config is the Chart.yaml metadata and whose one layer is the `.tgz` as it is in the bundle. So
 * `helm pull oci://HOST:PORT/charts/<name> --version V` works against `airlift serve`. The
 * charts are read once at start and held in memory (a chart is at most MAX_CHART_BYTES).
 */
import { MAX_CHART_BYTES, chartMetadata } from '../bundle/charts.js';
import { HelmChartSource } from '../bundle/helm-oci.js';
import type { LayoutFiles } from '../layout/files.js';
import type { RawManifest } from '../oci/types.js';
import type { Catalog } from './catalog.js';

const CHART_FILE = /^charts\/[^/]+\.tgz$/;

export interface ServedCharts {
  /** Each chart served: its file in the bundle, repository and tag. */
  charts: Array<{ file: string; repo: string; tag: string; name: string; version: string; manifest: RawManifest }>;
  manifest(digest: string): RawManifest | undefined;
  blob(digest: string): Buffer | undefined;
}

/** Reads the bundle's charts; an unreadable chart is a BundleError/InputError naming the file. */
export async function readServedCharts(files: LayoutFiles): Promise<ServedCharts> {
  const source = new HelmChartSource(`charts of ${files.description}`);
  const charts: ServedCharts['charts'] = [];
  for (const file of (await files.list()).filter((f) => CHART_FILE.test(f))) {
    const tgz = await files.read(file, MAX_CHART_BYTES);
    const art = source.add(tgz, await chartMetadata(tgz, `${files.description}: ${file}`));
    charts.push({ file, repo: `charts/${art.name}`, tag: art.tag, name: art.name, version: art.version, manifest: art.manifest });
  }
  return { charts, manifest: (d) => source.manifest(d), blob: (d) => source.blob(d) };
}

/**
 * Adds the charts to the catalog: `charts/<name>` with the version's tag. A tag an image of the
 * bundle already has under that name (an image saved as HOST/charts/<name>) keeps the image; the
 * chart is listed in `skipped` with why.
 */
export function addChartsToCatalog(catalog: Catalog, served: ServedCharts): void {
  for (const c of served.charts) {
    const art = c.manifest;
    let repo = catalog.repositories.get(c.repo);
    if (!repo) {
      repo = { name: c.repo, tags: new Map(), digests: new Set(), referrers: new Map() };
      catalog.repositories.set(c.repo, repo);
    }
    const taken = repo.tags.get(c.tag);
    if (taken && taken.digest !== art.digest) {
      catalog.skipped.push(`chart ${c.file} as ${c.repo}:${c.tag} (an image of the bundle has that name)`);
      continue;
    }
    repo.tags.set(c.tag, { mediaType: art.mediaType, digest: art.digest, size: art.bytes.byteLength });
    repo.digests.add(art.digest);
  }
}
