/**
 * Registry host names that the URL parser rewrites: "127.1:PORT" (an IPv4
 * shorthand that resolves to 127.0.0.1 but that airlift does not recognise as
 * loopback), and the same shape as "registry.example.com:443" or upper-case
 * names. Credentials must still go to the registry, and --plain-http must
 * work for a host that is not named as loopback. A plain-HTTP fault proxy
 * sits in front of the real TLS + htpasswd docker-registry and records what
 * it receives. All traffic stays on 127.0.0.1.
 */
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistryClient, staticCredentials, type RegistryClient } from '../../../src/registry/index.js';
import { useFaultProxy } from '../../harness/use-fault-proxy.js';
import { useRegistry } from '../../harness/use-registry.js';
import { runCli } from '../../helpers/io.js';
import { makeImage } from './image.js';

describe('registry named by a host the URL parser normalises (127.1:PORT)', () => {
  const reg = useRegistry('tls-basic');
  const proxy = useFaultProxy(() => ({ url: reg().url, ...(reg().caFile ? { caFile: reg().caFile! } : {}) }));
  const clients: RegistryClient[] = [];
  afterAll(async () => {
    for (const c of clients) await c.close();
  });
  /** The proxy's address written as "127.1:PORT". */
  const alias = (): string => `127.1:${proxy().host.split(':')[1]}`;

  it('sends credentials to the registry and pushes/pulls (plain HTTP named with plainHttp)', async () => {
    const r = reg();
    const host = alias();
    const c = createRegistryClient({ env: {}, plainHttp: [host], certsDirs: [], credentials: staticCredentials(host, { username: r.username!, password: r.password! }) });
    clients.push(c);
    expect((await c.ping(host)).auth).toBe('basic');
    const img = makeImage(2000);
    await c.putBlob(host, 'alias/app', img.layer.desc, Readable.from([img.layer.bytes]));
    expect(await c.headBlob(host, 'alias/app', img.layer.desc.digest)).toEqual({ size: img.layer.desc.size });
    const after = proxy().requests().filter((q) => q.path !== '/v2/');
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((q) => q.authorization)).toBe(true);
  });

  it('airlift --plain-http 127.1:PORT login works; without --plain-http it does not talk plain HTTP', async () => {
    const r = reg();
    const host = alias();
    const env = { DOCKER_CONFIG: '/nonexistent-airlift-test/docker' };
    const denied = await runCli(['login', host, '-u', r.username!, '--password-stdin'], { env, stdin: `${r.password}\n` });
    expect(denied.code).toBe(7);
    expect(proxy().requests().filter((q) => q.path === '/v2/')).toEqual([]);

    // login stores nothing when verification fails; here it succeeds, so point DOCKER_CONFIG at a temp dir
    const { mkdtemp, rm } = await import('node:fs/promises');
    const dir = await mkdtemp('/tmp/airlift-alias-');
    try {
      const ok = await runCli(['--plain-http', host, 'login', host, '-u', r.username!, '--password-stdin'], { env: { DOCKER_CONFIG: dir }, stdin: `${r.password}\n` });
      expect(ok.stderr).toMatch(/Login succeeded/);
      expect(ok.code).toBe(0);
      expect(proxy().requests().some((q) => q.path === '/v2/' && q.authorization && q.status === 200)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
