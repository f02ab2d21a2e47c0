/**
 * vitest convenience around test/harness/loaders.ts: starts a loader in beforeAll (once per test
 * file) and stops it, removing its state, in afterAll (also when tests fail).
 *
 *   const docker = useLoader('dockerd');
 *   it('loads', async () => { await docker().run(['load', '-i', bundle]); });
 */
import { afterAll, beforeAll } from 'vitest';
import { startContainerd, startDockerd, startPodman, type StartedLoader } from './loaders.js';

const starters = { dockerd: startDockerd, podman: startPodman, containerd: startContainerd } as const;
export type LoaderName = keyof typeof starters;

export function useLoader(name: LoaderName): () => StartedLoader {
  let started: StartedLoader | undefined;
  beforeAll(async () => {
    started = await starters[name]();
  }, 90_000);
  afterAll(async () => {
    await started?.stop();
  }, 60_000);
  return () => {
    if (!started) throw new Error(`${name} is not started yet (call the getter inside a test or hook)`);
    return started;
  };
}
