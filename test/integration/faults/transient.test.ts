/**
 * Transient faults during sync, save and load, injected by the fault proxy
 * between airlift and real registries: connection resets mid-blob, 5xx
 * bursts, 429 with Retry-After, truncated bodies, stalls. Every run must
 * succeed and every image must arrive with its source digest (checked with
 * skopeo), and every scripted fault must really have happened.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedRegistry } from '../../../fixtures/images/generate.js';
import type { FaultProxy, FaultRule, RuleHandle } from '../../harness/fault-proxy.js';
import { useFaultProxy } from '../../harness/use-fault-proxy.js';
import { useRegistry } from '../../harness/use-registry.js';
import { airlift, bundleDigest, digestMismatches, repoTag, workspace, type Workspace } from '../../harness/workspace.js';

let ws: Workspace;
beforeAll(async () => {
  ws = await workspace('faults-transient');
});
afterAll(async () => {
  await ws?.remove();
});

const BLOB_GET = /\/blobs\/sha256:/;
const MANIFEST = /\/manifests\//;
/** Uploads with more than 100 KiB of body (so a reset after 100 KiB really cuts one mid-blob). */
const bigBody = (r: { headers: Record<string, string | string[] | undefined> }): boolean => Number(r.headers['content-length'] ?? 0) > 100 * 1024;

/**
 * Source-side faults: every kind, on different requests. An image the destination lacks has
 * its tag read with a GET at once (a HEAD only asks whether a held image changed: see the
 * second sync below).
 */
function sourceFaults(p: FaultProxy): Array<[string, RuleHandle]> {
  const rules: Array<[string, FaultRule]> = [
    ['503 x2 on manifest GET', { method: 'GET', path: MANIFEST, times: 2, fault: { kind: 'status', status: 503 } }],
    ['502 on a manifest GET by tag', { method: 'GET', path: /\/manifests\/(?!sha256:)[^/]+$/, fault: { kind: 'status', status: 502 } }],
    ['reset after 64 KiB of a blob', { method: 'GET', path: BLOB_GET, fault: { kind: 'reset', afterBytes: 64 * 1024 } }],
    ['429 Retry-After 1 on a blob', { method: 'GET', path: BLOB_GET, skip: 1, fault: { kind: 'status', status: 429, retryAfter: 1 } }],
    ['truncation after 10 KiB', { method: 'GET', path: BLOB_GET, skip: 2, fault: { kind: 'truncate', afterBytes: 10 * 1024 } }],
    ['500 on a blob', { method: 'GET', path: BLOB_GET, skip: 3, fault: { kind: 'status', status: 500 } }],
    ['stall 1.5 s on a blob', { method: 'GET', path: BLOB_GET, skip: 4, fault: { kind: 'stall', ms: 1500 } }],
  ];
  return rules.map(([name, r]) => [name, p.addRule(r)]);
}

function expectAllApplied(rules: Array<[string, RuleHandle]>): void {
  const notHit = rules.filter(([, h]) => h.applied() === 0).map(([n]) => n);
  expect(notHit, 'scripted faults that never happened').toEqual([]);
}

describe('sync through transient faults at the source and the destination', () => {
  const src = useRegistry('plain');
  const dst = useRegistry('plain');
  const srcProxy = useFaultProxy(() => src());
  const dstProxy = useFaultProxy(() => dst());

  beforeAll(async () => {
    await seedRegistry(path.join(ws.dir, 'layout'), src(), ws.layout.images);
  });

  it('copies every image with its digest', async () => {
    const faults = sourceFaults(srcProxy());
    const dstFaults: Array<[string, RuleHandle]> = [
      ['500 on upload start', dstProxy().addRule({ method: 'POST', path: /\/blobs\/uploads\/(\?.*)?$/, fault: { kind: 'status', status: 500 } })],
      ['reset before an upload PUT', dstProxy().addRule({ method: 'PUT', path: /\/blobs\/uploads\//, fault: { kind: 'reset', beforeForward: true } })],
      ['503 on manifest PUT', dstProxy().addRule({ method: 'PUT', path: MANIFEST, fault: { kind: 'status', status: 503 } })],
      ['429 on a manifest HEAD', dstProxy().addRule({ method: 'HEAD', path: MANIFEST, fault: { kind: 'status', status: 429, retryAfter: 1 } })],
      ['reset 100 KiB into an upload body', dstProxy().addRule({ method: ['PUT', 'PATCH'], path: /\/blobs\/uploads\//, when: bigBody, fault: { kind: 'reset', afterRequestBytes: 100 * 1024 } })],
      ['reset on a later manifest HEAD', dstProxy().addRule({ method: 'HEAD', path: MANIFEST, skip: 2, fault: { kind: 'reset', beforeForward: true } })],
    ];
    const images = ws.layout.images.flatMap((i) => ['--image', `${srcProxy().host}/${repoTag(i)}`]);
    const args = ['--plain-http', srcProxy().host, '--plain-http', dstProxy().host, 'sync', ...images, '--to', `${dstProxy().host}/mirror`];
    const r = await airlift(ws, args);
    expect(r.code, r.stderr).toBe(0);
    expectAllApplied([...faults, ...dstFaults]);
    expect(await digestMismatches(dst(), 'mirror', ws.layout.images)).toEqual([]);

    // nothing new: each tag is asked with a HEAD at the source, which fails once and is retried
    const head = srcProxy().addRule({ method: 'HEAD', path: MANIFEST, fault: { kind: 'status', status: 502 } });
    const again = await airlift(ws, args);
    expect(again.code, again.stderr).toBe(0);
    expect(head.applied()).toBe(1);
    expect(again.stdout.split('\n').filter((l) => l.startsWith('skipped'))).toHaveLength(ws.layout.images.length);
  });
});

describe('save through transient faults, then load through transient faults', () => {
  const src = useRegistry('plain');
  const dst = useRegistry('plain');
  const srcProxy = useFaultProxy(() => src());
  const dstProxy = useFaultProxy(() => dst());
  let bundle: string;

  beforeAll(async () => {
    await seedRegistry(path.join(ws.dir, 'layout'), src(), ws.layout.images);
    bundle = path.join(ws.dir, 'transient.tar');
  });

  it('save writes a complete bundle with every digest', async () => {
    const faults = sourceFaults(srcProxy());
    const images = ws.layout.images.flatMap((i) => ['--image', `${srcProxy().host}/${repoTag(i)}`]);
    const r = await airlift(ws, ['--plain-http', srcProxy().host, 'save', ...images, '-o', bundle]);
    expect(r.code, r.stderr).toBe(0);
    expectAllApplied(faults);
    expect(existsSync(bundle)).toBe(true);
    expect(existsSync(`${bundle}.airlift-staging`)).toBe(false);
    for (const img of ws.layout.images) {
      expect(await bundleDigest(bundle, `${srcProxy().host}/${repoTag(img)}`), img.ref).toBe(img.digest);
    }
  });

  it('load pushes every image with its digest', async () => {
    expect(existsSync(bundle), 'the save test must have written the bundle').toBe(true);
    const faults: Array<[string, RuleHandle]> = [
      ['503 x2 on /v2/', dstProxy().addRule({ method: 'GET', path: /^\/v2\/$/, times: 2, fault: { kind: 'status', status: 503 } })],
      ['500 on upload start', dstProxy().addRule({ method: 'POST', path: /\/blobs\/uploads\/(\?.*)?$/, fault: { kind: 'status', status: 500 } })],
      ['502 on a later upload start', dstProxy().addRule({ method: 'POST', path: /\/blobs\/uploads\/(\?.*)?$/, skip: 3, fault: { kind: 'status', status: 502 } })],
      ['reset before an upload PUT', dstProxy().addRule({ method: 'PUT', path: /\/blobs\/uploads\//, fault: { kind: 'reset', beforeForward: true } })],
      [
        'reset 100 KiB into an upload body',
        dstProxy().addRule({ method: ['PUT', 'PATCH'], path: /\/blobs\/uploads\//, when: bigBody, fault: { kind: 'reset', afterRequestBytes: 100 * 1024 } }),
      ],
      ['429 on a manifest HEAD', dstProxy().addRule({ method: 'HEAD', path: MANIFEST, fault: { kind: 'status', status: 429, retryAfter: 1 } })],
      ['503 on manifest PUT', dstProxy().addRule({ method: 'PUT', path: MANIFEST, fault: { kind: 'status', status: 503 } })],
      ['stall on a manifest PUT', dstProxy().addRule({ method: 'PUT', path: MANIFEST, skip: 2, fault: { kind: 'stall', ms: 1000 } })],
    ];
    const r = await airlift(ws, ['--plain-http', dstProxy().host, 'load', bundle, '--to', `${dstProxy().host}/loaded`]);
    expect(r.code, r.stderr).toBe(0);
    expectAllApplied(faults);
    // load maps the bundle's source references like sync: drop the source registry, keep the path.
    expect(await digestMismatches(dst(), 'loaded', ws.layout.images)).toEqual([]);
  });
});
