/**
 * The images a save or sync run copies, from charts (scanned as `airlift
 * images` does), --image flags, an images file and airlift.yaml. The result
 * is a plain sorted array of unique references, so that sharding is a filter.
 */
import { readFile } from 'node:fs/promises';
import type { ChartInfo } from '../chart/index.js';
import type { DependencyOptions, DependencyResult } from '../chart/deps/resolve.js';
import { originOf, type ChartFetcher, type ChartFetchRequest, type ChartOrigin } from '../chart/remote/types.js';
import { fetchedChartLabel, relabelChartPaths } from '../chart/remote/fetching.js';
import { InputError, NotFoundError } from '../errors.js';
import { formatReference, parseReference, type Reference } from '../reference/index.js';
import { appendAll } from '../output/table.js';

export interface ChartInput {
  /** A chart directory or .tgz; for a chart to fetch, the reference as given (for messages). */
  path: string;
  /** A chart in a repository or registry, fetched through ImageInputs.fetcher. */
  remote?: ChartFetchRequest;
  values: string[];
  set: string[];
  setString: string[];
  setJson?: string[];
  setFile?: string[];
  /** Where relative --set-file paths start. */
  baseDir?: string;
}

export interface ImageInputs {
  charts: ChartInput[];
  images: string[];
  imagesFiles: string[];
  enabledOnly?: boolean;
  /** Also take images set in values that the rendered templates do not use. */
  allValues?: boolean;
  /** Resolve the dependencies the charts do not vendor (src/chart/deps/). */
  dependencies?: DependencyOptions;
  /** The run's chart fetcher, for charts with `remote` (made on first use). */
  fetcher?: () => Promise<ChartFetcher>;
}

/**
 * A top-level chart that was scanned; `origin` when it was fetched (the bundle keeps its exact
 * bytes), `dependencies` when some were fetched for it (or skipped): it then travels repackaged.
 */
export type CollectedChart = ChartInfo & { origin?: ChartOrigin; dependencies?: DependencyResult };

export interface WantedImage {
  ref: Reference;
  /** formatReference(ref). */
  formatted: string;
}

export interface CollectedInputs {
  images: WantedImage[];
  /** Top-level charts (depth 0) that were scanned, for packaging into a bundle, with the dependencies fetched for them. */
  charts: CollectedChart[];
  /** What the chart scans could not check (templates airlift could not render, ...). */
  warnings: string[];
}

/** Parses an images file: one reference per line; blank lines and `#` comments ignored. */
export function parseImagesFile(text: string, file: string): Reference[] {
  const out: Reference[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const s = line.replace(/\s+#.*$/, '').trim();
    if (s === '' || s.startsWith('#')) return;
    try {
      out.push(parseReference(s));
    } catch (e) {
      throw new InputError(`${file}:${i + 1}: ${(e as Error).message}`, { hint: 'one image reference per line, e.g. docker.io/library/nginx:1.25' });
    }
  });
  return out;
}

export async function collectImages(inputs: ImageInputs): Promise<CollectedInputs> {
  const refs: Reference[] = [];
  const charts: CollectedChart[] = [];
  const warnings: string[] = [];
  for (const c of inputs.charts) {
    let chartPath = c.path;
    let origin: ChartOrigin | undefined;
    /** A fetched chart's temporary path → the reference given, which errors and warnings name. */
    let labels: Map<string, string> | undefined;
    if (c.remote) {
      if (!inputs.fetcher) throw new InputError(`${c.path}: a chart reference, and this command fetches no charts`);
      const f = await inputs.fetcher();
      const fetched = await f.fetch(c.remote);
      chartPath = await f.localPath(fetched);
      origin = originOf(fetched);
      labels = new Map([[chartPath, fetchedChartLabel(c.remote, fetched)]]);
    }
    // The chart scanner (YAML, tar) loads only when a chart is given: start-up is most of a no-op sync.
    const { scanCharts } = await import('../chart/index.js');
    const r = await scanCharts([chartPath], {
      valuesFiles: c.values,
      set: c.set,
      setString: c.setString,
      setJson: c.setJson,
      setFile: c.setFile,
      baseDir: c.baseDir,
      enabledOnly: inputs.enabledOnly ?? false,
      allValues: inputs.allValues ?? false,
      ...(inputs.dependencies ? { dependencies: inputs.dependencies } : {}),
    });
    if (r.errors.length > 0) {
      const { formatErrors } = await import('../chart/report.js');
      throw new InputError(`${c.path}: ${r.errors.length} image reference(s) could not be assembled:\n${relabelChartPaths(formatErrors(r.errors).trimEnd(), labels)}`, {
        hint: 'set the missing fields with -f or --set at the values paths shown, or list the images with --image',
      });
    }
    warnings.push(...r.warnings.map((w) => relabelChartPaths(w, labels)));
    for (const img of r.images) if (!(inputs.enabledOnly && img.disabled)) refs.push(img.ref);
    const deps = r.dependencies[0];
    const withDeps = deps && (deps.resolved.length || deps.skipped.length) ? { dependencies: deps } : {};
    charts.push(...r.charts.filter((ch) => ch.depth === 0).map((ch) => ({ ...ch, ...(origin ? { origin } : {}), ...withDeps })));
  }
  for (const s of inputs.images) refs.push(parseReference(s));
  for (const f of inputs.imagesFiles) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch {
      throw new NotFoundError(`images file ${f} cannot be read`, { hint: 'check the path given to --images-file' });
    }
    appendAll(refs, parseImagesFile(text, f));
  }
  const unique = new Map<string, WantedImage>();
  for (const ref of refs) {
    const formatted = formatReference(ref);
    if (!unique.has(formatted)) unique.set(formatted, { ref, formatted });
  }
  const images = [...unique.values()].sort((a, b) => (a.formatted < b.formatted ? -1 : a.formatted > b.formatted ? 1 : 0));
  if (images.length === 0) throw new InputError('no images to copy', { hint: 'give charts that reference images, --image REF or --images-file FILE' });
  return { images, charts, warnings };
}

/**
 * The reference to ask the source for: the digest when the reference pins
 * one (a tag alongside it is kept for naming only), else the tag.
 */
export function sourceReference(ref: Reference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** The tag to store under at a registry destination: the tag, or the digest for digest-only references. */
export function destinationTag(ref: Reference): string {
  return ref.tag ?? ref.digest!;
}
