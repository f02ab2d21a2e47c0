/**
 * What the chart scanner reports. One finding per place an image is set; the
 * relocation planner consumes these to write overrides in the same layout.
 */
import type { Reference } from '../reference/index.js';
import type { DependencyOptions, DependencyResult } from './deps/resolve.js';
import type { LoadedChart } from './load.js';

export type FindingKind = 'values' | 'template' | 'annotation' | 'hints' | 'manifest';

/** Keys an image object can carry. `image`/`name` stand in for `repository`, `sha` for `digest`. */
export type ImageField = 'registry' | 'repository' | 'image' | 'name' | 'tag' | 'digest' | 'sha';

export type ValuesPath = (string | number)[];

export type ImageLayout =
  /** `path` holds a string such as "quay.io/org/app:1.2". */
  | { type: 'string' }
  /**
   * `path` holds a map with some of the image fields. `fields` records which
   * keys were present and their values (null when present but null/empty).
   * `registryFrom` says where the registry came from: the map's own `registry`,
   * a global value (`globalPath`, e.g. ['global','imageRegistry']), a host
   * embedded in `repository`, or nowhere (Docker Hub default).
   */
  | {
      type: 'object';
      fields: Partial<Record<ImageField, string | null>>;
      registryFrom: 'self' | 'global' | 'repository' | 'none';
      globalPath?: ValuesPath;
      /**
       * Set when this map's repository was empty and the chart falls back to
       * another image in the same values (argo-cd: `global.image`; airflow:
       * `defaultAirflowRepository` + `defaultAirflowTag`). The reference was
       * built from that path; writing this map's own fields also overrides it.
       */
      fallbackPath?: ValuesPath;
      /** The keys the fallback image was read from (`repository`/`tag`, or sibling key names). */
      fallbackKeys?: { repository: string; tag?: string };
      /** Set when the tag was built from appVersion plus a `tagLabel` field (jenkins: `2.568.2-jdk21`). */
      tagLabel?: string;
      /**
       * Set when the template puts a namespace (a path prefix) between the registry and
       * `name`/`repository`, read from this values path (cert-manager: `imageNamespace`).
       */
      namespacePath?: ValuesPath;
      /** As for `sibling`: the values path of a hub the template puts before the repository. */
      hubPath?: ValuesPath;
    }
  /** `path` is the parent map; the image string is at `imageKey`, the tag at `tagKey` (`foo.image` + `foo.tag`). */
  | {
      type: 'sibling';
      imageKey: string;
      tagKey: string;
      /**
       * Set when the template puts a hub before the image (istio: `{{ .hub | default .global.hub }}/{{ .image }}`):
       * the values path whose string is that prefix as rendered (`global.hub`).
       */
      hubPath?: ValuesPath;
    }
  /**
   * A hints-file template that could not be mapped to one image map: `paths`
   * lists every values path the template reads (in order of appearance).
   */
  | { type: 'hint'; template: string; paths: ValuesPath[] }
  /** Not in values (templates, annotations, manifests). */
  | { type: 'none' };

export interface ImageFinding {
  /** The parsed, normalised reference; undefined when the assembled string is invalid. */
  ref: Reference | undefined;
  /** The reference as assembled from the chart, before normalisation. */
  raw: string;
  /** Why `raw` is invalid, when it is. */
  error?: string;
  kind: FindingKind;
  /** Chart chain from the top-level chart: "k8ssandra" or "k8ssandra/kube-prometheus-stack". */
  chart: string;
  /** The file it came from (values file, template, Chart.yaml, hints file, "-" for stdin). */
  file: string;
  /** Values path from the top-level chart's values (subchart values prefixed with the subchart name or alias). */
  path: ValuesPath;
  layout: ImageLayout;
  /** Set when the tag was empty and filled from the chart's appVersion. */
  tagDefaulted?: 'appVersion' | 'v-appVersion';
  /** Set when the image belongs to a subchart disabled by `condition`/`tags`. */
  disabled?: boolean;
  /** Set for hints that ship with airlift for a known chart (see src/chart/known-charts.ts), not from --hints. */
  builtin?: boolean;
  /**
   * Where the chart's templates, rendered with these values, put this image:
   * `Deployment/release-app containers[app]`, `… arg --x-image`, `… env X_IMAGE`, `Kind/name spec.image`.
   * Undefined when the chart was not rendered (no templates, a template airlift cannot render, stdin).
   */
  where?: string[];
  /** Set when the image is only named in a container's args or env (a program pulls it later). */
  runtime?: boolean;
  /**
   * Set when the reference was taken from the rendered templates because they compute it
   * differently from the values (a tag from `printf "v%s" .Chart.AppVersion`, a default registry);
   * `raw` is then the rendered string.
   */
  computed?: boolean;
  /**
   * Set when the chart's templates, rendered with these values, do not use this image (a disabled
   * component or subchart). Such findings are left out of `ScanResult.images` unless `allValues`.
   */
  notRendered?: boolean;
}

/** One chart or subchart that took part in a scan. */
export interface ChartInfo {
  name: string;
  version: string;
  appVersion?: string;
  /** "application" or "library". */
  type: string;
  /** Chain from the top-level chart, using aliases: "k8ssandra/kube-prometheus-stack". */
  chart: string;
  /** The alias this subchart is used under, when it has one. */
  alias?: string;
  /** Where its values live in the top-level values: [] for a top-level chart, ['upstream'] for a subchart aliased upstream. */
  valuesPath: ValuesPath;
  /**
   * On disk: the chart directory or `.tgz`; for a chart inside a `.tgz`, the
   * archive path followed by "!/" and the path inside (`app.tgz!/app/charts/sub.tgz`).
   */
  path: string;
  /** Whether the chart came from a packaged `.tgz` (itself, not only its parent). */
  packaged: boolean;
  /** 0 for a chart given on the command line, 1 for its subcharts, and so on. */
  depth: number;
  disabled: boolean;
  /** Dependencies declared in Chart.yaml that have no chart under charts/ (their images are only what the parent's values set). */
  missingDependencies: string[];
}

/** One unique image (unique by its formatted reference) with every place that asked for it. */
export interface ScannedImage {
  ref: Reference;
  /** formatReference(ref): "docker.io/library/nginx:1.25". */
  formatted: string;
  sources: ImageFinding[];
  /** True when every source is in a disabled subchart. */
  disabled: boolean;
}

export interface ScanOptions {
  /** User values files, lowest precedence first (helm -f). */
  valuesFiles?: string[];
  /** helm --set expressions. */
  set?: string[];
  /** helm --set-string expressions. */
  setString?: string[];
  /** helm --set-json expressions (`key=<JSON>`). */
  setJson?: string[];
  /** helm --set-file expressions (`key=PATH`: the file's content is the value). */
  setFile?: string[];
  /** Where relative --set-file paths start (default: the process's working directory). */
  baseDir?: string;
  /** Leave out images of subcharts disabled by condition/tags. */
  enabledOnly?: boolean;
  /** Read the image annotations of Chart.yaml (default true). */
  annotations?: boolean;
  /** A hints file (YAML list of templates). */
  hintsFile?: string;
  /** Scan templates for literal images (default true). */
  templates?: boolean;
  /** Apply the hints airlift ships for known charts (default true). */
  builtinHints?: boolean;
  /** Also list images set in values that the rendered templates do not use (default false). */
  allValues?: boolean;
  /**
   * Resolve the dependencies a top-level chart declares and does not vendor under charts/ (as
   * `helm dependency build`); without it they stay missing (their images are only what the
   * parent's values set).
   */
  dependencies?: DependencyOptions;
}

/** One chart's merged values (its defaults, parent overrides, user files, --set) and where they sit from the top chart. */
export interface ChartValuesEntry {
  /** Chart chain: "k8ssandra" or "k8ssandra/kube-prometheus-stack". */
  chart: string;
  /** [] for the top chart, ['kube-prometheus-stack'] for a subchart. */
  path: ValuesPath;
  values: unknown;
}

export interface ScanResult {
  /** Every finding, valid or not, in chart order. */
  findings: ImageFinding[];
  /** Valid findings grouped by reference, sorted by formatted reference. */
  images: ScannedImage[];
  /** Findings whose reference is malformed (error set). */
  errors: ImageFinding[];
  charts: ChartInfo[];
  /** What the scan could not check: templates that could not be rendered, charts whose pods name no image found. */
  warnings: string[];
  /** Every chart's and subchart's merged values as the scan saw them, in walk order (disabled ones too). */
  chartValues: ChartValuesEntry[];
  /** The top-level charts as loaded (not "-"), in argument order: their templates, for relocate. */
  loaded: LoadedChart[];
  /** Per top-level chart (same order as `loaded`), the dependencies resolved and skipped (with `dependencies`). */
  dependencies: DependencyResult[];
}

/** helm's value flags as given, each in its order: -f files, --set, --set-string, --set-json, --set-file expressions. */
export interface ValueFlags {
  values: string[];
  set: string[];
  setString: string[];
  setJson: string[];
  setFile: string[];
}

/** Chart values as helm takes them (-f, --set, --set-string, --set-json, --set-file), and which parts to scan. */
export interface ChartValueOptions extends ValueFlags {
  enabledOnly: boolean;
  allValues: boolean;
  /** --skip-missing-deps: a dependency that cannot be fetched is a warning, and the run goes on without it. */
  skipMissingDeps?: boolean;
  /** false with --no-fetch-deps: only the dependencies vendored under charts/ are read. */
  fetchDeps?: boolean;
}
