/**
 * The raw floor: every distinct blob (configs and layers) moved once to the
 * destination with curl, 8 pipes in parallel, no client-side hashing. Each
 * blob is one POST (upload URL) and one monolithic PUT, streamed from the
 * source registry (`curl GET | curl PUT`) or from a blob file of a layout.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { GeneratedImage } from '../../fixtures/images/generate.js';
import { measure, type Measured } from './proc.js';

export interface FloorBlob {
  digest: string;
  size: number;
  /** Source repository that holds the blob. */
  repo: string;
  /** A manifest or index, read from /manifests/ with this media type (the save floor). */
  manifest?: string;
}

/** Every distinct manifest and index of the images (what a bundle holds besides the blobs). */
export function distinctManifests(images: GeneratedImage[]): FloorBlob[] {
  const out = new Map<string, FloorBlob>();
  for (const img of images) {
    for (const d of [img.descriptor, ...img.manifests.map((m) => m.descriptor)]) {
      if (!out.has(d.digest)) out.set(d.digest, { digest: d.digest, size: d.size, repo: img.name, manifest: d.mediaType });
    }
  }
  return [...out.values()];
}

/** Distinct config and layer blobs of the images, each with one repository that holds it. */
export function distinctBlobs(images: GeneratedImage[]): FloorBlob[] {
  const out = new Map<string, FloorBlob>();
  for (const img of images) {
    for (const m of img.manifests) {
      for (const d of [m.config, ...m.layers]) {
        if (!out.has(d.digest)) out.set(d.digest, { digest: d.digest, size: d.size, repo: img.name });
      }
    }
  }
  return [...out.values()];
}

const SCRIPT = `set -eu -o pipefail
loc=$(curl -sS -f -o /dev/null -D - -X POST "$DEST/v2/$DREPO/blobs/uploads/" | tr -d '\\r' | sed -n 's/^[Ll]ocation: *//p')
case "$loc" in http*) ;; *) loc="$DEST$loc" ;; esac
case "$loc" in *\\?*) sep='&' ;; *) sep='?' ;; esac
if [ -n "\${FILE:-}" ]; then
  curl -sS -f -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' -T "$FILE" "$loc\${sep}digest=$DIGEST"
else
  curl -sS -f "$SRC/v2/$SREPO/blobs/$DIGEST" | curl -sS -f -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' -T - "$loc\${sep}digest=$DIGEST"
fi
`;

function runOne(env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', SCRIPT], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`floor upload of ${env.DIGEST} failed (${code}): ${err.trim()}`))));
  });
}

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

export interface FloorTarget {
  /** "http://127.0.0.1:PORT" */
  destUrl: string;
  /** Repository prefix at the destination. */
  prefix: string;
  parallel?: number;
}

/** Registry → registry: `curl GET | curl PUT` per blob. */
export function floorSync(srcUrl: string, blobs: FloorBlob[], t: FloorTarget): Promise<void> {
  return pool(blobs, t.parallel ?? 8, (b) =>
    runOne({ SRC: srcUrl, SREPO: b.repo, DEST: t.destUrl, DREPO: `${t.prefix}/${b.repo}`, DIGEST: b.digest }),
  );
}

/** Layout blob files → registry: `curl -T FILE` per blob. */
export function floorLoad(layoutDir: string, blobs: FloorBlob[], t: FloorTarget): Promise<void> {
  return pool(blobs, t.parallel ?? 8, (b) =>
    runOne({
      FILE: path.join(layoutDir, 'blobs', 'sha256', b.digest.slice('sha256:'.length)),
      DEST: t.destUrl,
      DREPO: `${t.prefix}/${b.repo}`,
      DIGEST: b.digest,
    }),
  );
}

const CLIENTS = path.join(import.meta.dirname, 'clients');

/** How the HEAD-loop floor runs: airlift's own concurrency (images at a time, requests per registry). */
export interface HeadLoopOpts {
  /** Images at a time (airlift: 2 × --concurrency, 16). */
  concurrency: number;
  /** Requests in flight per registry (airlift: 2 × --concurrency, 16). */
  perRegistry: number;
  /** One tag list per source repository too (what a resync carrying signatures asks, #20). */
  tags: boolean;
  /** 'http' (default): node:http's Agent; 'undici': an undici Pool per registry, sent with dispatch(). */
  client?: 'http' | 'undici';
  /** With client 'undici': requests in flight per connection (HTTP/1.1 pipelining; 1: none). */
  pipelining?: number;
  /** With client 'undici': connections per registry (default perRegistry). */
  connections?: number;
}

/** airlift's defaults with --concurrency 8: 16 images at a time, 16 requests per registry. */
export const AIRLIFT_RESYNC_CONCURRENCY = { concurrency: 16, perRegistry: 16 };

/**
 * The floor of a no-op resync: the requests airlift makes for an unchanged image (HEAD of the
 * source manifest and of the destination manifest, sent together; with `tags`, one tag list per
 * source repository), with node:http keep-alive connections at airlift's concurrency, in its own
 * node process (clients/head-loop.mjs).
 */
export async function floorHeadLoop(work: string, src: string, dest: string, prefix: string, images: GeneratedImage[], o: HeadLoopOpts): Promise<Measured> {
  const file = path.join(work, `head-loop-${images.length}-${o.tags ? 'tags' : 'bare'}-${o.client ?? 'http'}-${o.pipelining ?? 1}-${o.connections ?? o.perRegistry}.json`);
  await writeFile(file, JSON.stringify({ src, dest, prefix, ...o, images: images.map((i) => ({ name: i.name, tag: i.tag })) }));
  return measure(process.execPath, [path.join(CLIENTS, 'head-loop.mjs'), file]);
}

/** What the floor row says it did. */
export function headLoopWhat(o: HeadLoopOpts): string {
  return `2 HEAD per image (source and destination together)${o.tags ? ' + 1 tag list per source repository' : ''}, node:http keep-alive, ${o.concurrency} images at a time, ≤ ${o.perRegistry} requests per registry`;
}

/** What the sync-many row's floor column did (clients/sync-node.mjs). */
export const SYNC_NODE_WHAT = 'bare Node client (clients/sync-node.mjs, node:http keep-alive): airlift\'s requests of the sync and nothing else (per image a tag list, 2 manifest requests and a manifest PUT; per blob HEAD, GET with one sha256, POST and PUT), 16 images at a time';

/**
 * The bare Node client of a sync (clients/sync-node.mjs): the requests airlift's sync of new images
 * makes, with nothing else around them (no plan, no checks but the blob digests, no progress),
 * over node:http keep-alive connections, in its own node process.
 */
export function floorSyncNode(src: string, dest: string, prefix: string, images: GeneratedImage[]): Promise<Measured> {
  return measure(process.execPath, [path.join(CLIENTS, 'sync-node.mjs'), 'http', src, dest, prefix, ...images.map((i) => `${i.name}:${i.tag}`)]);
}

/**
 * The floor of save: every distinct blob, manifest and index read from the registry and
 * written into one tar file at its precomputed offset, 8 at a time (clients/save-floor.mjs),
 * no hashing; with `tags`, one tag list per source repository too (what a save carrying
 * signatures must ask, as the no-op resync's floor; without: the floor of `save --no-referrers`).
 */
export async function floorSave(work: string, src: string, blobs: FloorBlob[], out: string, tags: boolean, concurrency = 8): Promise<Measured> {
  const file = path.join(work, `save-floor-${blobs.length}-${tags ? 'tags' : 'bare'}.json`);
  await writeFile(file, JSON.stringify({ src, out, concurrency, tags, blobs }));
  return measure(process.execPath, [path.join(CLIENTS, 'save-floor.mjs'), file]);
}

/** What the save floor's row says it did. */
export function saveFloorWhat(blobs: FloorBlob[], tags: boolean): string {
  const repos = new Set(blobs.map((b) => b.repo)).size;
  return `${blobs.length} blobs, manifests and indexes GET into one tar at known offsets${tags ? ` + ${repos} tag lists (1 per source repository)` : ''}, node:http ×8`;
}

/** One curl process making `requests` in order (`--next` between them), each failing the run on an HTTP error. */
function curlSequence(requests: string[][], what: string): Promise<void> {
  const args = ['--fail-early', ...requests.flatMap((r, i) => [...(i ? ['--next'] : []), '-sS', '-f', '-o', '/dev/null', ...r])];
  return new Promise((resolve, reject) => {
    const child = spawn('curl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`floor: ${what} failed (${code}): ${err.trim()}`))));
  });
}

/**
 * What a load does besides moving each distinct blob once, so that every image can be pulled:
 * per image (8 at a time, after every blob is in), one curl process that mounts each blob the
 * floor put into another repository (POST ?mount=&from=, 201) and then PUTs the image's
 * manifests from the layout's blob files, an index's children before the index (tagged).
 * `blobs` are the ones floorLoad moved, each into its own `repo`.
 */
export function floorImages(layoutDir: string, images: GeneratedImage[], blobs: FloorBlob[], t: FloorTarget): Promise<void> {
  const home = new Map(blobs.map((b) => [b.digest, `${t.prefix}/${b.repo}`]));
  const file = (digest: string): string => path.join(layoutDir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  return pool(images, t.parallel ?? 8, (img) => {
    const repo = `${t.prefix}/${img.name}`;
    const requests: string[][] = [];
    const mounted = new Set<string>();
    for (const m of img.manifests) {
      for (const d of [m.config, ...m.layers]) {
        const from = home.get(d.digest);
        if (from === undefined || from === repo || mounted.has(d.digest)) continue;
        mounted.add(d.digest);
        requests.push(['-X', 'POST', `${t.destUrl}/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(d.digest)}&from=${encodeURIComponent(from)}`]);
      }
    }
    const put = (d: { digest: string; mediaType: string }, ref: string): string[] => ['-X', 'PUT', '-H', `Content-Type: ${d.mediaType}`, '--data-binary', `@${file(d.digest)}`, `${t.destUrl}/v2/${repo}/manifests/${ref}`];
    if (img.manifests.length > 1 || img.manifests[0]!.descriptor.digest !== img.descriptor.digest) {
      for (const m of img.manifests) requests.push(put(m.descriptor, m.descriptor.digest));
    }
    requests.push(put(img.descriptor, img.tag));
    return curlSequence(requests, `mounts and manifests of ${repo}`);
  });
}

/**
 * CPU seconds (user + system) of this process's children that have ended (`cutime` + `cstime` of
 * /proc/self/stat): around a floor made of curl processes, their CPU. Registries started by the
 * bench are children too, but they are only counted once stopped (after the side).
 */
export function endedChildrenCpu(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}
