/**
 * vitest convenience for tests on scripted servers (misbehaviour a real registry cannot
 * produce): every server, registry client or other closable a test opens is closed after it,
 * also when it fails.
 *
 *   const scripted = useScripted();
 *   it('retries', async () => { const reg = await scripted.server((req, res) => …); const c = scripted.client(reg.host); … });
 */
import type http from 'node:http';
import { afterEach } from 'vitest';
import { createRegistryClient, type RegistryClient } from '../../src/registry/index.js';
import { startScripted, type Scripted } from './scripted.js';

export interface UseScripted {
  /** A scripted server on loopback (127.0.0.1, or another 127.x address). */
  server(handler: http.RequestListener, address?: string): Promise<Scripted>;
  /** A registry client for `host` over plain HTTP with short retry pauses. */
  client(host: string, extra?: Parameters<typeof createRegistryClient>[0]): RegistryClient;
  /** Closes `c` after the test. */
  track<T extends { close(): Promise<unknown> | void }>(c: T): T;
}

export function useScripted(): UseScripted {
  const open: Array<{ close(): Promise<unknown> | void }> = [];
  afterEach(async () => {
    for (const o of open.splice(0)) await o.close();
  });
  const track = <T extends { close(): Promise<unknown> | void }>(c: T): T => {
    open.push(c);
    return c;
  };
  return {
    server: async (handler, address) => track(await startScripted(handler, address)),
    client: (host, extra = {}) => track(createRegistryClient({ env: {}, plainHttp: [host], retry: { baseDelayMs: 5, maxDelayMs: 20 }, ...extra })),
    track,
  };
}
