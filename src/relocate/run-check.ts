/**
 * The end of a relocate run: `--check` (helm renders the charts with the
 * overrides), the warnings for what is left behind, the JSON report, and the
 * E_INCOMPLETE that --check and --strict ask for.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ValueFlags } from '../chart/types.js';
import { parseSetFileValues, parseSetJsonValues, parseSetValues } from '../chart/strvals.js';
import { IncompleteError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Target } from '../mapping/index.js';
import { chartBytes, type DiskChart } from '../mirror/charts.js';
import { writeOutput } from '../output/file.js';
import { formatCheckTable, type CheckResult } from './check.js';
import { renderAndCheck } from './helm.js';
import { leftBehind, relocationReport } from './report.js';
import type { RelocationPlan } from './types.js';
import { formatPath } from './values-tree.js';

/** A chart as relocate scanned it: its path, and the dependencies the scan fetched for it. */
export interface CheckChart extends DiskChart {
  /** How problems name it (the reference a fetched chart was given as); default: its path. */
  label?: string;
}

interface CheckInput extends ValueFlags {
  /** The charts as scanned (absolute paths). */
  charts: CheckChart[];
  cwd: string;
  helm?: string;
  kubeVersion?: string;
  pullSecret: string[];
  json: boolean;
}

interface CheckDeps {
  log: Logger;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
}

/** Renders with helm and checks; says what is not moved (a table on stderr, events with --json). */
export async function runRelocationCheck(
  input: CheckInput,
  deps: CheckDeps,
  overrides: string,
  overridesFile: string | undefined,
  plan: RelocationPlan,
  target: Target,
): Promise<CheckResult> {
  const abs = (p: string): string => path.resolve(input.cwd, p);
  const withDeps = input.charts.some((c) => (c.dependencies?.resolved.length ?? 0) > 0);
  const tmp = overridesFile === undefined || withDeps ? await mkdtemp(path.join(os.tmpdir(), 'airlift-check-')) : undefined;
  try {
    let file = overridesFile;
    if (file === undefined) {
      file = path.join(tmp!, 'overrides.yaml');
      await writeFile(file, overrides, { mode: 0o600 });
    }
    // helm gets the chart airlift scanned: with the dependencies it fetched under charts/ (as save packages it).
    const charts: string[] = [];
    for (const [i, c] of input.charts.entries()) {
      if ((c.dependencies?.resolved.length ?? 0) === 0) {
        charts.push(c.path);
        continue;
      }
      const dir = path.join(tmp!, String(i));
      await mkdir(dir);
      const tgz = path.join(dir, `${c.name}-${c.version}.tgz`);
      await writeFile(tgz, await chartBytes(c), { mode: 0o600 });
      charts.push(tgz);
    }
    const result = await renderAndCheck({
      helm: input.helm ? abs(input.helm) : 'helm',
      charts,
      labels: input.charts.map((c) => c.label ?? c.path),
      userValues: input.values.map(abs),
      overrides: file,
      set: input.set,
      setString: input.setString,
      setJson: input.setJson,
      setFile: input.setFile,
      ...(input.kubeVersion ? { kubeVersion: input.kubeVersion } : {}),
      env: deps.env,
      cwd: input.cwd,
      ...(deps.signal ? { signal: deps.signal } : {}),
      target,
      pullSecrets: input.pullSecret,
      unrelocatable: plan.unrelocatable,
    });
    const log = deps.log;
    if (input.json) for (const p of result.problems) log.event('check.problem', { ...p });
    else if (result.problems.length > 0) deps.stderr(`--check: what helm renders with the overrides that is not right:\n${formatCheckTable(result)}`);
    log.log('info', `--check: ${result.images} image(s) in ${result.pods} pod spec(s) rendered by helm; ${result.problems.length === 0 ? 'all under the mirror' : `${result.problems.length} problem(s)`}`
      + `${input.pullSecret.length > 0 && result.problems.every((p) => p.problem !== 'no pull secret') ? ', every pod with the pull secret' : ''}`);
    return result;
  } finally {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
}

/** Warnings for what was left behind, the JSON report, and the exit status --check and --strict ask for. */
export async function finishRelocation(
  input: { cwd: string; report?: string; strict: boolean },
  deps: { log: Logger; stdout(text: string): void },
  plan: RelocationPlan,
  check: CheckResult | undefined,
  emitted: string | undefined,
): Promise<void> {
  const log = deps.log;
  const left = leftBehind(plan);
  for (const u of left) {
    if (u.invalid) log.log('warn', `not relocated: ${formatPath(u.path) || u.file}: ${u.reason}`);
    else log.log('warn', `not relocatable by values: ${u.ref} (${u.reason}; ${u.where})${emitted ? `: redirected by the ${emitted} files` : ': redirect it at the runtime with --emit containerd or --emit registries-conf'}`);
  }
  if (plan.images.length === 0) {
    log.log('warn', `relocated nothing: no value of ${plan.charts.join(', ') || 'the charts'} that airlift recognises sets an image, so the overrides change no image; ` +
      'run airlift images on the chart to see what it finds, and --check to see what helm renders');
  }
  for (const g of plan.gates) log.log('warn', `${formatPath(g.path)}: ${g.why}`);
  for (const n of plan.noPullSecret) log.log('warn', `no pull-secret value reaches ${n.workload} (${n.file}): ${n.what}`);
  if (input.report) {
    const text = JSON.stringify(relocationReport(plan, left, check), null, 2) + '\n';
    if (input.report === '-') deps.stdout(text);
    else await writeOutput(path.resolve(input.cwd, input.report), text, { mode: 0o644, label: '--report' });
  }
  if (check && check.problems.length > 0) {
    throw new IncompleteError(`--check: ${check.problems.length} problem(s) in what helm renders with the overrides (table above)`, {
      hint: 'the overrides are written; mirror what values cannot move with --emit containerd, and patch ServiceAccounts for pods without the pull secret',
    });
  }
  if (input.strict && (left.length > 0 || plan.images.length === 0)) {
    throw new IncompleteError(`--strict: ${plan.images.length === 0 ? 'no image relocated' : `${left.length} image(s) left at their source`}`, {
      hint: 'see the warnings above; --check renders the chart with helm to show every image the pods pull',
    });
  }
}

/**
 * helm gives --set (and --set-string, --set-json, --set-file) precedence over every -f file: a key
 * the overrides also write would undo them at install.
 */
export function warnSetPrecedence(input: Omit<ValueFlags, 'values'>, log: Logger, plan: RelocationPlan): void {
  const trees: Array<[string, unknown]> = [];
  if (input.set.length || input.setString.length) trees.push(['--set', parseSetValues([...input.set, ...input.setString], { typed: false })]);
  if (input.setJson.length) trees.push(['--set-json', parseSetJsonValues(input.setJson)]);
  if (input.setFile.length) trees.push(['--set-file', parseSetFileValues(input.setFile, () => '')]);
  for (const [flag, tree] of trees) {
    for (const w of plan.writes) {
      let cur: unknown = tree;
      for (const seg of w.path) {
        if (cur === null || typeof cur !== 'object') break;
        cur = (cur as Record<string, unknown>)[String(seg)];
        if (cur === undefined) break;
      }
      if (cur !== undefined) {
        log.log('warn', `${flag} also sets ${formatPath(w.path)}: helm applies ${flag} after -f files, so pass it in a values file before the overrides at install time, or the chart keeps pulling from the source`);
      }
    }
  }
}
