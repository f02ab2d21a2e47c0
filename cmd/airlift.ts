#!/usr/bin/env node
/**
 * The `airlift` executable: process streams in, exit code out. The first
 * SIGINT or SIGTERM aborts the run (transfers stop, temporary files are
 * removed, a save keeps its staging directory for a re-run) and it exits with
 * a clear message; a second one quits at once. stdout failing (its reader gone: EPIPE) stops the
 * run the same way and exits 141; a failed stderr is ignored (src/cli/std-streams.ts).
 */
import { setMaxListeners } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { InterruptedError } from '../src/errors.js';
import { run } from './main.js';
import { BatchedLines } from '../src/cli/batched-lines.js';
import { exitCodeOf } from '../src/cli/exit-codes.js';
import { formatError } from '../src/cli/report.js';
import { wantsJson } from '../src/cli/argv.js';
import { quietAfterTheRun, watchStdStreams } from '../src/cli/std-streams.js';
import type { AirliftError } from '../src/errors.js';

// undici parses HTTP with llhttp compiled to WebAssembly: V8 compiles it with its baseline compiler
// (Liftoff) and then, as it gets hot, again with TurboFan on background threads. That second compile
// cost 60-90 ms of CPU in every run (a no-op resync of 200 images: 0.57 → 0.51 CPU-s without it),
// and a short run waited for it before exiting (60-250 ms); the Liftoff code parses a registry's
// small answers as fast (0.25 ms of CPU per HEAD against 0.33). Set before undici loads (on first use).
setFlagsFromString('--liftoff-only');

// Not on a terminal, stderr lines are written in batches (see src/cli/batched-lines.ts); what is pending is
// written on 'exit', which process.exit, an uncaught error and the natural end all emit.
const stderrIsTTY = Boolean(process.stderr.isTTY);
const stderr = stderrIsTTY ? undefined : new BatchedLines(process.stderr);
const err = stderr ?? process.stderr;
process.once('exit', () => stderr?.flush());

const controller = new AbortController();
// every request and file write of a run listens on it (and stops listening when done)
setMaxListeners(0, controller.signal);
const onSignal = (signal: 'SIGINT' | 'SIGTERM'): void => {
  if (controller.signal.aborted) {
    err.write(`airlift: ${signal} again: quitting at once\n`);
    process.exit(signal === 'SIGTERM' ? 143 : 130);
  }
  err.write(`airlift: ${signal} received: stopping and cleaning up (${signal === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} again quits at once)\n`);
  stderr?.flush();
  controller.abort(new InterruptedError(signal));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

// The output could not be delivered: the run stops (if it still runs) and never exits 0. A run that
// fails on the abort reports the reason itself (cmd/main.ts); one that had finished, or that ends
// without noticing, has it said here, unless it is only that the reader stopped reading.
const argv = process.argv.slice(2);
let finished = false;
let outputFailure: AirliftError | undefined;
const sayOutputFailure = (): void => {
  if (outputFailure && !quietAfterTheRun(outputFailure)) err.write(formatError(outputFailure, wantsJson(argv)));
};
watchStdStreams(process.stdout, process.stderr, (failure) => {
  outputFailure = failure;
  process.exitCode = exitCodeOf(failure);
  if (finished) sayOutputFailure();
  else controller.abort(failure);
});

// No top-level await: the single executable runs this bundled as CommonJS (npm run release).
void run(argv, {
  stdout: process.stdout,
  stderr: err,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  stdoutIsTTY: Boolean(process.stdout.isTTY),
  stderrIsTTY,
  signal: controller.signal,
}).then((code) => {
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  finished = true;
  if (outputFailure && code === 0) sayOutputFailure();
  process.exitCode = outputFailure ? exitCodeOf(outputFailure) : code;
});
