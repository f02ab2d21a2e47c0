// The floor of a no-op resync: per image, HEAD the source manifest and the destination manifest
// (the 2 requests airlift makes for an image that is already there, sent together as airlift
// sends them), and with `tags` one tag list per source repository (where airlift finds the cosign
// tags and the referrers fallback tag of an unchanged image: what a resync carrying signatures
// must ask), N images at a time, over keep-alive connections (node:http, nothing to import beyond
// node's own modules).
//   node head-loop.mjs JOB.json   where JOB = {src, dest, prefix, concurrency, perRegistry, tags, images: [{name, tag}]}
// (concurrency: images at a time; perRegistry: requests in flight per registry, as airlift's limit)
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { ACCEPT } from './accept.mjs';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const n = job.concurrency;
const agent = new http.Agent({ keepAlive: true, maxSockets: job.perRegistry ?? n });

function request(host, method, path) {
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
}

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
agent.destroy();
if (differ) throw new Error(`${differ} images differ between source and destination`);
