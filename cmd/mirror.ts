/**
 * Wiring shared by save, load, sync and copy: the dependencies of their use-cases (src/mirror/):
 * the registry endpoint pool (src/endpoint/pool.ts) on the run's client, the copy run with
 * progress on stderr; and the report (or the plan, with --dry-run) on stdout.
 */
import type { CopyJob, CopyResult } from '../src/copy/index.js';
import { formatReport, type ReportFormat } from '../src/copy/report.js';
import type { CopyRun, MirrorDeps, MirrorReport } from '../src/mirror/deps.js';
import { formatPlan } from '../src/mirror/build.js';
import { EndpointPool } from '../src/endpoint/pool.js';
import { runCopies } from '../src/mirror/run-copies.js';
import type { CommandContext } from './context.js';
import { boundHeapGrowth } from './heap.js';
import { registryClientFromContext } from './registry-client.js';

/** The registry endpoints of a run (one per host and role), on the RegistryClient the global options describe. */
export function endpointPool(ctx: CommandContext): EndpointPool {
  return new EndpointPool(() => registryClientFromContext(ctx));
}

/** Copies the jobs with progress on stderr. */
function runJobs(ctx: CommandContext, jobs: CopyJob[], o: CopyRun, onCopying?: () => void): Promise<CopyResult[]> {
  const { stderr, stderrIsTTY: isTTY, signal } = ctx.io;
  return runCopies({ ...ctx.globals(), logger: ctx.logger(), stderr, isTTY, ...(signal ? { signal } : {}), ...(onCopying ? { onCopying } : {}) }, jobs, o);
}

/**
 * Runs a mirror use-case with the run's endpoint pool, copy run and logger; closes the pool after.
 * `onCopying`: called once, as the first bytes of a blob move.
 */
export async function withMirrorDeps<T>(ctx: CommandContext, use: (deps: MirrorDeps) => Promise<T>, o: { onCopying?: () => void } = {}): Promise<T> {
  boundHeapGrowth();
  const pool = endpointPool(ctx);
  try {
    return await use({ pool, copy: (jobs, run) => runJobs(ctx, jobs, run, o.onCopying), logger: ctx.logger(), stdout: ctx.io.stdout, cwd: ctx.io.cwd, ...(ctx.io.signal ? { signal: ctx.io.signal } : {}) });
  } finally {
    await pool.close();
  }
}

/** Prints what a save, load or sync did (or, with --dry-run, would do) on stdout; throws when copies failed. */
export function printMirrorReport(ctx: CommandContext, report: MirrorReport, format: ReportFormat): void {
  ctx.io.stdout.write(report.dryRun ? formatPlan(report.plan, format) : formatReport(report.rows, format));
  if (report.failure) throw report.failure;
}
