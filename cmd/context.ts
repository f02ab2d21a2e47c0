/** What every command receives: its I/O (src/cli/io.ts) and the global options, parsed once. */
import type { Logger } from '../src/log.js';
import type { GlobalOptions } from '../src/cli/globals.js';
import type { Io } from '../src/cli/io.js';

export type { GlobalOptions, Io };

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
