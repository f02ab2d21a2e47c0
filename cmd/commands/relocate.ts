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
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { parseSetFileValues, parseSetJsonValues, parseSetValues, scanCharts } from '../../src/chart/index.js';
import { InputError, NotFoundError, UsageError } from '../../src/errors.js';
import { readLock } from '../../src/lock/io.js';
import { formatTarget, parseMappingMode, parseTarget, type MappingMode } from '../../src/mapping/index.js';
import { parseReference } from '../../src/reference/index.js';
import { readPassword } from '../../src/stdin.js';
import {
  checkSecretName,
  collectChartValues,
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
  writeFileAtomic,
  pullSecretFormsFromComments,
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
    .action(async (charts: string[], flags: RelocateFlags) => {
      checkFlags(flags);
      const log = ctx.logger();
      const abs = (p: string): string => path.resolve(ctx.io.cwd, p);
      if (charts.includes('-')) throw new UsageError('relocate needs charts, not rendered manifests ("-")', { hint: 'give chart directories or .tgz files' });
      const target = parseTarget(flags.to);
      const mode: MappingMode = parseMappingMode(flags.mapping);
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
      const chartsValues = await collectChartValues(chartPaths, scanOpts);
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

      const plan: RelocationPlan = planRelocation(scan.findings, {
        pullSecretForms,
        target,
        mode,
        ...(digests ? { digests } : {}),
        pullSecrets: flags.pullSecret,
        pullSecretSlots: scan.pullSecrets,
        chartsValues,
        charts: scan.charts.filter((c) => c.depth === 0).map((c) => `${c.name}-${c.version}`),
        generator: `airlift ${VERSION}`,
      });

      if (flags.dryRun) {
        ctx.io.stdout.write(flags.planFormat === 'yaml' ? formatPlanYaml(plan) : formatPlanText(plan));
        return;
      }

      // Render everything first: a failure leaves nothing half-written.
      const overrides = renderOverrides(plan, chartsValues);
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

      for (const e of emitted) await writeFileAtomic(path.join(abs(flags.emitDir!), e.path), e.content, 0o644, { mkdir: true });
      if (secret !== undefined) await writeFileAtomic(abs(flags.secretOut!), secret, 0o600);
      if (!flags.output || flags.output === '-') ctx.io.stdout.write(overrides);
      else await writeFileAtomic(abs(flags.output), overrides, 0o644);

      for (const u of plan.unrelocatable) {
        if (u.invalid) log.log('warn', `not relocated: ${formatPath(u.path) || u.file}: ${u.reason}`);
        else if (!u.covered) log.log('warn', `not relocatable by values: ${u.ref} (${u.reason}; ${u.file}); redirect it at the runtime with --emit containerd or --emit registries-conf`);
      }
      warnSetPrecedence(ctx, flags, plan);
      log.log('info', `relocated ${new Set(plan.images.map((i) => i.source)).size} image(s) to ${formatTarget(target)}` +
        `${flags.output && flags.output !== '-' ? ` → ${flags.output}` : ''}${secret !== undefined ? `; pull Secret → ${flags.secretOut}` : ''}` +
        `${emitted.length > 0 ? `; ${emitted.length} ${flags.emit} file(s) → ${flags.emitDir}` : ''}`);
    });
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

