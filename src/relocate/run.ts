/**
 * The `relocate` use case: scan the charts (once), plan the relocation, render
 * the overrides, the pull Secret and the runtime mirror files, write them (all
 * rendered before any is written), then run `--check` and say what is left
 * behind. Input: the command's flags as given; deps: the logger, the sinks for
 * stdout and stderr, the password reader and the registry client. No commander,
 * no process.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DependencyOptions } from '../chart/deps/resolve.js';
import { relabelChartPaths } from '../chart/remote/fetching.js';
import { scanCharts } from '../chart/scan.js';
import type { ChartValueOptions } from '../chart/types.js';
import { InputError, NotFoundError, UsageError } from '../errors.js';
import { readLock } from '../lock/io.js';
import type { Logger } from '../log.js';
import { formatTarget, parseMappingMode, parseTarget, type MappingMode, type Target } from '../mapping/index.js';
import { resolveOutput, writeOutput } from '../output/file.js';
import { formatReference, parseReference } from '../reference/index.js';
import type { RegistryClient } from '../registry/client.js';
import { VERSION } from '../version.js';
import { collectTemplateFacts } from './chart-values.js';
import { pullSecretFormsFromComments } from './comment-forms.js';
import { digestsFromLock } from './digests.js';
import { renderContainerdHosts, renderRegistriesConf, type EmittedFile } from './emit.js';
import { resolveMirrorDigests } from './mirror-digests.js';
import { planRelocation } from './plan.js';
import { formatPlanText, formatPlanYaml, renderOverrides } from './render.js';
import { finishRelocation, runRelocationCheck, warnSetPrecedence } from './run-check.js';
import { renderPullSecret } from './secret.js';
import type { PullSecretForm, RelocationPlan } from './types.js';

/** What the relocate command line sets (its flags, and the chart values as helm takes them). */
export interface RelocateOptions extends ChartValueOptions {
  to: string;
  mapping: string;
  digests: boolean;
  lock?: string;
  pullSecret: string[];
  secretOut?: string;
  username?: string;
  passwordStdin: boolean;
  namespace?: string;
  emit?: 'containerd' | 'registries-conf';
  emitDir?: string;
  dryRun: boolean;
  planFormat: 'text' | 'yaml';
  output?: string;
  annotations: boolean;
  templates: boolean;
  builtinHints: boolean;
  hints?: string;
  check: boolean;
  helm?: string;
  kubeVersion?: string;
  strict: boolean;
  report?: string;
}

export interface RelocateInput extends RelocateOptions {
  /** Chart directories or .tgz files, as given (resolved against `cwd`). */
  charts: string[];
  /** Fetched charts: temporary path → the reference given, which warnings and --check name instead. */
  chartLabels?: ReadonlyMap<string, string>;
  cwd: string;
  /** The first global --ca-file (the mirror's CA, put in the Secret and the containerd files). */
  caFile?: string;
  /** Global --plain-http hosts. */
  plainHttp: string[];
  /** Global --json: --check problems as events instead of a table. */
  json: boolean;
}

export interface RelocateDeps {
  log: Logger;
  /** Data: the overrides, the plan, a Secret or report sent to "-". */
  stdout(text: string): void;
  /** The --check table. */
  stderr(text: string): void;
  /** The mirror password (--password-stdin). */
  password(): Promise<string>;
  /** A registry client for --digests without --lock (closed here). */
  registryClient(): RegistryClient;
  /** The environment helm runs with for --check. */
  env: Record<string, string | undefined>;
  /** How the dependencies charts declare and do not vendor are resolved (src/chart/deps/); none: not resolved. */
  dependencies?: DependencyOptions;
  signal?: AbortSignal;
}

export interface RelocateResult {
  plan: RelocationPlan;
}

/** `airlift relocate`. Throws E_INCOMPLETE (after writing everything) when --check or --strict find images left behind. */
export async function relocate(input: RelocateInput, deps: RelocateDeps): Promise<RelocateResult> {
  const log = deps.log;
  const abs = (p: string): string => path.resolve(input.cwd, p);
  const target = parseTarget(input.to);
  const mode: MappingMode = parseMappingMode(input.mapping);
  await checkOutputs(input, abs);
  const scanOpts = {
    valuesFiles: input.values.map(abs),
    set: input.set,
    setString: input.setString,
    setJson: input.setJson,
    setFile: input.setFile,
    baseDir: input.cwd,
    enabledOnly: input.enabledOnly,
    allValues: input.allValues,
    annotations: input.annotations,
    templates: input.templates,
    builtinHints: input.builtinHints,
    ...(input.hints ? { hintsFile: abs(input.hints) } : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
    ...(deps.dependencies ? { dependencies: deps.dependencies } : {}),
  };
  const chartPaths = input.charts.map(abs);
  const scan = await scanCharts(chartPaths, scanOpts);
  // What the scan could not check against the rendered templates (a template airlift cannot render).
  for (const w of scan.warnings) log.log('warn', relabelChartPaths(w, input.chartLabels));
  const chartsValues = scan.chartValues;
  const password = input.passwordStdin ? await deps.password() : undefined;

  let digests: Map<string, string> | undefined;
  if (input.digests) {
    if (input.lock) digests = digestsFromLock(await readLock(abs(input.lock)));
    else {
      const client = deps.registryClient();
      try {
        digests = await resolveMirrorDigests(client, scan.findings, target, mode, log);
      } finally {
        await client.close();
      }
    }
  }

  const pullSecretForms = new Map<string, PullSecretForm>();
  if (input.pullSecret.length > 0) {
    for (const c of scan.charts) {
      if (c.packaged) continue;
      const text = await readFile(path.join(c.path, 'values.yaml'), 'utf8').catch(() => undefined);
      if (text !== undefined) for (const [k, v] of pullSecretFormsFromComments(text, c.valuesPath)) pullSecretForms.set(k, v);
    }
  }

  const shaPaths = scan.findings.flatMap((f) => (f.layout.type === 'object' && 'sha' in f.layout.fields ? [[...f.path, 'sha']] : []));
  const facts = collectTemplateFacts(scan.loaded, scan.pullSecrets.map((p) => p.path), shaPaths);
  const plan: RelocationPlan = planRelocation(scan.findings, {
    pullSecretForms,
    pullSecretConsumed: facts.pullSecretConsumed,
    gates: facts.gates,
    shaForms: facts.shaForms,
    noPullSecret: facts.noPullSecret.filter((n) => !scan.charts.some((c) => c.chart === n.chart && c.disabled)),
    target,
    mode,
    ...(digests ? { digests } : {}),
    pullSecrets: input.pullSecret,
    pullSecretSlots: scan.pullSecrets,
    chartsValues,
    charts: scan.charts.filter((c) => c.depth === 0).map((c) => `${c.name}-${c.version}`),
    generator: `airlift ${VERSION}`,
  });
  for (const u of plan.unrelocatable) {
    if (u.kind !== 'template') continue;
    const f = scan.findings.find((x) => x.file === u.file && x.ref && u.ref === formatReference(x.ref));
    // The string as written, else its repository (a template that builds the tag: printf "org/app:v%s").
    const line = [u.ref, f?.raw, f?.ref?.repository, f?.ref?.repository.replace(/^library\//, '')]
      .filter((c): c is string => c !== undefined && c !== '')
      .map((c) => facts.lineOf(u.file, c))
      .find((l) => l !== undefined);
    if (line !== undefined) u.line = line;
  }

  // Render everything first: a failure leaves nothing half-written.
  const overrides = renderOverrides(plan, chartsValues);
  const checkInput = {
    ...input,
    charts: scan.loaded.map((c, i) => ({
      name: c.name,
      version: c.version,
      path: c.path,
      packaged: c.packaged,
      label: input.chartLabels?.get(c.path) ?? c.path,
      ...(scan.dependencies[i] ? { dependencies: scan.dependencies[i] } : {}),
    })),
  };
  if (input.dryRun) {
    deps.stdout(input.planFormat === 'yaml' ? formatPlanYaml(plan) : formatPlanText(plan));
    const check = input.check ? await runRelocationCheck(checkInput, deps, overrides, undefined, plan, target) : undefined;
    await finishRelocation(input, deps, plan, check, undefined);
    return { plan };
  }
  let secret: string | undefined;
  if (input.secretOut) {
    const caFile = input.caFile;
    const caPem = caFile ? await readFile(abs(caFile), 'utf8').catch(() => { throw new NotFoundError(`--ca-file ${caFile} cannot be read`, { hint: 'check the path' }); }) : undefined;
    secret = renderPullSecret({
      name: input.pullSecret[0] ?? 'airlift-mirror',
      ...(input.namespace !== undefined ? { namespace: input.namespace } : {}),
      registry: target.host,
      username: input.username!,
      password: password!,
      ...(caPem !== undefined ? { caPem } : {}),
      comment: [`Pull Secret for ${target.host}, written by airlift ${VERSION} (airlift relocate).`, 'Holds a password: keep this file private.'],
    });
  }
  const emitted = input.emit ? await emitFiles(input, plan, scan.findings.map((f) => f.ref?.registry).filter((r): r is string => r !== undefined), target, mode) : [];

  const toFile = input.output !== undefined && input.output !== '-';
  for (const e of emitted) await writeOutput(path.join(abs(input.emitDir!), e.path), e.content, { mode: 0o644, mkdir: true, label: '--emit-dir file' });
  if (secret !== undefined) {
    if (input.secretOut === '-') deps.stdout(secret);
    else await writeOutput(abs(input.secretOut!), secret, { mode: 0o600, label: '--secret-out' });
  }
  if (!toFile) deps.stdout(overrides);
  else await writeOutput(abs(input.output!), overrides, { mode: 0o644, label: '-o' });

  warnSetPrecedence(input, log, plan);
  const check = input.check ? await runRelocationCheck(checkInput, deps, overrides, toFile ? abs(input.output!) : undefined, plan, target) : undefined;
  log.log('info', `relocated ${new Set(plan.images.map((i) => i.source)).size} image(s) to ${formatTarget(target)}` +
    `${toFile ? ` → ${input.output}` : ''}${secret !== undefined ? `; pull Secret → ${input.secretOut}` : ''}` +
    `${emitted.length > 0 ? `; ${emitted.length} ${input.emit} file(s) → ${input.emitDir}` : ''}`);
  await finishRelocation(input, deps, plan, check, emitted.length > 0 ? input.emit : undefined);
  return { plan };
}

/** Refuses, before any work, outputs that cannot be written: a directory as -o, a file as --emit-dir, two outputs on stdout. */
async function checkOutputs(input: RelocateInput, abs: (p: string) => string): Promise<void> {
  if (input.secretOut === '-' && (!input.output || input.output === '-')) {
    throw new UsageError('--secret-out - and the overrides would both go to stdout', { hint: 'write the overrides to a file with -o FILE, or the Secret with --secret-out FILE' });
  }
  if (input.output && input.output !== '-') await resolveOutput(abs(input.output), { label: '-o' });
  if (input.secretOut && input.secretOut !== '-') await resolveOutput(abs(input.secretOut), { label: '--secret-out' });
  if (input.emitDir) {
    const st = await stat(abs(input.emitDir)).catch(() => undefined);
    if (st && !st.isDirectory()) throw new UsageError(`--emit-dir ${input.emitDir} is not a directory`, { hint: 'name a directory (it is created when missing)' });
  }
}

async function emitFiles(input: RelocateInput, plan: RelocationPlan, registries: string[], target: Target, mode: MappingMode): Promise<EmittedFile[]> {
  const plainHttp = input.plainHttp.includes(target.host);
  const sources = registries.length > 0 ? registries : plan.images.map((i) => parseReference(i.source).registry);
  const base = { target, mode, sources, plainHttp, generator: plan.generator };
  if (input.emit === 'registries-conf') return [{ path: 'registries.conf', content: renderRegistriesConf(base) }];
  const caFile = input.caFile;
  if (!caFile) return renderContainerdHosts(base);
  const ca = await readFile(path.resolve(input.cwd, caFile), 'utf8').catch(() => {
    throw new InputError(`--ca-file ${caFile} cannot be read`, { hint: 'check the path' });
  });
  const files = renderContainerdHosts({ ...base, caFileName: 'mirror-ca.crt' });
  return files.flatMap((f) => [f, { path: path.join(path.dirname(f.path), 'mirror-ca.crt'), content: ca }]);
}
