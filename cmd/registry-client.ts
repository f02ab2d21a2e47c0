/** Builds the RegistryClient every command shares from the global options and the environment. */
import { createRegistryClient, type RegistryClient } from '../src/registry/client.js';
import { VERSION } from './main.js';
import type { CommandContext } from './context.js';

export function registryClientFromContext(ctx: CommandContext): RegistryClient {
  const g = ctx.globals();
  return createRegistryClient({
    caFiles: g.caFile,
    insecureSkipTlsVerify: g.insecureSkipTlsVerify,
    plainHttp: g.plainHttp,
    authFromSecret: g.authFromSecret,
    env: ctx.io.env,
    concurrencyPerRegistry: Math.max(4, g.concurrency * 2),
    logger: ctx.logger(),
    userAgent: `airlift/${VERSION}`,
  });
}
