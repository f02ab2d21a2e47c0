/** Every subcommand is registered here, and only here. Each lives in its own file. */
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { registerLock } from './lock.js';
import { registerImages } from './images.js';
import { registerServe } from './serve.js';

export function registerCommands(program: Command, ctx: CommandContext): void {
  void program;
  void ctx;
  registerLock(program, ctx);
  registerImages(program, ctx);
  registerServe(program, ctx);
}
