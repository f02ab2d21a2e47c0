/** Builds the RegistryClient every command shares from the global options, the registries config and the environment. */
import { createRegistryClient, type RegistryClient, type RegistryClientOptions } from '../src/registry/client.js';
import { clientOptions } from '../src/registry/client-options.js';
import type { CommandContext } from './context.js';

export function registryOptionsFromContext(ctx: CommandContext): RegistryClientOptions {
  return clientOptions(ctx.globals(), ctx.io.env, ctx.logger());
}

export function registryClientFromContext(ctx: CommandContext): RegistryClient {
  return createRegistryClient({ ...registryOptionsFromContext(ctx), concurrencyPerRegistry: Math.max(4, ctx.globals().concurrency * 2) });
}
