/**
 * What distribution answers for a moment while another writer pushes the same content
 * (MANIFEST_BLOB_UNKNOWN on a manifest PUT, DIGEST_INVALID on a verified blob upload) is not an
 * integrity failure: it is retried, and reported as a registry error (exit 8, not 6) if it stays
 * (issue #16 item 7). The fault proxy injects the answers between airlift and a real registry;
 * two syncs into one real registry at once must both succeed.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedRegistry } from '../../../fixtures/images/generate.js';
import { useFaultProxy } from '../../harness/use-fault-proxy.js';
import { useRegistry } from '../../harness/use-registry.js';
import { airlift, digestMismatches, repoTag, workspace, type Workspace } from '../../harness/workspace.js';

let ws: Workspace;
beforeAll(async () => {
  ws = await workspace('faults-concurrent-writers');
});
afterAll(async () => {
  await ws?.remove();
});

const MANIFEST_PUT = { method: 'PUT', path: /\/manifests\// };
const BLOB_PUT = { method: 'PUT', path: /\/blobs\/uploads\// };
const oci = (code: string, message: string): string => JSON.stringify({ errors: [{ code, message }] });

describe('a registry refusing writes the way concurrent writers make it', () => {
  const src = useRegistry('plain');
  const dst = useRegistry('plain');
  const dstProxy = useFaultProxy(() => dst());

  beforeAll(async () => {
    await seedRegistry(path.join(ws.dir, 'layout'), src(), ws.layout.images);
  });

  const sync = (prefix: string) => {
    const images = ws.layout.images.flatMap((i) => ['--image', `${src().host}/${repoTag(i)}`]);
    return airlift(ws, ['--plain-http', src().host, '--plain-http', dstProxy().host, 'sync', ...images, '--to', `${dstProxy().host}/${prefix}`]);
  };

  it('MANIFEST_BLOB_UNKNOWN and DIGEST_INVALID for a moment are retried: every image arrives with its digest', async () => {
    const manifest = dstProxy().addRule({ ...MANIFEST_PUT, times: 2, fault: { kind: 'status', status: 400, body: oci('MANIFEST_BLOB_UNKNOWN', 'blob unknown to registry') } });
    const blob = dstProxy().addRule({ ...BLOB_PUT, fault: { kind: 'status', status: 400, body: oci('DIGEST_INVALID', 'provided digest did not match uploaded content') } });
    const r = await sync('moment');
    dstProxy().clearRules();
    expect(r.code, r.stderr).toBe(0);
    expect(manifest.applied()).toBe(2);
    expect(blob.applied()).toBe(1);
    expect(await digestMismatches(dst(), 'moment', ws.layout.images)).toEqual([]);
  });

  it('a blob upload refused with DIGEST_INVALID every time is a registry error (exit 8), not an integrity failure (exit 6)', async () => {
    dstProxy().addRule({ ...BLOB_PUT, times: Infinity, fault: { kind: 'status', status: 400, body: oci('DIGEST_INVALID', 'provided digest did not match uploaded content') } });
    const r = await sync('blobs-refused');
    dstProxy().clearRules();
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('DIGEST_INVALID');
    expect(r.stderr).toContain('E_REGISTRY');
    expect(r.stderr).not.toContain('E_DIGEST_MISMATCH');
    expect(r.stderr).toContain('verified');
  });

  it('a manifest PUT refused with MANIFEST_BLOB_UNKNOWN every time is a registry error naming the attempts', async () => {
    const rule = dstProxy().addRule({ ...MANIFEST_PUT, times: Infinity, fault: { kind: 'status', status: 400, body: oci('MANIFEST_BLOB_UNKNOWN', 'blob unknown to registry') } });
    const r = await sync('manifests-refused');
    dstProxy().clearRules();
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('MANIFEST_BLOB_UNKNOWN');
    expect(r.stderr).toMatch(/still refused after 5 attempts/);
    expect(rule.applied()).toBeGreaterThanOrEqual(5);
  }, 60_000);

  it('two syncs into one real registry at the same moment both succeed', async () => {
    const images = ws.layout.images.flatMap((i) => ['--image', `${src().host}/${repoTag(i)}`]);
    const args = ['--plain-http', src().host, '--plain-http', dst().host, 'sync', ...images, '--to', `${dst().host}/both`];
    const [a, b] = await Promise.all([airlift(ws, args), airlift(ws, args)]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(await digestMismatches(dst(), 'both', ws.layout.images)).toEqual([]);
  });
});
