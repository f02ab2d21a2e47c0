/**
 * `airlift relocate CHART... --to HOST[:PORT][/PREFIX] [-f VALUES]... [--set K=V]...
 *   [--mapping default|preserve-registry|flatten] [--digests] [--lock FILE]
 *   [--pull-secret NAME]... [--secret-out FILE --username U --password-stdin]
 *   [--namespace NS] [--emit containerd|registries-conf] [--emit-dir DIR]
 *   [--dry-run] [-o OVERRIDES.yaml]`
 * Writes the values overrides that point the charts at the mirror (stdout
 * with `-o -` or no -o), and optionally the pull Secret and runtime mirror
 * files. Everything is computed before anything is written.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { parseSetFileValues, parseSetJsonValues, parseSetValues, scanCharts } from '../../src/chart/index.js';
import { IncompleteError, InputError, NotFoundError, UsageError } from '../../src/errors.js';
import { readLock } from '../../src/lock/io.js';
import { resolveOutput, writeOutput } from '../../src/output/file.js';
import { formatTarget, parseMappingMode, parseTarget, type MappingMode } from '../../src/mapping/index.js';
import { formatReference, parseReference } from '../../src/reference/index.js';
import { readPassword } from '../../src/stdin.js';
import {
  checkSecretName,
  collectTemplateFacts,
  formatPath,
  resolveMirrorDigests,
  digestsFromLock,
  formatPlanText,
  formatPlanYaml,
  planRelocation,
  renderContainerdHosts,
  renderOverrides,
  renderPullSecret,
  renderRegistriesConf,
  pullSecretFormsFromComments,
  formatCheckTable,
  leftBehind,
  relocationReport,
  renderAndCheck,
  type CheckResult,
  type EmittedFile,
  type PullSecretForm,
  type RelocationPlan,
} from '../../src/relocate/index.js';
import type { CommandContext } from '../context.js';
import { VERSION } from '../../src/version.js';
import { registryClientFromContext } from '../registry-client.js';
import { chartValuesOptions, collect, scanValueOptions, type ChartValueFlags } from '../options.js';

interface RelocateFlags extends ChartValueFlags {
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

function checkFlags(f: RelocateFlags): void {
  if (f.lock && !f.digests) throw new UsageError('--lock is used only with --digests', { hint: 'add --digests to pin the digests the lock records' });
  if (f.secretOut) {
    if (!f.username) throw new UsageError('--secret-out needs --username', { hint: 'give the mirror user name with --username and the password with --password-stdin' });
    if (!f.passwordStdin) throw new UsageError('--secret-out needs --password-stdin', { hint: 'pipe the password in: echo "$PASS" | airlift relocate ... --password-stdin' });
  } else if (f.username || f.passwordStdin) {
    throw new UsageError('--username and --password-stdin are used only with --secret-out', { hint: 'add --secret-out FILE to write the pull Secret' });
  }
  if (f.emit && !f.emitDir) throw new UsageError(`--emit ${f.emit} needs --emit-dir DIR`, { hint: 'give the directory to write the runtime mirror files into' });
  if (f.report === '-' && (f.dryRun || !f.output || f.output === '-')) {
    throw new UsageError('--report - needs stdout, which the overrides (or the --dry-run plan) already use', { hint: 'write the overrides to a file with -o FILE, or the report with --report FILE' });
  }
  if (f.helm && !f.check) throw new UsageError('--helm is used only with --check', { hint: 'add --check to render the relocated chart with this helm' });
  if (f.kubeVersion && !f.check) throw new UsageError('--kube-version is used only with --check', { hint: 'add --check to render the relocated chart for this Kubernetes version' });
  if (f.emitDir && !f.emit) throw new UsageError('--emit-dir is used only with --emit', { hint: 'add --emit containerd or --emit registries-conf' });
  for (const n of f.pullSecret) checkSecretName(n, '--pull-secret');
  if (f.namespace !== undefined) checkSecretName(f.namespace, '--namespace');
}

export function registerRelocate(program: Command, ctx: CommandContext): void {
  chartValuesOptions(
    program
      .command('relocate')
      .description('write values overrides (and a pull Secret) that make the charts pull every image from the mirror')
      .argument('<chart...>', 'chart directories or packaged .tgz files'),
  )
    .requiredOption('--to <target>', 'the mirror: HOST[:PORT][/PREFIX]')
    .option('--mapping <mode>', 'where images land under the target: default, preserve-registry or flatten (as used for load/sync)', 'default')
    .option('--digests', 'pin every image to the digest stored in the mirror (from --lock, else asked from the mirror)', false)
    .option('--lock <file>', 'lock written by load/sync (--lock-out): the digests to pin with --digests')
    .option('--pull-secret <name>', 'image pull Secret to set in global.imagePullSecrets and every pull-secret list the charts read (repeatable)', collect, [])
    .option('--secret-out <file>', 'write a kubernetes.io/dockerconfigjson Secret for the mirror (needs --username and --password-stdin)')
    .option('--username <user>', 'mirror user name for --secret-out')
    .option('--password-stdin', 'read the mirror password for --secret-out from stdin', false)
    .option('--namespace <ns>', 'namespace of the Secret written by --secret-out')
    .addOption(new Option('--emit <kind>', 'also write runtime mirror configuration').choices(['containerd', 'registries-conf']))
    .option('--emit-dir <dir>', 'directory for --emit files (containerd: <dir>/<source-host>/hosts.toml; registries-conf: <dir>/registries.conf)')
    .option('--dry-run', 'print the plan and write nothing', false)
    .addOption(new Option('--plan-format <format>', 'format of the --dry-run plan').choices(['text', 'yaml']).default('text'))
    .option('-o, --output <file>', 'overrides file to write ("-" or none: stdout)')
    .option('--no-annotations', 'ignore the image annotations of Chart.yaml')
    .option('--no-templates', 'do not look for literal images in templates')
    .option('--no-builtin-hints', 'do not apply the hints airlift ships for known charts')
    .option('--hints <file>', 'YAML list of image templates such as "{{ .foo.registry }}/{{ .foo.repository }}:{{ .foo.tag }}"')
    .option('--check', 'render the charts with your values plus the overrides (helm template) and check that every image is under the mirror and every pod has the pull secret; exit 12 when not', false)
    .option('--helm <path>', 'helm binary for --check (default: helm on PATH)')
    .option('--kube-version <version>', 'Kubernetes version --check renders for (helm template --kube-version), e.g. v1.34.0')
    .option('--strict', 'exit 12 (E_INCOMPLETE) when an image is left at its source (not relocatable by values, or nothing relocated)', false)
    .option('--report <file>', 'write a JSON report: images relocated, images left and why, pull secrets, gates opened, --check problems ("-": stdout, when the overrides go to a file)')
    .action(async (charts: string[], flags: RelocateFlags) => {
      checkFlags(flags);
      const log = ctx.logger();
      const abs = (p: string): string => path.resolve(ctx.io.cwd, p);
      if (charts.includes('-')) throw new UsageError('relocate needs charts, not rendered manifests ("-")', { hint: 'give chart directories or .tgz files' });
      const target = parseTarget(flags.to);
      const mode: MappingMode = parseMappingMode(flags.mapping);
      await checkOutputs(flags, abs);
      const scanOpts = {
        ...scanValueOptions(flags, abs, ctx.io.cwd),
        annotations: flags.annotations,
        templates: flags.templates,
        builtinHints: flags.builtinHints,
        ...(flags.hints ? { hintsFile: abs(flags.hints) } : {}),
        signal: ctx.io.signal,
      };
      const chartPaths = charts.map(abs);
      const scan = await scanCharts(chartPaths, scanOpts);
      // What the scan could not check against the rendered templates (a template airlift cannot render).
      for (const w of scan.warnings) log.log('warn', w);
      const chartsValues = scan.chartValues;
      const password = flags.passwordStdin
        ? await readPassword(ctx.io.stdin, { signal: ctx.io.signal, hint: 'pipe the mirror password into the command' })
        : undefined;

      let digests: Map<string, string> | undefined;
      if (flags.digests) {
        if (flags.lock) digests = digestsFromLock(await readLock(abs(flags.lock)));
        else {
          const client = registryClientFromContext(ctx);
          try {
            digests = await resolveMirrorDigests(client, scan.findings, target, mode, log);
          } finally {
            await client.close();
          }
        }
      }

      const pullSecretForms = new Map<string, PullSecretForm>();
      if (flags.pullSecret.length > 0) {
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
        pullSecrets: flags.pullSecret,
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
      if (flags.dryRun) {
        ctx.io.stdout.write(flags.planFormat === 'yaml' ? formatPlanYaml(plan) : formatPlanText(plan));
        const check = flags.check ? await runCheck(ctx, flags, chartPaths, overrides, undefined, plan, target) : undefined;
        await finish(ctx, flags, plan, check, undefined);
        return;
      }
      let secret: string | undefined;
      if (flags.secretOut) {
        const caFile = ctx.globals().caFile[0];
        const caPem = caFile ? await readFile(abs(caFile), 'utf8').catch(() => { throw new NotFoundError(`--ca-file ${caFile} cannot be read`, { hint: 'check the path' }); }) : undefined;
        secret = renderPullSecret({
          name: flags.pullSecret[0] ?? 'airlift-mirror',
          ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
          registry: target.host,
          username: flags.username!,
          password: password!,
          ...(caPem !== undefined ? { caPem } : {}),
          comment: [`Pull Secret for ${target.host}, written by airlift ${VERSION} (airlift relocate).`, 'Holds a password: keep this file private.'],
        });
      }
      const emitted = flags.emit ? await emitFiles(ctx, flags, plan, scan.findings.map((f) => f.ref?.registry).filter((r): r is string => r !== undefined), target, mode) : [];

      const toFile = flags.output !== undefined && flags.output !== '-';
      for (const e of emitted) await writeOutput(path.join(abs(flags.emitDir!), e.path), e.content, { mode: 0o644, mkdir: true, label: '--emit-dir file' });
      if (secret !== undefined) {
        if (flags.secretOut === '-') ctx.io.stdout.write(secret);
        else await writeOutput(abs(flags.secretOut!), secret, { mode: 0o600, label: '--secret-out' });
      }
      if (!toFile) ctx.io.stdout.write(overrides);
      else await writeOutput(abs(flags.output!), overrides, { mode: 0o644, label: '-o' });

      warnSetPrecedence(ctx, flags, plan);
      const check = flags.check ? await runCheck(ctx, flags, chartPaths, overrides, toFile ? abs(flags.output!) : undefined, plan, target) : undefined;
      log.log('info', `relocated ${new Set(plan.images.map((i) => i.source)).size} image(s) to ${formatTarget(target)}` +
        `${toFile ? ` → ${flags.output}` : ''}${secret !== undefined ? `; pull Secret → ${flags.secretOut}` : ''}` +
        `${emitted.length > 0 ? `; ${emitted.length} ${flags.emit} file(s) → ${flags.emitDir}` : ''}`);
      await finish(ctx, flags, plan, check, emitted.length > 0 ? flags.emit : undefined);
    });
}

/** Refuses, before any work, outputs that cannot be written: a directory as -o, a file as --emit-dir, two outputs on stdout. */
async function checkOutputs(flags: RelocateFlags, abs: (p: string) => string): Promise<void> {
  if (flags.secretOut === '-' && (!flags.output || flags.output === '-')) {
    throw new UsageError('--secret-out - and the overrides would both go to stdout', { hint: 'write the overrides to a file with -o FILE, or the Secret with --secret-out FILE' });
  }
  if (flags.output && flags.output !== '-') await resolveOutput(abs(flags.output), { label: '-o' });
  if (flags.secretOut && flags.secretOut !== '-') await resolveOutput(abs(flags.secretOut), { label: '--secret-out' });
  if (flags.emitDir) {
    const st = await stat(abs(flags.emitDir)).catch(() => undefined);
    if (st && !st.isDirectory()) throw new UsageError(`--emit-dir ${flags.emitDir} is not a directory`, { hint: 'name a directory (it is created when missing)' });
  }
}

/** Renders with helm and checks; prints what is not moved (a table on stderr, events with --json). */
async function runCheck(
  ctx: CommandContext,
  flags: RelocateFlags,
  charts: string[],
  overrides: string,
  overridesFile: string | undefined,
  plan: RelocationPlan,
  target: ReturnType<typeof parseTarget>,
): Promise<CheckResult> {
  const abs = (p: string): string => path.resolve(ctx.io.cwd, p);
  let tmp: string | undefined;
  let file = overridesFile;
  if (file === undefined) {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'airlift-check-'));
    file = path.join(tmp, 'overrides.yaml');
    await writeFile(file, overrides, { mode: 0o600 });
  }
  try {
    const result = await renderAndCheck({
      helm: flags.helm ? abs(flags.helm) : 'helm',
      charts,
      userValues: flags.values.map(abs),
      overrides: file,
      set: flags.set,
      setString: flags.setString,
      setJson: flags.setJson,
      setFile: flags.setFile,
      ...(flags.kubeVersion ? { kubeVersion: flags.kubeVersion } : {}),
      env: { ...process.env, ...ctx.io.env },
      cwd: ctx.io.cwd,
      ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
      target,
      pullSecrets: flags.pullSecret,
      unrelocatable: plan.unrelocatable,
    });
    const log = ctx.logger();
    if (ctx.globals().json) for (const p of result.problems) log.event('check.problem', { ...p });
    else if (result.problems.length > 0) ctx.io.stderr.write(`--check: what helm renders with the overrides that is not right:\n${formatCheckTable(result)}`);
    log.log('info', `--check: ${result.images} image(s) in ${result.pods} pod spec(s) rendered by helm; ${result.problems.length === 0 ? 'all under the mirror' : `${result.problems.length} problem(s)`}`
      + `${flags.pullSecret.length > 0 && result.problems.every((p) => p.problem !== 'no pull secret') ? ', every pod with the pull secret' : ''}`);
    return result;
  } finally {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
}

/** Warnings for what was left behind, the JSON report, and the exit status --check and --strict ask for. */
async function finish(ctx: CommandContext, flags: RelocateFlags, plan: RelocationPlan, check: CheckResult | undefined, emitted: string | undefined): Promise<void> {
  const log = ctx.logger();
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
  if (flags.report) {
    const text = JSON.stringify(relocationReport(plan, left, check), null, 2) + '\n';
    if (flags.report === '-') ctx.io.stdout.write(text);
    else await writeOutput(path.resolve(ctx.io.cwd, flags.report), text, { mode: 0o644, label: '--report' });
  }
  if (check && check.problems.length > 0) {
    throw new IncompleteError(`--check: ${check.problems.length} problem(s) in what helm renders with the overrides (table above)`, {
      hint: 'the overrides are written; mirror what values cannot move with --emit containerd, and patch ServiceAccounts for pods without the pull secret',
    });
  }
  if (flags.strict && (left.length > 0 || plan.images.length === 0)) {
    throw new IncompleteError(`--strict: ${plan.images.length === 0 ? 'no image relocated' : `${left.length} image(s) left at their source`}`, {
      hint: 'see the warnings above; --check renders the chart with helm to show every image the pods pull',
    });
  }
}

/**
 * helm gives --set (and --set-string, --set-json, --set-file) precedence over every -f file: a key
 * the overrides also write would undo them at install.
 */
function warnSetPrecedence(ctx: CommandContext, flags: RelocateFlags, plan: RelocationPlan): void {
  const trees: Array<[string, unknown]> = [];
  if (flags.set.length || flags.setString.length) trees.push(['--set', parseSetValues([...flags.set, ...flags.setString], { typed: false })]);
  if (flags.setJson.length) trees.push(['--set-json', parseSetJsonValues(flags.setJson)]);
  if (flags.setFile.length) trees.push(['--set-file', parseSetFileValues(flags.setFile, () => '')]);
  for (const [flag, tree] of trees) {
    for (const w of plan.writes) {
      let cur: unknown = tree;
      for (const seg of w.path) {
        if (cur === null || typeof cur !== 'object') break;
        cur = (cur as Record<string, unknown>)[String(seg)];
        if (cur === undefined) break;
      }
      if (cur !== undefined) {
        ctx.logger().log('warn', `${flag} also sets ${formatPath(w.path)}: helm applies ${flag} after -f files, so pass it in a values file before the overrides at install time, or the chart keeps pulling from the source`);
      }
    }
  }
}

async function emitFiles(
  ctx: CommandContext,
  flags: RelocateFlags,
  plan: RelocationPlan,
  registries: string[],
  target: ReturnType<typeof parseTarget>,
  mode: MappingMode,
): Promise<EmittedFile[]> {
  const g = ctx.globals();
  const plainHttp = g.plainHttp.includes(target.host);
  const sources = registries.length > 0 ? registries : plan.images.map((i) => parseReference(i.source).registry);
  const base = { target, mode, sources, plainHttp, generator: plan.generator };
  if (flags.emit === 'registries-conf') return [{ path: 'registries.conf', content: renderRegistriesConf(base) }];
  const caFile = g.caFile[0];
  if (!caFile) return renderContainerdHosts(base);
  const ca = await readFile(path.resolve(ctx.io.cwd, caFile), 'utf8').catch(() => {
    throw new InputError(`--ca-file ${caFile} cannot be read`, { hint: 'check the path' });
  });
  const files = renderContainerdHosts({ ...base, caFileName: 'mirror-ca.crt' });
  return files.flatMap((f) => [f, { path: path.join(path.dirname(f.path), 'mirror-ca.crt'), content: ca }]);
}

