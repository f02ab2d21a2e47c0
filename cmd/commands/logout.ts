/** `airlift logout HOST`: remove stored credentials for a registry from the docker config file. */
import type { Command } from 'commander';
import { normalizeLoginHost, removeLogin } from '../../src/registry/login.js';
import type { CommandContext } from '../context.js';

export function registerLogout(program: Command, ctx: CommandContext): void {
  program
    .command('logout')
    .description('remove stored credentials for a registry from the docker config file')
    .argument('<host>', 'registry host[:port]')
    .action(async (hostArg: string) => {
      const host = normalizeLoginHost(hostArg);
      const r = await removeLogin(ctx.io.env, host);
      ctx.logger().log('info', r.removed ? `Removed credentials for ${host} from ${r.file}` : `Not logged in to ${host} (nothing in ${r.file})`);
    });
}
