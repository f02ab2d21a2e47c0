/**
 * What a relocation left behind, and the JSON report `relocate --report`
 * writes (pure): never a silent success.
 */
import type { CheckResult } from './check.js';
import { formatPath } from './values-tree.js';
import type { RelocationPlan, UnrelocatableImage } from './types.js';

export interface LeftBehind extends UnrelocatableImage {
  /** `templates/x.yaml:12`, or the file alone when the line is unknown. */
  where: string;
}

/** Images the overrides do not move: not set in values (and not repeated by a value that is moved), or incomplete. */
export function leftBehind(plan: RelocationPlan): LeftBehind[] {
  const seen = new Set<string>();
  const out: LeftBehind[] = [];
  for (const u of plan.unrelocatable) {
    if (u.covered) continue;
    const where = u.line !== undefined ? `${u.file}:${u.line}` : u.file;
    const key = `${u.ref}\u0000${where}\u0000${formatPath(u.path)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...u, where });
  }
  return out;
}

export interface RelocationReport {
  generator: string;
  target: string;
  mapping: string;
  charts: string[];
  relocated: { source: string; destination: string; values: string; chart: string; pinned?: string }[];
  /** Images the overrides do not move, with the template (and line) that writes them and what to do. */
  notMoved: { image: string; kind: string; chart: string; where: string; reason: string; what: string }[];
  /** Incomplete or malformed references the values leave (set them and run again). */
  invalid: { values: string; chart: string; reason: string }[];
  pullSecrets: { values: string; form: string; scope: string }[];
  /** Workloads no pull-secret value reaches. */
  noPullSecret: { workload: string; file: string; what: string }[];
  /** Image checks switched off so that the chart accepts the mirror's images. */
  gates: { values: string; value: unknown; why: string }[];
  /** --check: what helm rendered with the overrides that is not right (absent without --check). */
  check?: { images: number; pods: number; problems: CheckResult['problems'] };
  /** False when anything is left at its source, or (with --check) a problem was found. */
  complete: boolean;
}

export function relocationReport(plan: RelocationPlan, left: readonly LeftBehind[], check?: CheckResult): RelocationReport {
  const relocated = new Map<string, RelocationReport['relocated'][number]>();
  for (const i of plan.images) {
    const k = `${i.source}\u0000${formatPath(i.path)}`;
    if (!relocated.has(k)) relocated.set(k, { source: i.source, destination: i.destination, values: formatPath(i.path), chart: i.chart, ...(i.pinned ? { pinned: i.pinned } : {}) });
  }
  const notMoved = left.filter((u) => !u.invalid).map((u) => ({
    image: u.ref,
    kind: u.kind,
    chart: u.chart,
    where: u.where,
    reason: u.reason,
    what: 'redirect it at the runtime: --emit containerd --emit-dir DIR, or --emit registries-conf',
  }));
  const invalid = left.filter((u) => u.invalid).map((u) => ({ values: formatPath(u.path) || u.where, chart: u.chart, reason: u.reason }));
  return {
    generator: plan.generator,
    target: plan.target,
    mapping: plan.mode,
    charts: plan.charts,
    relocated: [...relocated.values()],
    notMoved,
    invalid,
    pullSecrets: plan.pullSecrets.map((p) => ({ values: formatPath(p.path), form: p.form, scope: p.scope })),
    noPullSecret: plan.noPullSecret.map((n) => ({ ...n })),
    gates: plan.gates.map((g) => ({ values: formatPath(g.path), value: g.value, why: g.why })),
    ...(check ? { check: { images: check.images, pods: check.pods, problems: check.problems } } : {}),
    complete: left.length === 0 && plan.images.length > 0 && (check === undefined || check.problems.length === 0),
  };
}
