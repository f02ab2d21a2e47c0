/**
 * vitest convenience for the mirror tests: a source and a destination registry (plain or token),
 * a scratch directory, and the tiny fixture images generated there and pushed to the source.
 * Started in beforeAll, stopped and removed in afterAll (also when tests fail). A test file's own
 * hooks, registered after this call, run after the start and before the stop.
 *
 *   const pair = useSeededPair('sync');
 *   it('syncs', async () => { const { src, dst, layout } = pair(); ... });
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { generateLayout, presetTiny, seedRegistry, type GeneratedLayout } from '../../fixtures/images/generate.js';
import { startRegistry, type RegistryMode, type StartRegistryOptions, type StartedRegistry } from './registry.js';

export interface SeededPair {
  /** The source registry, holding every image of `layout`. */
  src: StartedRegistry;
  /** The destination registry, empty at the start. */
  dst: StartedRegistry;
  /** A scratch directory, removed at the end. */
  tmp: string;
  /** The fixture images (presetTiny), generated under `tmp/layout`. */
  layout: GeneratedLayout;
}

export function useSeededPair(name: string, opts: { mode?: RegistryMode; dst?: Omit<StartRegistryOptions, 'mode'> } = {}): () => SeededPair {
  const mode = opts.mode ?? 'plain';
  let pair: SeededPair | undefined;
  let src: StartedRegistry | undefined;
  let dst: StartedRegistry | undefined;
  let tmp: string | undefined;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), `airlift-${name}-`));
    [src, dst] = await Promise.all([startRegistry({ mode }), startRegistry({ ...opts.dst, mode })]);
    const layout = await generateLayout(path.join(tmp, 'layout'), presetTiny());
    await seedRegistry(layout.dir, src, layout.images);
    pair = { src, dst, tmp, layout };
  }, 120_000);
  afterAll(async () => {
    await Promise.all([src?.stop(), dst?.stop()]);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });
  return () => {
    if (!pair) throw new Error(`the ${name} registries are not started yet (call the getter inside a test or hook)`);
    return pair;
  };
}
