// The floor of a no-op resync: per image, HEAD the source manifest and the destination manifest
// (the 2 requests airlift makes for an image that is already there, sent together as airlift
// sends them), and with `tags` one tag list per source repository (where airlift finds the cosign
// tags and the referrers fallback tag of an unchanged image: what a resync carrying signatures
// must ask), N images at a time, over keep-alive connections.
//   node head-loop.mjs JOB.json   where JOB = {src, dest, prefix, concurrency, perRegistry, tags, images: [{name, tag}],
//                                              client?: 'http' | 'undici', pipelining?: number, connections?: number}
// (concurrency: images at a time; perRegistry: requests in flight per registry, as airlift's limit)
// client 'http' (the default): node:http's Agent, one request per connection at a time.
// client 'undici': an undici Pool per registry (up to `connections`, default perRegistry), requests sent with
// dispatch() and a handler that keeps nothing but the status and the digest header, `pipelining`
// requests in flight per connection (the Pool fills a connection's pipeline before it opens another).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { ACCEPT } from './accept.mjs';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const n = job.concurrency;
const perRegistry = job.perRegistry ?? n;

let request;
let close;
if ((job.client ?? 'http') === 'http') {
  const agent = new http.Agent({ keepAlive: true, maxSockets: perRegistry });
  request = (host, method, path) => {
    const [hostname, port] = host.split(':');
    return new Promise((resolve, reject) => {
      const req = http.request({ hostname, port, method, path, agent, headers: { accept: ACCEPT } }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`${method} ${host}${path}: ${res.statusCode}`));
          else resolve(res.headers['docker-content-digest']);
        });
      });
      req.on('error', reject);
      req.end();
    });
  };
  close = async () => agent.destroy();
} else if (job.client === 'undici') {
  // Pool's own module, as airlift loads it (src/registry/undici.ts): not the package index (fetch, WebSocket, …)
  const { default: Pool } = await import('undici/lib/dispatcher/pool.js');
  const pools = new Map();
  const pool = (host) => {
    let p = pools.get(host);
    if (!p) pools.set(host, (p = new Pool(`http://${host}`, { connections: job.connections ?? perRegistry, pipelining: job.pipelining ?? 1 })));
    return p;
  };
  const headers = { accept: ACCEPT };
  request = (host, method, path) =>
    new Promise((resolve, reject) => {
      let status = 0;
      let digest;
      pool(host).dispatch(
        { method, path, headers, reset: false },
        {
          onConnect() {},
          onHeaders(s, raw) {
            status = s;
            for (let i = 0; i < raw.length; i += 2) {
              if (raw[i].length === 21 && raw[i].toString('latin1').toLowerCase() === 'docker-content-digest') digest = raw[i + 1].toString('latin1');
            }
            return true;
          },
          onData() {
            return true;
          },
          onComplete() {
            if (status !== 200) reject(new Error(`${method} ${host}${path}: ${status}`));
            else resolve(digest);
          },
          onError: reject,
        },
      );
    });
  close = () => Promise.all([...pools.values()].map((p) => p.close()));
} else throw new Error(`head-loop: client ${job.client}: use http or undici`);

await Promise.all([request(job.src, 'GET', '/v2/'), request(job.dest, 'GET', '/v2/')]);
const listed = new Set();
let next = 0;
let differ = 0;
await Promise.all(
  Array.from({ length: n }, async () => {
    while (next < job.images.length) {
      const img = job.images[next++];
      const tags = job.tags && !listed.has(img.name) ? (listed.add(img.name), request(job.src, 'GET', `/v2/${img.name}/tags/list`)) : undefined;
      const [a, b] = await Promise.all([
        request(job.src, 'HEAD', `/v2/${img.name}/manifests/${img.tag}`),
        request(job.dest, 'HEAD', `/v2/${job.prefix}/${img.name}/manifests/${img.tag}`),
        tags,
      ]);
      if (!a || a !== b) differ++;
    }
  }),
);
await close();
if (differ) throw new Error(`${differ} images differ between source and destination`);
