/** Every subcommand is registered here, and only here. Each lives in its own file. */
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { registerLock } from './lock.js';
import { registerImages } from './images.js';
import { registerServe } from './serve.js';
import { registerCopy } from './copy.js';
import { registerSync } from './sync.js';
import { registerSave } from './save.js';
import { registerLoad } from './load.js';
import { registerVerify } from './verify.js';
import { registerLogin } from './login.js';
import { registerLogout } from './logout.js';
import { registerRelocate } from './relocate.js';

export function registerCommands(program: Command, ctx: CommandContext): void {
  void program;
  void ctx;
  registerLock(program, ctx);
  registerImages(program, ctx);
  registerServe(program, ctx);
  registerCopy(program, ctx);
  registerSync(program, ctx);
  registerSave(program, ctx);
  registerLoad(program, ctx);
  registerVerify(program, ctx);
  registerLogin(program, ctx);
  registerLogout(program, ctx);
  registerRelocate(program, ctx);
}
