/**
 * In-process CLI I/O for tests: an `Io` built from PassThrough streams whose
 * output is captured, and `runCli(argv)` that runs `cmd/main.ts` with it.
 */
import { PassThrough } from 'node:stream';
import type { Io } from '../../cmd/context.js';
import { run } from '../../cmd/main.js';

export interface IoOptions {
  /** Bytes the command reads from stdin (stdin ends after them; empty by default). */
  stdin?: string | Buffer;
  /** Environment seen by the command (default: an empty environment, not process.env). */
  env?: Record<string, string>;
  /** Working directory seen by the command (default: process.cwd()). */
  cwd?: string;
  stdoutIsTTY?: boolean;
  stderrIsTTY?: boolean;
}

export interface CapturedIo {
  io: Io;
  /** Everything written to stdout so far, as UTF-8. */
  stdout(): string;
  /** Everything written to stderr so far, as UTF-8. */
  stderr(): string;
  /** Raw stdout bytes (for binary output such as a bundle written to `-o -`). */
  stdoutBuffer(): Buffer;
}

function capture(stream: PassThrough): () => Buffer {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer | string) => chunks.push(typeof c === 'string' ? Buffer.from(c) : c));
  return () => Buffer.concat(chunks);
}

export function makeIo(opts: IoOptions = {}): CapturedIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  const out = capture(stdout);
  const err = capture(stderr);
  stdin.end(opts.stdin ?? '');
  const io: Io = {
    stdout,
    stderr,
    stdin,
    env: { ...(opts.env ?? {}) },
    cwd: opts.cwd ?? process.cwd(),
    stdoutIsTTY: opts.stdoutIsTTY ?? false,
    stderrIsTTY: opts.stderrIsTTY ?? false,
  };
  return {
    io,
    stdout: () => out().toString('utf8'),
    stderr: () => err().toString('utf8'),
    stdoutBuffer: out,
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBuffer: Buffer;
}

/** Runs `airlift <argv>` in-process and returns its exit code and captured output. */
export async function runCli(argv: string[], opts: IoOptions = {}): Promise<CliResult> {
  const c = makeIo(opts);
  const code = await run(argv, c.io);
  // Let already-written chunks flow through the PassThrough 'data' handlers.
  await new Promise<void>((resolve) => setImmediate(resolve));
  return { code, stdout: c.stdout(), stderr: c.stderr(), stdoutBuffer: c.stdoutBuffer() };
}
