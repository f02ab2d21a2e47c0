/** What the mirror use-cases (save, load, sync, copy) are given by their caller: no CLI, no process. */
import type { Writable } from 'node:stream';
import type { CopyJob, CopyResult, ReferrerOptions } from '../copy/types.js';
import type { PlatformFilter } from '../oci/platform.js';
import type { ReportRow } from '../copy/report.js';
import type { AirliftError } from '../errors.js';
import type { EndpointPool } from '../endpoint/pool.js';
import type { Lock } from '../lock/types.js';
import type { Logger } from '../log.js';
import type { MirrorPlan } from './plan.js';

export interface CopyRun {
  /** The progress verb: saving, loading, syncing, copying. */
  verb: string;
  platforms: PlatformFilter[];
  concurrency?: number;
  describeSkipped?: boolean;
  /** What travels with the images (signatures, attestations, SBOMs); absent: images alone. */
  referrers?: ReferrerOptions;
}

export interface MirrorDeps {
  /** The run's registry endpoints, one per host and role; the caller closes them. */
  pool: EndpointPool;
  /** Copies the jobs (progress is the caller's); results in the jobs' order. */
  copy(jobs: CopyJob[], run: CopyRun): Promise<CopyResult[]>;
  logger: Logger;
  signal?: AbortSignal;
  /** Where `-o -` and `oci-archive:-` write their tar. */
  stdout?: Writable;
  /** The directory the command runs in: `-o -` and `oci-archive:-` are staged under a name made from it. */
  cwd?: string;
}

/** What save, load and sync did: the plan, and unless it was a dry run, a row per copy, the lock and the failure of failed copies. */
export interface MirrorReport {
  plan: MirrorPlan;
  dryRun: boolean;
  rows: ReportRow[];
  lock?: Lock;
  /** Set when copies failed: thrown by the caller after it has printed the rows. */
  failure?: AirliftError;
}
