/**
 * A scripted read-only registry on 127.0.0.1 serving fixed images, where
 * chosen blobs are slow in ways a real registry only is on a bad day:
 *
 * - `trickle`: headers at once, the first `fastBytes` of the body, then
 *   `bytesPerTick` bytes every `tickMs` (a link that never quite dies);
 * - `hang`:    the request is read and never answered (no headers at all).
 *
 * Everything else (/v2/, manifests by tag or digest, other blobs) answers at
 * once. Connections are destroyed by close(), so no trickle outlives a test.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { sha256Digest as sha } from '../helpers/digest.js';

export type SlowMode = { kind: 'trickle'; fastBytes?: number; bytesPerTick: number; tickMs: number } | { kind: 'hang' };

export interface SlowImage {
  /** Repository, e.g. "team/app". */
  repo: string;
  tag: string;
  manifest: Buffer;
  mediaType: string;
  /** digest → bytes, every blob the manifest names. */
  blobs: Map<string, Buffer>;
}

export interface SlowRegistry {
  /** "127.0.0.1:PORT" */
  host: string;
  /** Blob digest → how it is served (set before or between runs). */
  slow: Map<string, SlowMode>;
  /** Blob GETs received, by digest. */
  blobRequests(): string[];
  close(): Promise<void>;
}

export async function startSlowRegistry(images: SlowImage[]): Promise<SlowRegistry> {
  const slow = new Map<string, SlowMode>();
  const requests: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://slow.invalid');
    const head = req.method === 'HEAD';
    req.resume();
    const json = (status: number, body: unknown): void => {
      const b = Buffer.from(JSON.stringify(body));
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(b.length), 'docker-distribution-api-version': 'registry/2.0' });
      res.end(head ? undefined : b);
    };
    if (url.pathname === '/v2/' || url.pathname === '/v2') return json(200, {});
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    const img = m ? images.find((i) => i.repo === m[1]) : undefined;
    if (!m || !img) return json(404, { errors: [{ code: 'NAME_UNKNOWN', message: url.pathname }] });
    const ref = decodeURIComponent(m[3]!);
    if (m[2] === 'manifests') {
      if (ref !== img.tag && ref !== sha(img.manifest)) return json(404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: ref }] });
      res.writeHead(200, { 'content-type': img.mediaType, 'content-length': String(img.manifest.length), 'docker-content-digest': sha(img.manifest) });
      res.end(head ? undefined : img.manifest);
      return;
    }
    const blob = img.blobs.get(ref);
    if (!blob) return json(404, { errors: [{ code: 'BLOB_UNKNOWN', message: ref }] });
    const mode = slow.get(ref);
    if (!head) requests.push(ref);
    if (!head && mode?.kind === 'hang') return; // never answered
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(blob.length), 'docker-content-digest': ref });
    if (head) return void res.end();
    if (mode?.kind !== 'trickle') return void res.end(blob);
    let pos = Math.min(mode.fastBytes ?? 0, blob.length);
    if (pos > 0) res.write(blob.subarray(0, pos));
    const t = setInterval(() => {
      if (res.destroyed || pos >= blob.length) {
        clearInterval(t);
        timers.delete(t);
        if (!res.destroyed) res.end();
        return;
      }
      const next = Math.min(pos + mode.bytesPerTick, blob.length);
      res.write(blob.subarray(pos, next));
      pos = next;
    }, mode.tickMs);
    timers.add(t);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    slow,
    blobRequests: () => [...requests],
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearInterval(t);
        timers.clear();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
