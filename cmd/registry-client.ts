/** Builds the RegistryClient every command shares from the global options, the registries config and the environment. */
import { createRegistryClient, type RegistryClient, type RegistryClientOptions } from '../src/registry/client.js';
import { readRegistriesConfig } from '../src/registry/registries-config.js';
import { VERSION } from '../src/version.js';
import type { CommandContext } from './context.js';

/** Connection options: global flags for every registry, plus per-registry settings (registries-config.ts). */
export function registryOptionsFromContext(ctx: CommandContext): RegistryClientOptions {
  const g = ctx.globals();
  const perRegistry = readRegistriesConfig(ctx.io.env);
  if (perRegistry.file) ctx.logger().log('debug', `per-registry settings from ${perRegistry.file}`);
  return {
    caFiles: g.caFile,
    insecureSkipTlsVerify: g.insecureSkipTlsVerify,
    insecureHosts: perRegistry.insecureHosts,
    hostCaFiles: perRegistry.caFiles,
    plainHttp: [...g.plainHttp, ...perRegistry.plainHttp],
    authFromSecret: g.authFromSecret,
    env: ctx.io.env,
    logger: ctx.logger(),
    userAgent: `airlift/${VERSION}`,
  };
}

export function registryClientFromContext(ctx: CommandContext): RegistryClient {
  const g = ctx.globals();
  return createRegistryClient({ ...registryOptionsFromContext(ctx), concurrencyPerRegistry: Math.max(4, g.concurrency * 2) });
}
