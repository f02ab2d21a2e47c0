/**
 * A relocation plan: what to write into a values overrides file so that a
 * chart pulls every image from the mirror. Computed (purely) from the scan
 * findings before anything is written, and printable with `--dry-run`.
 */
import type { FindingKind, ValuesPath } from '../chart/types.js';
import type { MappingMode } from '../mapping/map.js';

/** One value to set in the overrides file. */
export interface ValueWrite {
  /** Values path from the top-level chart (subchart values under the subchart's name or alias). */
  path: ValuesPath;
  value: unknown;
  /** Why it is written, for the printed plan ("registry", "repository", "digest pin", "global registry", ...). */
  reason: string;
}

/** One image set in values, and how it is pointed at the mirror. */
export interface PlannedImage {
  chart: string;
  file: string;
  /** Where the image is set (for sibling layouts: the parent map). */
  path: ValuesPath;
  /** "string", "object", "sibling". */
  layout: string;
  /** Normalised source reference. */
  source: string;
  /** The reference the chart renders once the overrides are applied. */
  destination: string;
  /** The writes this image needs (shared global writes are listed in `RelocationPlan.globals`). */
  writes: ValueWrite[];
  /** Global registry path this image reads, when the plan relies on it. */
  viaGlobal?: ValuesPath;
  /** Digest pinned with --digests. */
  pinned?: string;
  /** Set when the image belongs to a disabled subchart (relocated anyway: enabling it later must not reach the internet). */
  disabled?: boolean;
}

/** A global registry field and how the plan treats it. */
export interface GlobalDecision {
  path: ValuesPath;
  /** The value written, or undefined when left alone. */
  value: string | undefined;
  /** Values paths of the images that read it. */
  readers: ValuesPath[];
  /** "shared": every reader goes to the same place; "cleared": per-image registries take over; "root": the mirror root, repositories set per image. */
  strategy: 'shared' | 'cleared' | 'root';
}

/** `objects`: a list of `{name}`; `names`: a list of strings; `string`: one name (`imagePullSecretName`). */
export type PullSecretForm = 'objects' | 'names' | 'string';

/** A place where the chart reads pull secrets, and what is written there. */
export interface PullSecretWrite {
  path: ValuesPath;
  form: PullSecretForm;
  value: (string | { name: string })[] | string;
  /** "global", "component", "serviceAccount", "image". */
  scope: 'global' | 'component' | 'serviceAccount' | 'image';
  /** Whether the chart declares this key (false only for global.imagePullSecrets added by default). */
  declared: boolean;
}

/** A finding that values overrides cannot change. */
export interface UnrelocatableImage {
  ref: string;
  kind: FindingKind;
  chart: string;
  file: string;
  path: ValuesPath;
  reason: string;
  /** True when a values finding relocates the same image (the annotation or template only repeats it). */
  covered: boolean;
  /** True when the reference is malformed or incomplete (nothing to relocate until the values complete it). */
  invalid?: boolean;
  /** 1-based line of the template that writes it, when known. */
  line?: number;
}

/** A value the chart checks before it accepts substituted images (Bitnami's `global.security.allowInsecureImages`). */
export interface GateWrite {
  path: ValuesPath;
  value: unknown;
  /** What the chart checks and why the overrides set it. */
  why: string;
  /** The template that reads it. */
  file: string;
}

/** A workload whose pod spec no pull-secret value reaches (found in the chart's templates). */
export interface NoPullSecret {
  /** `Deployment` in `templates/x.yaml`, as the template names it. */
  workload: string;
  file: string;
  /** Chart chain the template belongs to. */
  chart: string;
  /** What to do. */
  what: string;
}

export interface RelocationPlan {
  /** "airlift 0.1.0" */
  generator: string;
  /** "HOST[:PORT][/PREFIX]" as given. */
  target: string;
  host: string;
  prefix: string;
  mode: MappingMode;
  /** Top-level charts the plan was made for. */
  charts: string[];
  images: PlannedImage[];
  globals: GlobalDecision[];
  pullSecrets: PullSecretWrite[];
  unrelocatable: UnrelocatableImage[];
  /** Image checks the overrides switch off so that the chart accepts the mirror's images. */
  gates: GateWrite[];
  /** Workloads no pull-secret value reaches (only when --pull-secret is given). */
  noPullSecret: NoPullSecret[];
  /** Every value written, merged and sorted: what the overrides file holds. */
  writes: ValueWrite[];
}

/** A subchart's (or the top chart's) merged values and where they live from the top. */
export interface ChartValues {
  /** Chart chain: "k8ssandra" or "k8ssandra/kube-prometheus-stack". */
  chart: string;
  /** Values path of this chart's values from the top chart ([] for the top chart, ['kube-prometheus-stack'] for a subchart). */
  path: ValuesPath;
  /** The merged values the chart sees (its defaults, parent overrides, user files, --set). */
  values: unknown;
}
