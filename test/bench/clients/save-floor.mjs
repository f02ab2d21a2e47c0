// The floor of save: every distinct blob, manifest and index GET from the registry and written
// into one tar file (blobs/sha256/HEX entries), N at a time over keep-alive
// connections (node:http); each entry's offset is known from the sizes, so the writes go
// straight to their place (positional writes, no second copy, no hashing).
// With `tags`, also one `GET /v2/<repo>/tags/list` per source repository (read and dropped), each
// sent in the same queue just before that repository's first read: the request where a save carrying
// signatures and other referrers finds an image's cosign tags and referrers fallback tag (#20), as
// the no-op resync's floor (head-loop.mjs) sends it.
//   node save-floor.mjs JOB.json   where JOB = {src, out, concurrency, tags?: boolean, blobs: [{repo, digest, size, manifest?: mediaType}]}
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import http from 'node:http';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));

function header(name, size) {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

let offset = 0;
const entries = job.blobs.map((b) => {
  const e = { ...b, at: offset };
  offset += 512 + Math.ceil(b.size / 512) * 512;
  return e;
});
const total = offset + 1024;
const fh = await open(job.out, 'w');
await fh.truncate(total);
const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
const [hostname, port] = job.src.split(':');
const get = (path, accept) =>
  new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path, agent, headers: accept ? { accept } : {} }, resolve);
    req.on('error', reject);
    req.end();
  });
// the queue: every entry, and with `tags` a tag list before each repository's first entry
const queue = [];
const listed = new Set();
for (const e of entries) {
  if (job.tags && !listed.has(e.repo)) {
    listed.add(e.repo);
    queue.push({ tags: e.repo });
  }
  queue.push(e);
}
let next = 0;
await Promise.all(
  Array.from({ length: job.concurrency }, async () => {
    while (next < queue.length) {
      const e = queue[next++];
      if (e.tags) {
        const res = await get(`/v2/${e.tags}/tags/list`);
        res.resume();
        await new Promise((resolve, reject) => res.on('end', resolve).on('error', reject));
        if (res.statusCode !== 200) throw new Error(`GET /v2/${e.tags}/tags/list: ${res.statusCode}`);
        continue;
      }
      await fh.write(header(`blobs/sha256/${e.digest.slice(7)}`, e.size), 0, 512, e.at);
      const res = await get(`/v2/${e.repo}/${e.manifest ? 'manifests' : 'blobs'}/${e.digest}`, e.manifest);
      if (res.statusCode !== 200) throw new Error(`GET ${e.digest}: ${res.statusCode}`);
      let pos = e.at + 512;
      for await (const chunk of res) {
        await fh.write(chunk, 0, chunk.length, pos);
        pos += chunk.length;
      }
      if (pos - e.at - 512 !== e.size) throw new Error(`${e.digest}: ${pos - e.at - 512} bytes, expected ${e.size}`);
    }
  }),
);
agent.destroy();
await fh.close();
