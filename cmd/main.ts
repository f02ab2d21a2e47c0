/**
 * argv → exit code. Parses global options once, runs one subcommand, and maps
 * errors to exit codes. Used in-process by tests and by the `airlift` bin.
 */
import { Command, CommanderError } from 'commander';
import { AirliftError, InterruptedError, UsageError, toAirliftError } from '../src/errors.js';
import type { Logger } from '../src/log.js';
import { VERSION } from '../src/version.js';
import type { CommandContext, GlobalOptions, Io } from './context.js';
import { EXIT_OK, exitCodeFor, exitCodeOf } from '../src/cli/exit-codes.js';
import { createLogger } from '../src/cli/logger.js';
import { formatError } from '../src/cli/report.js';
import { checkGlobalFiles, globalsFrom } from '../src/cli/globals.js';
import { registerCommands } from './commands/index.js';
import { asksVersion, checkVersionFlag, commandNameOf, wantsJson } from '../src/cli/argv.js';
import { GLOBAL_OPTIONS } from '../src/cli/options.js';
import { addOptions } from './options.js';
import { COPYING_COMMANDS, holdYoungGeneration } from './heap.js';

export { VERSION };

/** The program with the command `opts.only` registered (none when null, every command when it is not a known one). */
export async function buildProgram(ctx: CommandContext, opts: { json?: boolean; only?: string | null } = {}): Promise<Command> {
  const program = addOptions(
    new Command('airlift').description('Move the container images a Helm chart needs into an airgapped registry, and point the chart at them.').version(VERSION, '-V, --version'),
    GLOBAL_OPTIONS,
  )
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
  const name = commandNameOf(argv);
  if (name !== undefined && COPYING_COMMANDS.includes(name)) holdYoungGeneration();
  // `airlift --version` (no subcommand named): commander prints the version while it reads the
  // global options, before any subcommand or help could answer, so none is loaded
  program = await buildProgram(ctx, { json, only: name === undefined && asksVersion(argv) ? null : name });
  // before any command runs (not for --help): files named by global flags exist
  program.hook('preAction', () => checkGlobalFiles(ctx.globals(), io.cwd));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode ?? EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK;
      // help asked for (`help images`) is a success; help shown instead of a run (no command, `lock`
      // without merge/diff, `help nosuch`: commander prints it on stderr) is a usage error: nothing was done
      if (err.code === 'commander.help' && err.exitCode === 0) return EXIT_OK;
      // commander has already printed its message (or the help), unless --json asked for a JSON line
      const message = err.code === 'commander.help' ? 'a command is missing or unknown' : err.message.replace(/^error: /, '');
      if (json) reportError(io, new UsageError(message, { hint: 'run airlift --help for usage' }), true);
      return exitCodeFor('E_USAGE');
    }
    // Stopped by a signal or a failed stdout: report why, not whatever the abort broke on its way out.
    const reason: unknown = io.signal?.aborted ? io.signal.reason : undefined;
    const e = err instanceof InterruptedError ? err : reason instanceof AirliftError ? reason : toAirliftError(err);
    reportError(io, e, json || program?.opts().json === true);
    return exitCodeOf(e);
  }
}

function reportError(io: Io, e: AirliftError, json: boolean): void {
  io.stderr.write(formatError(e, json));
}

export { UsageError };
