/** The image inputs save and sync read the same way (src/mirror/inputs.ts), from the run's flags. */
import type { Command } from 'commander';
import type { AirliftConfig } from '../src/config/index.js';
import { readMirrorInputs, type MirrorInputFlags } from '../src/mirror/inputs.js';
import type { CommandContext } from './context.js';

/** Reads the config, platforms, concurrency and images; `checkConfig` runs the caller's own checks before any chart is read. */
export function readInputs(ctx: CommandContext, charts: string[], flags: MirrorInputFlags, command: Command, checkConfig?: (cfg: AirliftConfig | undefined) => void) {
  const concurrencyFromFlag = command.parent?.getOptionValueSource('concurrency') === 'cli';
  return readMirrorInputs({ cwd: ctx.io.cwd, charts, flags, concurrency: ctx.globals().concurrency, concurrencyFromFlag, logger: ctx.logger(), ...(checkConfig ? { checkConfig } : {}) });
}
