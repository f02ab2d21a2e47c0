/**
 * `airlift login HOST -u USER [--password-stdin]`: verify credentials, then store them like `docker login`.
 * Without --password-stdin or -p, the password is asked for on the terminal without echo.
 */
import type { Command } from 'commander';
import { normalizeLoginHost, storeLogin, verifyLogin } from '../../src/registry/login.js';
import type { CommandContext } from '../context.js';
import { loginPassword } from '../../src/cli/prompt.js';
import { registryOptionsFromContext } from '../registry-client.js';

export function registerLogin(program: Command, ctx: CommandContext): void {
  program
    .command('login')
    .description('check credentials against a registry and store them in the docker config file')
    .argument('<host>', 'registry host[:port]')
    .requiredOption('-u, --username <user>', 'user name')
    .option('-p, --password <password>', 'password (visible in the process list; prefer --password-stdin)')
    .option('--password-stdin', 'read the password from stdin (without either, airlift asks for it on a terminal, without echo)', false)
    .action(async (hostArg: string, o: { username: string; password?: string; passwordStdin: boolean }) => {
      const log = ctx.logger();
      const host = normalizeLoginHost(hostArg);
      const { stdin, stderr, signal } = ctx.io;
      const password = await loginPassword({ ...o, host }, { stdin, stderr, signal, warn: (m) => log.log('warn', m) });
      await verifyLogin(host, o.username, password, registryOptionsFromContext(ctx));
      const stored = await storeLogin(ctx.io.env, host, o.username, password);
      if (stored.helper) log.log('warn', `credential helper docker-credential-${stored.helper} is configured in ${stored.file} and is asked first for ${host}`);
      log.log('info', `Login succeeded: credentials for ${host} stored in ${stored.file}`);
    });
}
