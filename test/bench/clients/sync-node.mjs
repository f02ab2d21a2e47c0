// What node alone costs for the requests of airlift's sync of new images (not a floor the bench
// times; run by `requests.ts --client node-undici|node-http` to compare client CPU): per image,
// the source's tag list, HEAD of the destination manifest, GET of the source manifest; per blob,
// HEAD at the destination, GET at the source (whole, one sha256), POST and one PUT with the bytes;
// then PUT of the manifest. 16 at a time over keep-alive connections, with undici's Pool
// (`request()`, as src/registry/transport.ts) or node:http's Agent. Image manifests only.
//   node sync-node.mjs undici|http SRC DEST PREFIX NAME:TAG...
import { createHash } from 'node:crypto';
import http from 'node:http';
import { ACCEPT } from './accept.mjs';

const [mode, src, dest, prefix, ...images] = process.argv.slice(2);
const CONCURRENCY = 16;

let send;
let close;
if (mode === 'undici') {
  const { Pool } = await import('undici');
  const pools = new Map([src, dest].map((h) => [h, new Pool(`http://${h}`, { connections: null })]));
  send = async (host, method, path, headers = {}, body) => {
    const r = await pools.get(host).request({ method, path, headers, body: body ?? null, reset: false });
    return { status: r.statusCode, headers: r.headers, body: Buffer.from(await r.body.arrayBuffer()) };
  };
  close = () => Promise.all([...pools.values()].map((p) => p.close()));
} else if (mode === 'http') {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  send = (host, method, path, headers = {}, body) => {
    const [hostname, port] = host.split(':');
    return new Promise((resolve, reject) => {
      const req = http.request({ agent, hostname, port, method, path, headers: body ? { ...headers, 'content-length': body.length } : headers }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  };
  close = async () => agent.destroy();
} else throw new Error('usage: sync-node.mjs undici|http SRC DEST PREFIX NAME:TAG...');

const expect = (r, status, what) => {
  if (r.status !== status) throw new Error(`${what}: HTTP ${r.status}`);
  return r;
};

async function blob(name, repo, desc) {
  await send(dest, 'HEAD', `/v2/${repo}/blobs/${desc.digest}`);
  const bytes = expect(await send(src, 'GET', `/v2/${name}/blobs/${desc.digest}`), 200, desc.digest).body;
  if (`sha256:${createHash('sha256').update(bytes).digest('hex')}` !== desc.digest) throw new Error(`${desc.digest}: digest mismatch`);
  const loc = expect(await send(dest, 'POST', `/v2/${repo}/blobs/uploads/`, { 'content-length': '0' }), 202, 'POST').headers.location;
  const u = new URL(loc, `http://${dest}`);
  u.searchParams.set('digest', desc.digest);
  expect(await send(dest, 'PUT', u.pathname + u.search, { 'content-type': 'application/octet-stream' }, bytes), 201, 'PUT');
}

async function image(ref) {
  const [name, tag] = ref.split(':');
  const repo = `${prefix}/${name}`;
  const tags = send(src, 'GET', `/v2/${name}/tags/list`);
  await send(dest, 'HEAD', `/v2/${repo}/manifests/${tag}`, { accept: ACCEPT });
  const m = expect(await send(src, 'GET', `/v2/${name}/manifests/${tag}`, { accept: ACCEPT }), 200, ref);
  const manifest = JSON.parse(m.body.toString());
  await Promise.all([manifest.config, ...manifest.layers].map((d) => blob(name, repo, d)));
  expect(await send(dest, 'PUT', `/v2/${repo}/manifests/${tag}`, { 'content-type': m.headers['content-type'] }, m.body), 201, `PUT ${ref}`);
  await tags;
}

let next = 0;
await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
  while (next < images.length) await image(images[next++]);
}));
await close();
