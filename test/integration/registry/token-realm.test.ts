/**
 * Security of the token flow and of uploads sent elsewhere (issue #16 item 9),
 * on real docker-registry processes:
 *
 * - A registry on https whose token realm is plain http gets no credentials:
 *   airlift refuses before the token server sees a request (E_AUTH, exit 4),
 *   and says why and how to allow it. The realm is announced by name
 *   (`localhost`): only a loopback IP address is exempt without --plain-http,
 *   so the refusal can be shown on 127.0.0.1 while the exemption that keeps
 *   local token servers working is shown too.
 * - `--plain-http REALMHOST` allows it; a realm on 127.0.0.1 needs no flag.
 * - An upload Location on another host that answers 401: the error names
 *   that host, not the registry's credentials (a scripted 401 listener; the
 *   rest is the real registry behind the fault proxy).
 */
import path from 'node:path';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../../harness/fault-proxy.js';
import { startRegistry, type StartedRegistry } from '../../harness/registry.js';
import { skopeoInspectDigest } from '../../harness/skopeo.js';
import { sampleBundle, writeBundle } from '../../helpers/bundle.js';
import { airlift, workspace, type Workspace } from '../../harness/workspace.js';
import { startScripted, type Scripted } from './scripted.js';

let ws: Workspace;
let named: StartedRegistry;
let literal: StartedRegistry;
let plain: StartedRegistry;
let proxy: FaultProxy;
let elsewhere: Scripted;
let bundle: string;
const sample = sampleBundle('example.com/team/app:1.0');

beforeAll(async () => {
  ws = await workspace('token-realm');
  [named, literal, plain] = await Promise.all([
    startRegistry({ mode: 'token', tokenTls: true, realmHost: 'localhost' }),
    startRegistry({ mode: 'token', tokenTls: true }),
    startRegistry({ mode: 'plain' }),
  ]);
  proxy = await startFaultProxy({ url: plain.url });
  elsewhere = await startScripted((req: http.IncomingMessage, res: http.ServerResponse) => {
    req.resume();
    res.writeHead(401, { 'www-authenticate': 'Basic realm="object-store"', 'content-length': '0' });
    res.end();
  });
  await ws.setAuth([
    { host: named.host, username: named.username!, password: named.password! },
    { host: literal.host, username: literal.username!, password: literal.password! },
  ]);
  bundle = path.join(ws.dir, 'bundle.tar');
  await writeBundle(bundle, sample.entries);
}, 120_000);
afterAll(async () => {
  await proxy?.stop();
  await elsewhere?.close();
  await Promise.all([named?.stop(), literal?.stop(), plain?.stop()]);
  await ws?.remove();
});

describe('https registry with a plain-http token realm', () => {
  it('refuses to send credentials to a plain-http realm named by host name, before the token server sees them', async () => {
    const r = await airlift(ws, ['--ca-file', named.caFile!, 'load', bundle, '--to', `${named.host}/refused`]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('E_AUTH');
    expect(r.stderr).toContain(`sends its token requests to ${named.token!.realm.replace(/\/token$/, '')} over plain http`);
    const realmHost = new URL(named.token!.realm).host;
    expect(r.stderr).toContain(`--plain-http ${realmHost}`);
    expect(r.stderr).not.toContain(named.password!);
    expect(named.token!.requests()).toEqual([]);
  });

  it('sends them when the realm host is named with --plain-http', async () => {
    const realmHost = new URL(named.token!.realm).host;
    const r = await airlift(ws, ['--ca-file', named.caFile!, '--plain-http', realmHost, 'load', bundle, '--to', `${named.host}/allowed`]);
    expect(r.code, r.stderr).toBe(0);
    expect(named.token!.requests().some((q) => q.user === 'airlift' && q.status === 200)).toBe(true);
    expect(await skopeoInspectDigest(named, 'allowed/team/app:1.0')).toBe(sample.manifestDigest);
  });

  it('sends them to a realm on a loopback IP address without a flag (the bytes never leave the machine)', async () => {
    expect(new URL(literal.token!.realm).hostname).toBe('127.0.0.1');
    const r = await airlift(ws, ['--ca-file', literal.caFile!, 'load', bundle, '--to', `${literal.host}/loopback`]);
    expect(r.code, r.stderr).toBe(0);
    expect(await skopeoInspectDigest(literal, 'loopback/team/app:1.0')).toBe(sample.manifestDigest);
  });
});

describe('upload Location on another host', () => {
  it('names the host that refused, not the registry credentials', async () => {
    proxy.addRule({
      method: 'POST',
      path: /\/blobs\/uploads\/(\?.*)?$/,
      times: Infinity,
      fault: { kind: 'respond', status: 202, headers: { location: `${elsewhere.url}/upload/session-1`, 'content-length': '0' } },
    });
    try {
      const r = await airlift(ws, ['--plain-http', proxy.host, 'load', bundle, '--to', `${proxy.host}/elsewhere`]);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toContain(`${elsewhere.host} refused`);
      expect(r.stderr).toContain('basic authentication');
      expect(r.stderr).toContain(`the credentials for ${proxy.host} were not refused`);
      expect(r.stderr).not.toMatch(new RegExp(`check the credentials for ${proxy.host.replace(/\./g, '\\.')}`));
    } finally {
      proxy.clearRules();
    }
  });
});
