/**
 * Every subcommand is registered here, and only here. Each lives in its own file, and its module
 * is imported on demand: a run loads only the command it runs (start-up is most of what a no-op
 * sync costs), while help and unknown input load them all.
 */
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { addCommandHelp } from '../help.js';

type Register = (program: Command, ctx: CommandContext) => void;

const COMMANDS: ReadonlyArray<readonly [string, () => Promise<Register>]> = [
  ['images', async () => (await import('./images.js')).registerImages],
  ['save', async () => (await import('./save.js')).registerSave],
  ['load', async () => (await import('./load.js')).registerLoad],
  ['sync', async () => (await import('./sync.js')).registerSync],
  ['copy', async () => (await import('./copy.js')).registerCopy],
  ['verify', async () => (await import('./verify.js')).registerVerify],
  ['inspect', async () => (await import('./inspect.js')).registerInspect],
  ['serve', async () => (await import('./serve.js')).registerServe],
  ['relocate', async () => (await import('./relocate.js')).registerRelocate],
  ['login', async () => (await import('./login.js')).registerLogin],
  ['logout', async () => (await import('./logout.js')).registerLogout],
  ['lock', async () => (await import('./lock.js')).registerLock],
];

/** Global options that take a value (`--concurrency 4`), so their value is not read as the command. */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['--concurrency', '--ca-file', '--plain-http', '--auth-from-secret']);

/** The index in argv of the subcommand, skipping global options and their values; undefined when none is named. */
export function commandIndexOf(argv: readonly string[]): number | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return undefined;
    if (a.startsWith('-')) {
      if (GLOBAL_OPTIONS_WITH_VALUE.has(a)) i++;
      continue;
    }
    return i;
  }
  return undefined;
}

/** The subcommand named by argv, skipping global options and their values; undefined when none is named. */
export function commandNameOf(argv: readonly string[]): string | undefined {
  const i = commandIndexOf(argv);
  return i === undefined ? undefined : argv[i];
}

/** Registers the command `only` when it is a known one, else every command. */
export async function registerCommands(program: Command, ctx: CommandContext, only?: string): Promise<void> {
  const wanted = COMMANDS.filter(([name]) => name === only);
  const registers = await Promise.all((wanted.length > 0 ? wanted : COMMANDS).map(([, load]) => load()));
  for (const register of registers) register(program, ctx);
  for (const cmd of program.commands) addCommandHelp(cmd);
}
