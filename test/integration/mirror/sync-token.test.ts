/**
 * The no-op sync cost with token authentication: one manifest HEAD per image
 * at each side, plus the token requests (counted at the harness's token servers).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedLayout } from '../../../fixtures/images/generate.js';
import type { StartedRegistry } from '../../harness/registry.js';
import { skopeoInspectDigest } from '../../harness/skopeo.js';
import { runCli } from '../../helpers/io.js';
import { startCountingProxy, type CountingProxy } from './counting-proxy.js';
import { useSeededPair } from '../../harness/use-seeded-pair.js';

let src: StartedRegistry;
let dst: StartedRegistry;
let srcProxy: CountingProxy;
let dstProxy: CountingProxy;
let tmp: string;
let layout: GeneratedLayout;
let env: Record<string, string>;

const pair = useSeededPair('sync-token', { mode: 'token' });
beforeAll(async () => {
  ({ src, dst, tmp, layout } = pair());
  srcProxy = await startCountingProxy(src.host);
  dstProxy = await startCountingProxy(dst.host);
  const auth = (r: StartedRegistry): { auth: string } => ({ auth: Buffer.from(`${r.username}:${r.password}`).toString('base64') });
  const authFile = path.join(tmp, 'auth.json');
  await writeFile(authFile, JSON.stringify({ auths: { [srcProxy.host]: auth(src), [dstProxy.host]: auth(dst) } }));
  env = { HOME: tmp, REGISTRY_AUTH_FILE: authFile };
}, 120_000);

afterAll(async () => {
  await srcProxy?.close();
  await dstProxy?.close();
});

describe('sync with token auth', () => {
  it('a second sync costs one HEAD per image at each side and one tag list per source repository, plus one token per repository', async () => {
    const args = ['--plain-http', srcProxy.host, '--plain-http', dstProxy.host, 'sync', ...layout.images.flatMap((i) => ['--image', `${srcProxy.host}/${i.name}:${i.tag}`]), '--to', `${dstProxy.host}/mirror`];
    const first = await runCli(args, { env });
    expect(first.code, first.stderr).toBe(0);
    for (const img of layout.images) expect(await skopeoInspectDigest(dst, `mirror/${img.name}:${img.tag}`, { username: dst.username!, password: dst.password! })).toBe(img.digest);

    srcProxy.reset();
    dstProxy.reset();
    const srcTokens = src.token!.issuedCount();
    const dstTokens = dst.token!.issuedCount();
    const second = await runCli(args, { env });
    expect(second.code, second.stderr).toBe(0);
    const n = layout.images.length;
    const heads = (p: CountingProxy): string[] => p.requests.filter((r) => r.startsWith('HEAD ') && r.includes('/manifests/'));
    const other = (p: CountingProxy): string[] => p.requests.filter((r) => !(r.startsWith('HEAD ') && r.includes('/manifests/')));
    const tokens = { source: src.token!.issuedCount() - srcTokens, destination: dst.token!.issuedCount() - dstTokens };
    console.log(`no-op token sync of ${n} images: source ${JSON.stringify(srcProxy.requests)} + ${tokens.source} tokens; destination ${JSON.stringify(dstProxy.requests)} + ${tokens.destination} tokens`);
    expect(heads(srcProxy)).toHaveLength(n);
    expect(heads(dstProxy)).toHaveLength(n);
    // the rest is authentication (the /v2/ ping and 401 challenges answered by a token, one per
    // repository) and, at the source, what finds signatures and other referrers (issue #20): one
    // tag list per repository and the referrers API probe (docker-registry 2.8 has none)
    const discovery = (r: string): boolean => /^GET \/v2\/.+\/(tags\/list|referrers\/sha256:[0-9a-f]+)$/.test(r);
    for (const r of other(dstProxy)) expect(r === 'GET /v2/' || r.startsWith('HEAD ')).toBe(true);
    for (const r of other(srcProxy)) expect(r === 'GET /v2/' || r.startsWith('HEAD ') || discovery(r), r).toBe(true);
    expect(new Set(srcProxy.requests.filter((r) => r.endsWith('/tags/list'))).size).toBe(new Set(layout.images.map((i) => i.name)).size);
    expect(tokens.source).toBeLessThanOrEqual(n);
    expect(tokens.destination).toBeLessThanOrEqual(n);
  });
});
