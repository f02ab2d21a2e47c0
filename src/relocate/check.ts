/**
 * Checking a relocated chart as rendered (pure): every container image,
 * runtime image and custom-resource image under the mirror, and every pod
 * with the pull secret (in its own `imagePullSecrets` or its ServiceAccount's).
 * `relocate --check` feeds it `helm template` output rendered with the user's
 * values plus the new overrides; the acceptance tests use the same reading.
 */
import { tryParseReference as tryParse, type Reference } from '../reference/index.js';
import type { Target } from '../mapping/index.js';
import type { RenderedChart } from './rendered.js';
import type { UnrelocatableImage } from './types.js';
import { columnWidths } from '../output/table.js';

export interface CheckProblem {
  /** `Deployment/web containers[app]`, or the pod's object for a missing pull secret. */
  where: string;
  /** The image as rendered (empty for a pull-secret problem). */
  image: string;
  problem: 'not moved' | 'no pull secret' | 'no image' | 'bad pull secrets';
  /** Why, and what to do. */
  why: string;
}

export interface CheckResult {
  /** Images checked (containers, runtime images, custom-resource images). */
  images: number;
  pods: number;
  problems: CheckProblem[];
}

export interface CheckOptions {
  target: Target;
  /** `--pull-secret` names: a pod passes with any of them. None: pull secrets are not checked. */
  pullSecrets: readonly string[];
  /** What the plan already knows values cannot move (template literals with file and line). */
  unrelocatable?: readonly UnrelocatableImage[];
}

function tryParseReference(s: string): Reference | undefined {
  const r = tryParse(s);
  return r.ok ? r.ref : undefined;
}

/** Whether a rendered image string is a reference under the mirror root. */
export function underMirror(image: string, target: Target): boolean {
  const ref = tryParseReference(image);
  if (!ref || ref.registry !== target.host) return false;
  return target.prefix === '' || ref.repository.startsWith(`${target.prefix}/`);
}

function sameImage(a: string, b: string): boolean {
  const x = tryParseReference(a);
  const y = tryParseReference(b);
  return x !== undefined && y !== undefined && x.registry === y.registry && x.repository === y.repository;
}

function whyNotMoved(image: string, kind: string, opts: CheckOptions): string {
  const known = opts.unrelocatable?.find((u) => !u.invalid && sameImage(u.ref, image));
  const runtime = kind === 'runtime' ? 'the program pulls it at run time; ' : '';
  if (known) return `${runtime}${known.reason} (${known.file}${known.line !== undefined ? `:${known.line}` : ''}): no value moves it; mirror it with --emit containerd or --emit registries-conf`;
  return `${runtime}no value airlift found moves it: set it in a values file (then run relocate again with it), or mirror it with --emit containerd or --emit registries-conf`;
}

export function checkRendered(r: RenderedChart, opts: CheckOptions): CheckResult {
  const problems: CheckProblem[] = [];
  for (const img of r.images) {
    if (img.image === '') {
      problems.push({ where: img.where, image: '', problem: 'no image', why: 'the container renders with an empty image: a value the chart needs is missing' });
      continue;
    }
    if (!underMirror(img.image, opts.target)) problems.push({ where: img.where, image: img.image, problem: 'not moved', why: whyNotMoved(img.image, img.kind, opts) });
  }
  if (opts.pullSecrets.length > 0) {
    const want = new Set(opts.pullSecrets);
    for (const p of r.pods) {
      const badSa = r.malformedServiceAccounts.get(p.serviceAccount ?? 'default');
      if (p.malformedPullSecrets.length > 0 || badSa) {
        const what = p.malformedPullSecrets.length > 0 ? `its imagePullSecrets hold ${p.malformedPullSecrets.join(', ')}` : `its ServiceAccount's imagePullSecrets hold ${badSa!.join(', ')}`;
        problems.push({ where: `${p.object}${p.hook ? ' (hook)' : ''}`, image: '', problem: 'bad pull secrets', why: `${what}, not {name: …} objects: Kubernetes refuses the pod; the value was written in another form than the template reads` });
        continue;
      }
      if (p.pullSecrets.some((n) => want.has(n))) continue;
      const sa = p.serviceAccount ?? 'default';
      const saSecrets = r.serviceAccounts.get(sa);
      if (saSecrets?.some((n) => want.has(n))) continue;
      const how = saSecrets === undefined
        ? `its ServiceAccount "${sa}" is not part of the chart: add the secret to it (kubectl patch serviceaccount ${sa} -p '{"imagePullSecrets":[{"name":"${opts.pullSecrets[0]}"}]}'), or let the runtime authenticate (--emit containerd with the mirror's credentials on the nodes)`
        : `neither the pod nor its ServiceAccount "${sa}" lists it, and the chart has no value that sets it there: patch the ServiceAccount, or let the runtime authenticate (--emit containerd)`;
      problems.push({ where: `${p.object}${p.hook ? ' (hook)' : ''}`, image: '', problem: 'no pull secret', why: how });
    }
  }
  return { images: r.images.length, pods: r.pods.length, problems };
}

/** The problems as a table for stderr/stdout. */
export function formatCheckTable(result: CheckResult): string {
  if (result.problems.length === 0) return '';
  const rows = [['WHERE', 'IMAGE', 'PROBLEM', 'WHY'], ...result.problems.map((p) => [p.where, p.image || '-', p.problem, p.why])];
  const widths = columnWidths(rows, 3);
  return rows.map((r) => r.map((cell, c) => (c === 3 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n') + '\n';
}
