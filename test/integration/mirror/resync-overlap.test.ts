/**
 * The no-op resync's round trips (src/copy/engine.ts, destHeldLast): once the destination has
 * held an image, the next image's source HEAD goes out with its destination HEAD instead of after
 * it; while images are missing (a first sync) the source manifest is read by one GET after the
 * destination's 404, and no source HEAD is sent. Real registries behind the fault proxy, which
 * holds every destination manifest HEAD of the resync for a while so that the order is plain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedLayout } from '../../../fixtures/images/generate.js';
import { startFaultProxy, type FaultProxy, type RecordedRequest } from '../../harness/fault-proxy.js';
import { useSeededPair } from '../../harness/use-seeded-pair.js';
import { runCli } from '../../helpers/io.js';

const HOLD_MS = 400;

let sp: FaultProxy;
let dp: FaultProxy;
let layout: GeneratedLayout;

const pair = useSeededPair('resync-overlap');
beforeAll(async () => {
  const p = pair();
  layout = p.layout;
  sp = await startFaultProxy({ url: p.src.url });
  dp = await startFaultProxy({ url: p.dst.url });
}, 60_000);

afterAll(async () => {
  await sp?.stop();
  await dp?.stop();
});

const manifestHead = (r: RecordedRequest, repo: string): boolean => r.method === 'HEAD' && r.path.startsWith(`/v2/${repo}/manifests/`);

describe('no-op resync: source and destination HEAD together', () => {
  it('sends no source HEAD in a first sync, and each later source HEAD before its held destination HEAD is answered', async () => {
    const sorted = [...layout.images].sort((a, b) => (a.name < b.name ? -1 : 1));
    // --concurrency 1: two images at a time, so the first two start before any destination answered
    const args = ['--plain-http', sp.host, '--plain-http', dp.host, '--concurrency', '1', 'sync', ...sorted.flatMap((i) => ['--image', `${sp.host}/${i.name}:${i.tag}`]), '--to', `${dp.host}/mirror`];
    const first = await runCli(args);
    expect(first.code, first.stderr).toBe(0);
    const sourceHeads = sp.requests().filter((r) => r.method === 'HEAD' && r.path.includes('/manifests/'));
    expect(sourceHeads).toEqual([]);

    sp.clearLog();
    dp.clearLog();
    dp.addRule({ method: 'HEAD', path: /^\/v2\/mirror\/.+\/manifests\//, fault: { kind: 'stall', ms: HOLD_MS }, times: Infinity });
    const second = await runCli(args);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout.match(/^skipped/gm)).toHaveLength(sorted.length);
    const overlapped = sorted.map((img) => {
      const src = sp.requests().filter((r) => manifestHead(r, img.name));
      const answered = dp.requests().filter((r) => manifestHead(r, `mirror/${img.name}`) && r.status === 200);
      expect(src, img.name).toHaveLength(1);
      expect(answered, img.name).toHaveLength(1);
      return src[0]!.time < answered[0]!.time;
    });
    // the first two started before the destination had answered anything: one after the other
    expect(overlapped.slice(0, 2)).toEqual([false, false]);
    expect(overlapped.slice(2)).toEqual(sorted.slice(2).map(() => true));
    // and the resync asked nothing more than before: one HEAD per image at each side
    expect(dp.requests().filter((r) => r.status === 200 && r.path !== '/v2/')).toHaveLength(sorted.length);
  });
});
