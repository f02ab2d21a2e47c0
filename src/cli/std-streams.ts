/**
 * What a run does when stdout or stderr fails under it (cmd/airlift.ts wires it to the process's streams).
 *
 * stdout carries the data: when it cannot be written, what was asked was not delivered. Its reader
 * going away (EPIPE: `airlift images … | head -1`) stops the run as SIGPIPE stops a Unix tool: the
 * run is aborted like on Ctrl-C (transfers stop, temporary files are removed, a save says where its
 * staging directory waits) and the exit code is 141 (128 + SIGPIPE, what a shell reports for a
 * process SIGPIPE killed). Nothing is said when the run had finished and only its output was cut
 * short (the reader chose to stop reading); a run that was still working says so in one line.
 * Any other failure (ENOSPC from `> /dev/full`, EIO) is an E_IO error (exit 11) naming stdout.
 *
 * stderr carries progress and messages only: a closed stderr (`2>&1 | head`, a log reader that went
 * away) does not stop a run that is otherwise fine; what would have been said is dropped and the
 * exit code still tells how the run ended.
 */
import { InterruptedError, IoError, type AirliftError } from '../errors.js';

/** The error that stops a run whose stdout failed with `e`. */
export function stdoutFailure(e: NodeJS.ErrnoException): AirliftError {
  if (e.code === 'EPIPE') return new InterruptedError('SIGPIPE', { cause: e });
  return new IoError(`cannot write the output to stdout: ${e.message}`, {
    cause: e,
    hint: 'the output was not delivered: make room where stdout goes (a full disk?) or redirect it elsewhere, and run again',
  });
}

/** Whether the reason a run stopped says nothing worth a line once the run has finished (the reader stopped reading). */
export function quietAfterTheRun(e: AirliftError): boolean {
  return e instanceof InterruptedError && e.signal === 'SIGPIPE';
}

interface Emitter {
  on(event: 'error', listener: (e: NodeJS.ErrnoException) => void): unknown;
}

/**
 * Watches the process's stdout and stderr: the first stdout failure is handed to `onStdoutFailure`
 * once; stderr failures are dropped (an 'error' event without a listener would end the process
 * with a stack trace).
 */
export function watchStdStreams(stdout: Emitter, stderr: Emitter, onStdoutFailure: (e: AirliftError) => void): void {
  let failed = false;
  stdout.on('error', (e) => {
    if (failed) return;
    failed = true;
    onStdoutFailure(stdoutFailure(e));
  });
  stderr.on('error', () => undefined);
}
