/**
 * argv → exit code. Parses global options once, runs one subcommand, and maps
 * errors to exit codes. Used in-process by tests and by the `airlift` bin.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { AirliftError, InterruptedError, UsageError, toAirliftError } from '../src/errors.js';
import type { Logger } from '../src/log.js';
import { VERSION } from '../src/version.js';
import type { CommandContext, GlobalOptions, Io } from './context.js';
import { EXIT_OK, exitCodeFor } from '../src/cli/exit-codes.js';
import { createLogger } from '../src/cli/logger.js';
import { formatError } from '../src/cli/report.js';
import { globalsFrom } from '../src/cli/globals.js';
import { registerCommands } from './commands/index.js';
import { checkVersionFlag, commandNameOf, wantsJson } from '../src/cli/argv.js';
import { parseRate, parseWindow } from './stall-options.js';
import { collect } from './options.js';
import { DEFAULT_MIN_RATE, DEFAULT_RATE_WINDOW_MS } from '../src/copy/stall.js';

export { VERSION };

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new InvalidArgumentError('expected a whole number from 1 to 1024');
  return n;
}

/** The program with the command `opts.only` registered (every command when it is not a known one). */
export async function buildProgram(ctx: CommandContext, opts: { json?: boolean; only?: string } = {}): Promise<Command> {
  const program = new Command('airlift')
    .description('Move the container images a Helm chart needs into an airgapped registry, and point the chart at them.')
    .version(VERSION, '-V, --version')
    .addOption(new Option('--concurrency <n>', 'parallel transfers').argParser(positiveInt).default(8))
    .option('-q, --quiet', 'print only errors on stderr', false)
    .option('--json', 'machine-readable progress: one JSON event per line on stderr', false)
    .option('-v, --verbose', 'print debug logs', false)
    .option('--ca-file <file>', 'trust this CA bundle (PEM) for TLS registries (repeatable)', collect, [])
    .option('--insecure-skip-tls-verify', 'do not verify registry TLS certificates', false)
    .option('--plain-http <host>', 'talk plain HTTP to this registry host (repeatable); loopback hosts may always fall back', collect, [])
    .option('--auth-from-secret <file>', 'read registry credentials from a kubernetes.io/dockerconfigjson Secret manifest (repeatable)', collect, [])
    .addOption(
      new Option('--min-rate <bytes/s>', 'fail a blob transfer that moves less than this per second over --min-rate-window (e.g. 1KiB, 512, 2MB; 0: never)')
        .argParser(parseRate)
        .default(DEFAULT_MIN_RATE, '1KiB'),
    )
    .addOption(new Option('--min-rate-window <duration>', 'how long --min-rate is measured over (e.g. 120, 90s, 5m)').argParser(parseWindow).default(DEFAULT_RATE_WINDOW_MS, '120s'))
    .showHelpAfterError('(run airlift --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      // with --json, run() reports usage errors as one JSON line instead of commander's text
      writeErr: (s) => (opts.json ? true : ctx.io.stderr.write(s)),
    });
  program.enablePositionalOptions(false);
  await registerCommands(program, ctx, opts.only);
  return program;
}

export async function run(argv: string[], io: Io): Promise<number> {
  let program: Command | undefined;
  let logger: Logger | undefined;
  const ctx: CommandContext = {
    io,
    globals: (): GlobalOptions => globalsFrom(program!.opts()),
    logger(): Logger {
      logger ??= createLogger(io.stderr, ctx.globals());
      return logger;
    },
  };
  const json = wantsJson(argv);
  try {
    argv = checkVersionFlag(argv);
  } catch (err) {
    reportError(io, toAirliftError(err), json);
    return exitCodeFor('E_USAGE');
  }
  program = await buildProgram(ctx, { json, only: commandNameOf(argv) });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode ?? EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT_OK;
      // commander has already printed its message, unless --json asked for a JSON line
      if (json) reportError(io, new UsageError(err.message.replace(/^error: /, ''), { hint: 'run airlift --help for usage' }), true);
      return exitCodeFor('E_USAGE');
    }
    // Stopped by a signal: report the interruption, not whatever the abort broke on its way out.
    const reason: unknown = io.signal?.aborted ? io.signal.reason : undefined;
    const e = err instanceof InterruptedError ? err : reason instanceof InterruptedError ? reason : toAirliftError(err);
    reportError(io, e, json || program?.opts().json === true);
    if (e instanceof InterruptedError && e.signal === 'SIGTERM') return 143;
    return exitCodeFor(e.code);
  }
}

function reportError(io: Io, e: AirliftError, json: boolean): void {
  io.stderr.write(formatError(e, json));
}

export { UsageError };
