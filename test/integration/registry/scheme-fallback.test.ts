/**
 * A loopback host is tried over HTTPS, then over plain HTTP: when both fail, the error names
 * both attempts, and the one that got further decides the code and the advice (issue #16 item 7).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AirliftError } from '../../../src/errors.js';
import { createRegistryClient, type RegistryClient } from '../../../src/registry/index.js';
import { runCli } from '../../helpers/io.js';
import { startScripted, type Scripted } from './scripted.js';

const open: Array<Scripted | RegistryClient | net.Server> = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    if (o instanceof net.Server) await new Promise<void>((r) => o.close(() => r()));
    else await o.close();
  }
});

function client(): RegistryClient {
  const c = createRegistryClient({ env: {}, retry: { baseDelayMs: 5, maxDelayMs: 20 } });
  open.push(c);
  return c;
}

async function pingError(c: RegistryClient, host: string): Promise<AirliftError> {
  const err = await c.ping(host).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AirliftError);
  return err as AirliftError;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('a loopback host that fails over HTTPS and plain HTTP', () => {
  it('reports both attempts when nothing listens, with no TLS advice', async () => {
    const host = `127.0.0.1:${await freePort()}`;
    const e = await pingError(client(), host);
    expect(e.code).toBe('E_NETWORK');
    expect(e.message).toMatch(/HTTPS: .*ECONNREFUSED/);
    expect(e.message).toMatch(/plain HTTP: .*ECONNREFUSED/);
    expect(e.hint).not.toContain('--ca-file');
  });

  it('reports both attempts when the host accepts connections and closes them without answering', async () => {
    const s = net.createServer((sock) => sock.destroy());
    open.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const host = `127.0.0.1:${(s.address() as net.AddressInfo).port}`;
    const e = await pingError(client(), host);
    expect(e.code).toBe('E_NETWORK');
    expect(e.message).toContain('HTTPS: ');
    expect(e.message).toContain('plain HTTP: ');
    expect(e.hint).not.toContain('--ca-file');
  });

  it('a plain HTTP server answering 404 is a wrong host or port (E_REGISTRY), not a TLS problem, on the command line too', async () => {
    const s = await startScripted((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found\n');
    });
    open.push(s);
    const e = await pingError(client(), s.host);
    expect(e.code).toBe('E_REGISTRY');
    expect(e.message).toMatch(/HTTPS: .*TLS/);
    expect(e.message).toMatch(/plain HTTP: .*HTTP 404/);
    expect(e.hint).toContain('host name and port');
    expect(e.hint).not.toContain('--ca-file');

    const r = await runCli(['sync', '--image', `${s.host}/app:1`, '--to', `${s.host}/mirror`]);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('plain HTTP');
    expect(r.stderr).toContain('HTTP 404');
    expect(r.stderr).not.toContain('--ca-file');
  });
});
