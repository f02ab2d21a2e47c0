/** A run's I/O: what the `airlift` bin (or a test running the CLI in-process) hands every command. */
import type { Readable, Writable } from 'node:stream';

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
