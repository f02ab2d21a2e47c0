import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../../src/errors.js';
import type { CopyResult } from '../../../src/copy/types.js';
import type { LockImage } from '../../../src/lock/types.js';
import { parseTarget } from '../../../src/mapping/index.js';
import { formatPlan, planLock } from '../../../src/mirror/build.js';
import { planMirror, shardNote, type PlanImage } from '../../../src/mirror/plan.js';
import { formatReference, parseReference } from '../../../src/reference/index.js';
import { parseShard, shardOf } from '../../../src/shard/index.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

function img(s: string, digest?: string): PlanImage {
  const ref = parseReference(s);
  return { ref, formatted: formatReference(ref), ...(digest ? { digest } : {}) };
}

function lockEntry(source: string, digest: string, destination?: string): LockImage {
  return { source, digest, mediaType: 'application/vnd.oci.image.index.v1+json', size: 10, platforms: ['linux/amd64'], ...(destination ? { destination } : {}) };
}

describe('planMirror', () => {
  it('names every image of a bundle by its full source reference, read from its registry', () => {
    const plan = planMirror({ images: [img('quay.io/a/b:1'), img('nginx@' + D1)], target: { kind: 'bundle', name: 'oci-archive:b.tar' } });
    expect(plan.copies.map((c) => [c.from, c.to, c.destination])).toEqual([
      [{ registry: 'quay.io', repo: 'a/b', reference: '1' }, { repo: 'quay.io/a/b', tag: '1' }, 'oci-archive:b.tar:quay.io/a/b:1'],
      [{ registry: 'docker.io', repo: 'library/nginx', reference: D1 }, { repo: 'docker.io/library/nginx', tag: D1 }, `oci-archive:b.tar:docker.io/library/nginx:${D1}`],
    ]);
  });

  it('maps images under --to and reuses an earlier entry only for the same source and destination', () => {
    const images = [img('quay.io/a/b:1'), img('ghcr.io/c/d:2')];
    const previous = [lockEntry('quay.io/a/b:1', D1, 'm.local:5000/mirror/a/b:1'), lockEntry('ghcr.io/c/d:2', D2, 'elsewhere:5000/c/d:2')];
    const plan = planMirror({ images, target: { kind: 'registry', target: parseTarget('m.local:5000/mirror'), mapping: 'default' }, previous });
    expect(plan.copies.map((c) => c.destination)).toEqual(['m.local:5000/mirror/a/b:1', 'm.local:5000/mirror/c/d:2']);
    expect(plan.copies[0]!.previous?.digest).toBe(D1);
    expect(plan.copies[1]!.previous).toBeUndefined();
  });

  it('reads a bundle image by digest and reuses an earlier entry only when its digest is the same', () => {
    const previous = [lockEntry('quay.io/a/b:1', D1), lockEntry('quay.io/c/d:1', D1)];
    const plan = planMirror({ images: [img('quay.io/a/b:1', D1), img('quay.io/c/d:1', D2)], target: { kind: 'registry', target: parseTarget('m.local'), mapping: 'default' }, previous });
    expect(plan.copies[0]!.from).toEqual({ repo: 'quay.io/a/b', reference: D1 });
    expect(plan.copies[0]!.previous?.digest).toBe(D1);
    expect(plan.copies[1]!.previous).toBeUndefined();
  });

  it('refuses a flatten collision even when the colliding images fall into different shards', () => {
    const first = img('quay.io/x/app:1');
    const other = Array.from({ length: 64 }, (_, i) => img(`ghcr.io/y${i}/app:1`)).find((o) => shardOf(o.formatted, 2) !== shardOf(first.formatted, 2))!;
    const target = { kind: 'registry' as const, target: parseTarget('m.local'), mapping: 'flatten' as const };
    for (const shard of [parseShard('0/2'), parseShard('1/2')]) expect(() => planMirror({ images: [first, other], target, shard })).toThrow(ConflictError);
  });

  it('takes one shard of the images, keeps the charts with shard 0 and says so', () => {
    const images = Array.from({ length: 20 }, (_, i) => img(`quay.io/a/i${i}:1`));
    const charts = [{ file: 'charts/c-1.0.0.tgz', name: 'c', version: '1.0.0', tag: '1.0.0', digest: D1 }];
    const target = { kind: 'registry' as const, target: parseTarget('m.local/p'), mapping: 'default' as const };
    const parts = [0, 1, 2].map((i) => planMirror({ images, charts, target, shard: parseShard(`${i}/3`) }));
    const names = parts.flatMap((p) => p.copies.filter((c) => c.kind === 'image').map((c) => c.source));
    expect(names.sort()).toEqual(images.map((i) => i.formatted).sort());
    expect(parts.map((p) => p.copies.filter((c) => c.kind === 'chart').length)).toEqual([1, 0, 0]);
    expect(parts[0]!.copies.find((c) => c.kind === 'chart')!.destination).toBe('m.local/p/charts/c:1.0.0');
    expect(shardNote(parts[1]!)).toBe(`shard 1/3: ${parts[1]!.images} of 20 images`);
  });

  it('refuses an image that would overwrite a chart with another digest, before anything is pushed', () => {
    const charts = [{ file: 'charts/c-1.0.0.tgz', name: 'c', version: '1.0.0', tag: '1.0.0', digest: D1 }];
    expect(() => planMirror({ images: [img('quay.io/charts/c:1.0.0', D2)], charts, target: { kind: 'registry', target: parseTarget('m.local'), mapping: 'default' }, where: 'b.tar' })).toThrow(/b\.tar: two different things would be pushed/);
  });
});

describe('planLock and formatPlan', () => {
  const result = (status: CopyResult['status'], digest?: string): CopyResult => ({ status, ...(digest ? { digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 5, platforms: [] } : {}) }) as unknown as CopyResult;

  it('records what landed, with destinations and charts for a registry target', () => {
    const charts = [{ file: 'charts/c-1.0.0.tgz', name: 'c', version: '1.0.0', tag: '1.0.0', digest: D1 }];
    const plan = planMirror({ images: [img('quay.io/a/b:1', D2), img('quay.io/a/c:1', D2)], charts, target: { kind: 'registry', target: parseTarget('m.local'), mapping: 'default' } });
    const lock = planLock(plan, [result('copied', D2), result('failed'), result('skipped', D1)], { generator: 'airlift test', chartDigests: new Map([['charts/c-1.0.0.tgz', D2]]) });
    expect(lock.target).toBe('m.local');
    expect(lock.images.map((i) => [i.source, i.destination])).toEqual([['quay.io/a/b:1', 'm.local/a/b:1']]);
    expect(lock.charts).toEqual([{ name: 'c', version: '1.0.0', file: 'charts/c-1.0.0.tgz', digest: D2, destination: 'm.local/charts/c:1.0.0' }]);
  });

  it('records no destination for a bundle', () => {
    const plan = planMirror({ images: [img('quay.io/a/b:1')], target: { kind: 'bundle', name: 'oci-archive:b.tar' } });
    const lock = planLock(plan, [result('copied', D2)], { generator: 'airlift test', charts: [] });
    expect(lock.target).toBeUndefined();
    expect(lock.images[0]!.destination).toBeUndefined();
  });

  it('prints the plan as a table or as JSON', () => {
    const plan = planMirror({ images: [img('quay.io/a/b:1')], target: { kind: 'registry', target: parseTarget('m.local'), mapping: 'default' } });
    expect(formatPlan(plan, 'table')).toBe('KIND   SOURCE         DESTINATION\nimage  quay.io/a/b:1  m.local/a/b:1\n');
    expect(JSON.parse(formatPlan(plan, 'json'))).toEqual([{ kind: 'image', source: 'quay.io/a/b:1', destination: 'm.local/a/b:1' }]);
  });
});
