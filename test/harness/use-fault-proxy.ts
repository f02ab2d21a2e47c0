/**
 * vitest convenience around startFaultProxy: starts a proxy in front of a
 * registry in beforeAll (after the registry's own beforeAll) and stops it in
 * afterAll, also when tests fail. Rules and the request log are cleared
 * before each test.
 *
 *   const src = useRegistry('plain');
 *   const proxy = useFaultProxy(src);
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startFaultProxy, type FaultProxy, type UpstreamTarget } from './fault-proxy.js';

export function useFaultProxy(upstream: () => UpstreamTarget): () => FaultProxy {
  let proxy: FaultProxy | undefined;
  beforeAll(async () => {
    proxy = await startFaultProxy(upstream());
  });
  beforeEach(() => {
    proxy?.clearRules();
    proxy?.clearLog();
  });
  afterAll(async () => {
    await proxy?.stop();
  });
  return () => {
    if (!proxy) throw new Error('the fault proxy is not started yet (call the getter inside a test or hook)');
    return proxy;
  };
}
