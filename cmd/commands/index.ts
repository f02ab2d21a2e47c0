/**
 * Every subcommand is registered here, and only here. Each lives in its own file, and its module
 * is imported on demand: a run loads only the command it runs (start-up is most of what a no-op
 * sync costs), while help and unknown input load them all.
 */
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { helpText } from '../../src/cli/help.js';

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

export { commandIndexOf, commandNameOf } from '../../src/cli/argv.js';

/**
 * Registers the command `only` when it is a known one, none when `only` is `null` (`airlift
 * --version`: commander answers it before any subcommand, so loading them all, 230 modules, was
 * most of its cost), else every command.
 */
export async function registerCommands(program: Command, ctx: CommandContext, only?: string | null): Promise<void> {
  const wanted = only === null ? [] : COMMANDS.filter(([name]) => name === only);
  const registers = await Promise.all((wanted.length > 0 || only === null ? wanted : COMMANDS).map(([, load]) => load()));
  for (const register of registers) register(program, ctx);
  for (const cmd of program.commands) addCommandHelp(cmd);
}

/** Adds the examples and global options to `cmd`'s help and to its subcommands' (`lock merge`). */
function addCommandHelp(cmd: Command, prefix = ''): void {
  const name = `${prefix}${cmd.name()}`;
  const text = helpText(name);
  if (text) cmd.addHelpText('after', text);
  for (const sub of cmd.commands) addCommandHelp(sub, `${name} `);
}
