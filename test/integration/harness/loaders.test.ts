/**
 * Self-test of the loader harness (test/harness/loaders.ts): dockerd, podman and containerd each
 * start with their own state, load a docker archive skopeo wrote from the fixture images, and
 * report the image by its config digest (the image ID) and the fixture's diff_ids.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLayout, presetTiny, type GeneratedLayout } from '../../../fixtures/images/generate.js';
import { skopeo } from '../../harness/skopeo.js';
import { useLoader } from '../../harness/use-loaders.js';

let tmp: string;
let layout: GeneratedLayout;
let archive: string;
const REF = 'example.test/harness/alpha:1.0';

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'airlift-loaders-'));
  layout = await generateLayout(path.join(tmp, 'layout'), presetTiny());
  archive = path.join(tmp, 'alpha-docker.tar');
  await skopeo(['copy', `oci:${layout.dir}:fixtures/alpha:1.0`, `docker-archive:${archive}:${REF}`]);
}, 120_000);
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const alpha = (): GeneratedLayout['images'][number]['manifests'][number] => layout.images.find((i) => i.name === 'fixtures/alpha')!.manifests[0]!;

describe('dockerd', () => {
  const docker = useLoader('dockerd');
  it('runs with its own data root and socket, loads a docker archive, and stops leaving nothing', async () => {
    const d = docker();
    expect(existsSync(path.join(d.dir, 'data'))).toBe(true);
    expect((await d.run(['load', '-i', archive])).stdout).toContain(`Loaded image: ${REF}`);
    const [id, layers] = JSON.parse((await d.run(['inspect', '--format', '[{{json .Id}},{{json .RootFS.Layers}}]', REF])).stdout) as [string, string[]];
    expect(id).toBe(alpha().config.digest);
    expect(layers).toEqual(alpha().diffIds);
  });
});

describe('podman', () => {
  const podman = useLoader('podman');
  it('loads a docker archive into its own store', async () => {
    const p = podman();
    expect((await p.run(['load', '-i', archive])).stdout).toContain(`Loaded image: ${REF}`);
    const [img] = JSON.parse((await p.run(['inspect', REF])).stdout) as Array<{ Id: string; RootFS: { Layers: string[] } }>;
    expect(`sha256:${img!.Id}`).toBe(alpha().config.digest);
    expect(img!.RootFS.Layers).toEqual(alpha().diffIds);
  });
});

describe('containerd', () => {
  const ctr = useLoader('containerd');
  it('imports a docker archive with ctr, under its own socket and namespace', async () => {
    const c = ctr();
    await c.run(['images', 'import', archive]);
    const ls = (await c.run(['images', 'ls'])).stdout;
    expect(ls).toContain(REF);
    const content = (await c.run(['content', 'get', alpha().config.digest])).stdout;
    expect(JSON.parse(content).rootfs.diff_ids).toEqual(alpha().diffIds);
  });
});
