/**
 * vitest convenience around startRegistry: starts a registry in beforeAll and
 * stops it in afterAll (also when tests fail). Kept apart from registry.ts so
 * that the benchmark can import the harness without vitest.
 *
 *   const reg = useRegistry('tls-basic');
 *   it('pushes', async () => { const r = reg(); ... r.url ... });
 */
import { afterAll, beforeAll } from 'vitest';
import { startRegistry, type RegistryMode, type StartRegistryOptions, type StartedRegistry } from './registry.js';

export function useRegistry(mode: RegistryMode = 'plain', opts: Omit<StartRegistryOptions, 'mode'> = {}): () => StartedRegistry {
  let started: StartedRegistry | undefined;
  beforeAll(async () => {
    started = await startRegistry({ ...opts, mode });
  });
  afterAll(async () => {
    await started?.stop();
  });
  return () => {
    if (!started) throw new Error(`the ${mode} registry is not started yet (call the getter inside a test or hook)`);
    return started;
  };
}
