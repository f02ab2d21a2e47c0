/** The RegistryClient options a run's connection flags, the per-registry settings file and the environment give. */
import type { Logger } from '../log.js';
import { VERSION } from '../version.js';
import type { RegistryClientOptions } from './client.js';
import { readRegistriesConfig } from './registries-config.js';

export interface ConnectionFlags {
  caFile: string[];
  insecureSkipTlsVerify: boolean;
  plainHttp: string[];
  authFromSecret: string[];
}

/** Connection options: the flags for every registry, plus per-registry settings (registries-config.ts). */
export function clientOptions(flags: ConnectionFlags, env: NodeJS.ProcessEnv, logger: Logger): RegistryClientOptions {
  const perRegistry = readRegistriesConfig(env);
  if (perRegistry.file) logger.log('debug', `per-registry settings from ${perRegistry.file}`);
  return {
    caFiles: flags.caFile,
    insecureSkipTlsVerify: flags.insecureSkipTlsVerify,
    insecureHosts: perRegistry.insecureHosts,
    hostCaFiles: perRegistry.caFiles,
    plainHttp: [...flags.plainHttp, ...perRegistry.plainHttp],
    authFromSecret: flags.authFromSecret,
    env,
    logger,
    userAgent: `airlift/${VERSION}`,
  };
}
