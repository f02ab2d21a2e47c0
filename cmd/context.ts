/** What every command receives: its I/O and the global options, parsed once. */
import type { Readable, Writable } from 'node:stream';
import type { Logger } from '../src/log.js';

export interface Io {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Whether stdout is a terminal (changes default output formats). */
  stdoutIsTTY: boolean;
  /** Whether stderr is a terminal (spinners vs plain lines). */
  stderrIsTTY: boolean;
  /**
   * Aborted when the run must stop (SIGINT/SIGTERM in the bin); its reason is
   * an InterruptedError. Commands pass it to the copy engine and file writers.
   */
  signal?: AbortSignal;
}

export type { GlobalOptions } from '../src/cli/globals.js';
import type { GlobalOptions } from '../src/cli/globals.js';

export interface CommandContext {
  io: Io;
  /** Reads the global options (valid once commander has parsed argv). */
  globals(): GlobalOptions;
  logger(): Logger;
  /**
   * The exit code of a run that did all it was asked, when not 0: `lock diff --exit-code` sets 1
   * when the locks differ (as `git diff --exit-code`). Errors never use it; they throw.
   */
  exitCode?: number;
}
