/**
 * `airlift login HOST -u USER [--password-stdin]`: verify credentials, then store them like `docker login`.
 * Without --password-stdin or -p, the password is asked for on the terminal without echo.
 */
import type { Command } from 'commander';
import { UsageError } from '../../src/errors.js';
import { normalizeLoginHost, storeLogin, verifyLogin } from '../../src/registry/login.js';
import { readPassword } from '../../src/stdin.js';
import type { CommandContext } from '../context.js';
import { isTerminal, promptHidden } from '../../src/cli/prompt.js';
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
      if (o.password !== undefined && o.passwordStdin) throw new UsageError('--password and --password-stdin are mutually exclusive', { hint: 'use --password-stdin' });
      let password: string;
      const pipeHint = `pipe it in: echo "$PASSWORD" | airlift login ${host} -u ${o.username} --password-stdin`;
      if (o.passwordStdin) password = await readPassword(ctx.io.stdin, { signal: ctx.io.signal, hint: pipeHint });
      else if (o.password !== undefined) {
        log.log('warn', 'using --password on the command line is insecure: it shows in the process list and shell history; use --password-stdin');
        password = o.password;
      } else if (isTerminal(ctx.io.stdin)) {
        // as docker, helm and skopeo: asked for on the terminal, never echoed
        password = await promptHidden(ctx.io.stdin, ctx.io.stderr, `Password for ${o.username}@${host}: `, { signal: ctx.io.signal, hint: pipeHint });
      } else throw new UsageError('no password given', { hint: `${pipeHint} (on a terminal, airlift asks for it)` });
      if (password === '') throw new UsageError('the password is empty', { hint: 'pass a non-empty password on stdin' });
      await verifyLogin(host, o.username, password, registryOptionsFromContext(ctx));
      const stored = await storeLogin(ctx.io.env, host, o.username, password);
      if (stored.helper) log.log('warn', `credential helper docker-credential-${stored.helper} is configured in ${stored.file} and is asked first for ${host}`);
      log.log('info', `Login succeeded: credentials for ${host} stored in ${stored.file}`);
    });
}
