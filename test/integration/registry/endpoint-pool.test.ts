/** The run's endpoint pool (src/endpoint/pool.ts): one endpoint per host and role, on one client, against a real registry. */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EndpointPool } from '../../../src/endpoint/pool.js';
import { createRegistryClient, type RegistryClient } from '../../../src/registry/index.js';
import { useRegistry } from '../../harness/use-registry.js';
import { makeImage } from './image.js';

describe('endpoint pool', () => {
  const reg = useRegistry('plain');

  function pool(): { pool: EndpointPool; clients: RegistryClient[] } {
    const clients: RegistryClient[] = [];
    return {
      clients,
      pool: new EndpointPool(() => {
        const c = createRegistryClient({ env: {} });
        clients.push(c);
        return c;
      }),
    };
  }

  it('a destination asked after a source of the same host is a destination endpoint of its own (it pushes), and sources then read through it', async () => {
    const { host } = reg();
    const { pool: p, clients } = pool();
    try {
      const src = p.source(host);
      const dst = p.destination(host);
      expect(dst).not.toBe(src);
      expect(p.destination(host)).toBe(dst);
      const img = makeImage();
      await dst.putBlob('pool/app', img.config.desc, Readable.from([img.config.bytes]));
      await dst.putBlob('pool/app', img.layer.desc, Readable.from([img.layer.bytes]));
      await dst.putManifest('pool/app', img.manifest, 'v1');
      // a repository's tags are no proof of which blobs it holds: no endpoint claims to know (#16 item 10)
      expect(dst.repositoryExists).toBeUndefined();
      // once the host is a destination, its sources read through the destination's endpoint
      expect(p.source(host)).toBe(dst);
      expect((await p.factory(host, 'source').resolveManifest('pool/app', 'v1'))?.digest).toBe(img.manifest.digest);
      expect(clients).toHaveLength(1);
    } finally {
      await p.close();
    }
  });

  it('sources of different hosts are different endpoints on one client', async () => {
    const { host } = reg();
    const { pool: p, clients } = pool();
    try {
      const a = p.source(host);
      const b = p.source(`localhost:${host.split(':')[1]}`);
      expect(a).not.toBe(b);
      expect(p.source(host)).toBe(a);
      expect(clients).toHaveLength(1);
    } finally {
      await p.close();
    }
  });
});
