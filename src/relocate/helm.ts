/**
 * Rendering a chart with the user's helm (I/O), for `relocate --check`: the
 * user's values, then the overrides, as `helm install` would take them.
 */
import { execFile } from 'node:child_process';
import { NotFoundError, InputError } from '../errors.js';
import { checkRendered, type CheckOptions, type CheckResult } from './check.js';
import { readRendered } from './rendered.js';

export interface HelmTemplateInput {
  /** `helm`, or the path given with --helm. */
  helm: string;
  chart: string;
  /** How errors name the chart when `chart` is a temporary package of it (default: `chart`). */
  label?: string;
  /** The user's -f files (absolute), then the overrides file last. */
  valuesFiles: readonly string[];
  set?: readonly string[];
  setString?: readonly string[];
  setJson?: readonly string[];
  setFile?: readonly string[];
  releaseName?: string;
  /** helm template --kube-version. */
  kubeVersion?: string;
  namespace?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  signal?: AbortSignal;
}

/** The largest rendering read back from helm (real charts render well under 10 MiB). */
const MAX_OUTPUT = 256 * 1024 * 1024;

export function helmTemplateArgs(i: HelmTemplateInput): string[] {
  const args = ['template', i.releaseName ?? 'release', i.chart, '--namespace', i.namespace ?? 'default'];
  if (i.kubeVersion) args.push('--kube-version', i.kubeVersion);
  for (const f of i.valuesFiles) args.push('-f', f);
  for (const s of i.setJson ?? []) args.push('--set-json', s);
  for (const s of i.set ?? []) args.push('--set', s);
  for (const s of i.setString ?? []) args.push('--set-string', s);
  for (const s of i.setFile ?? []) args.push('--set-file', s);
  return args;
}

/** `helm template ...`: the rendered manifests. Throws NotFoundError without helm, InputError when helm refuses to render. */
export function helmTemplate(i: HelmTemplateInput): Promise<string> {
  const args = helmTemplateArgs(i);
  return new Promise((resolve, reject) => {
    execFile(i.helm, args, { env: i.env, cwd: i.cwd, maxBuffer: MAX_OUTPUT, signal: i.signal, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) {
        resolve(stdout);
        return;
      }
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES') {
        reject(new NotFoundError(`--check needs helm: ${JSON.stringify(i.helm)} ${code === 'ENOENT' ? 'was not found' : 'cannot be run'}`, {
          hint: 'install helm (https://helm.sh/docs/intro/install/) or give its path with --helm PATH; without --check relocate does not need it',
        }));
        return;
      }
      if (i.signal?.aborted) {
        reject(i.signal.reason);
        return;
      }
      const msg = (stderr || err.message).trim().split('\n').slice(-5).join('\n');
      const kube = /requires kubeVersion/.test(msg) && !i.kubeVersion;
      const label = i.label ?? i.chart;
      reject(new InputError(`helm template ${label} with the overrides failed: ${msg}`, {
        hint: kube
          ? 'give the Kubernetes version of your cluster with --kube-version (e.g. --kube-version v1.34.0)'
          : label === i.chart
            ? `the chart does not render with these values and overrides; to see why, run: ${[i.helm, ...args].join(' ')}`
            : `the chart does not render with these values and overrides (helm was given ${label} with the dependencies airlift fetched, as save packages it)`,
      }));
    });
  });
}

export interface RenderCheckInput extends Omit<HelmTemplateInput, 'chart' | 'valuesFiles'> {
  charts: readonly string[];
  /** How problems name each chart when there are several (same order as charts; default: its path). */
  labels?: readonly string[];
  /** The user's -f files (absolute). */
  userValues: readonly string[];
  /** The overrides file (absolute), given after the user's files. */
  overrides: string;
  target: CheckOptions['target'];
  pullSecrets: readonly string[];
  unrelocatable?: CheckOptions['unrelocatable'];
}

/** Renders every chart with the user's values plus the overrides and checks the result; problems name the chart when there are several. */
export async function renderAndCheck(i: RenderCheckInput): Promise<CheckResult> {
  const total: CheckResult = { images: 0, pods: 0, problems: [] };
  for (const [n, chart] of i.charts.entries()) {
    const label = i.labels?.[n] ?? chart;
    const text = await helmTemplate({ ...i, chart, ...(label !== chart ? { label } : {}), valuesFiles: [...i.userValues, i.overrides] });
    const r = checkRendered(readRendered(text, `helm template ${chart}`), {
      target: i.target,
      pullSecrets: i.pullSecrets,
      ...(i.unrelocatable ? { unrelocatable: i.unrelocatable } : {}),
    });
    total.images += r.images;
    total.pods += r.pods;
    total.problems.push(...r.problems.map((p) => (i.charts.length > 1 ? { ...p, where: `${label}: ${p.where}` } : p)));
  }
  return total;
}
