/**
 * The read-only registry API over a layout: `/v2/`, manifests by tag and
 * digest, blobs with Range, tags list and catalog (with `n`/`last`), the OCI 1.1
 * referrers API (`/v2/R/referrers/D`, `artifactType` filter) from the bundle's referrer entries, and OCI
 * error bodies. Every write method answers 405 UNSUPPORTED. The bundle's charts are answered as
 * OCI Helm charts (src/serve/charts.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { isDigestRef, parseDigest } from '../digest/index.js';
import { AirliftError } from '../errors.js';
import type { Logger } from '../log.js';
import type { LayoutReader } from '../layout/reader.js';
import { paginate, type Catalog } from './catalog.js';
import type { ServedCharts } from './charts.js';
import { BlobGuard, SERVE_CHUNK } from './verified-blobs.js';
import { ChunkPool } from './chunk-pool.js';
import { MediaType, type BasicDescriptor } from '../oci/types.js';
import { referrersResponse } from '../oci/referrers.js';

const API_HEADER = { 'Docker-Distribution-API-Version': 'registry/2.0' };
const MAX_PAGE = 10000;
/** Read buffers kept for reuse between blobs (64 KiB each: 8 MiB at most). */
const SERVE_POOL_KEEP = 128;

function sendJson(res: ServerResponse, status: number, body: unknown, head: boolean, headers: Record<string, string> = {}): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { ...API_HEADER, 'Content-Type': 'application/json', 'Content-Length': String(bytes.length), ...headers });
  res.end(head ? undefined : bytes);
}

function sendError(res: ServerResponse, status: number, code: string, message: string, head: boolean, headers: Record<string, string> = {}): void {
  sendJson(res, status, { errors: [{ code, message, detail: null }] }, head, headers);
}

function pageParams(url: URL): { n: number | undefined; last: string | undefined } | string {
  const nRaw = url.searchParams.get('n');
  let n: number | undefined;
  if (nRaw !== null) {
    n = Number(nRaw);
    if (!Number.isInteger(n) || n < 0) return `invalid n=${nRaw}`;
    n = Math.min(n, MAX_PAGE);
  }
  return { n, last: url.searchParams.get('last') ?? undefined };
}

function linkHeader(path: string, n: number | undefined, last: string | undefined): Record<string, string> {
  if (n === undefined || last === undefined) return {};
  return { Link: `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"` };
}

/** Parses `bytes=a-b`, `bytes=a-`, `bytes=-n` against a size; 'bad' when unsatisfiable or malformed. */
export function parseRange(header: string, size: number): { start: number; end: number } | 'bad' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'bad';
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'bad';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return 'bad';
  return { start, end };
}

/** A blob held in memory (a chart's config or .tgz), whole or the range asked. */
function sendBuffer(req: IncomingMessage, res: ServerResponse, ref: string, bytes: Buffer, head: boolean): void {
  const base = { ...API_HEADER, 'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': ref, 'Accept-Ranges': 'bytes', ETag: `"${ref}"` };
  const size = bytes.length;
  const range = req.headers.range === undefined ? undefined : parseRange(req.headers.range, size);
  if (range === 'bad') {
    res.writeHead(416, { ...base, 'Content-Range': `bytes */${size}`, 'Content-Length': '0' });
    res.end();
    return;
  }
  if (range) res.writeHead(206, { ...base, 'Content-Length': String(range.end - range.start + 1), 'Content-Range': `bytes ${range.start}-${range.end}/${size}` });
  else res.writeHead(200, { ...base, 'Content-Length': String(size) });
  res.end(head ? undefined : range ? bytes.subarray(range.start, range.end + 1) : bytes);
}

/** `charts`: the bundle's charts as OCI Helm charts (their manifests and blobs are answered from memory). */
export function createHandler(reader: LayoutReader, catalog: Catalog, logger?: Logger, charts?: ServedCharts) {
  const guard = new BlobGuard(reader, logger);
  const pool = new ChunkPool(SERVE_CHUNK, SERVE_POOL_KEEP);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://serve.invalid');
    } catch {
      sendError(res, 400, 'UNSUPPORTED', 'malformed request URL', head);
      return;
    }
    const p = url.pathname;
    try {
      if (!p.startsWith('/v2')) {
        sendError(res, 404, 'NOT_FOUND', `no route for ${p}; this is a registry API (/v2/)`, head);
        return;
      }
      if (method !== 'GET' && method !== 'HEAD') {
        sendError(res, 405, 'UNSUPPORTED', `${method} is not supported: airlift serve is a read-only registry`, false, { Allow: 'GET, HEAD' });
        return;
      }
      if (p === '/v2' || p === '/v2/') {
        sendJson(res, 200, {}, head);
        return;
      }
      if (p === '/v2/_catalog') {
        const pp = pageParams(url);
        if (typeof pp === 'string') return sendError(res, 400, 'PAGINATION_NUMBER_INVALID', pp, head);
        const { page, more } = paginate([...catalog.repositories.keys()], pp.n, pp.last);
        sendJson(res, 200, { repositories: page }, head, more ? linkHeader('/v2/_catalog', pp.n, page[page.length - 1]) : {});
        return;
      }
      let m = /^\/v2\/(.+)\/tags\/list$/.exec(p);
      if (m) {
        const name = decodeURIComponent(m[1]!);
        const repo = catalog.repositories.get(name);
        if (!repo) return sendError(res, 404, 'NAME_UNKNOWN', `repository ${name} is not in this bundle`, head);
        const pp = pageParams(url);
        if (typeof pp === 'string') return sendError(res, 400, 'PAGINATION_NUMBER_INVALID', pp, head);
        const { page, more } = paginate([...repo.tags.keys()], pp.n, pp.last);
        sendJson(res, 200, { name, tags: page }, head, more ? linkHeader(`/v2/${name}/tags/list`, pp.n, page[page.length - 1]) : {});
        return;
      }
      m = /^\/v2\/(.+)\/referrers\/([^/]+)$/.exec(p);
      if (m) {
        // the OCI 1.1 referrers API: an image index of the referrers' descriptors, artifactType applied
        const name = decodeURIComponent(m[1]!);
        const digest = decodeURIComponent(m[2]!);
        try {
          parseDigest(digest);
        } catch (err) {
          return sendError(res, 400, 'DIGEST_INVALID', (err as Error).message, head);
        }
        const repo = catalog.repositories.get(name);
        if (!repo) return sendError(res, 404, 'NAME_UNKNOWN', `repository ${name} is not in this bundle`, head);
        const artifactType = url.searchParams.get('artifactType') ?? undefined;
        const bytes = referrersResponse(repo.referrers.get(digest) ?? [], artifactType);
        res.writeHead(200, {
          ...API_HEADER,
          'Content-Type': MediaType.OciIndex,
          'Content-Length': String(bytes.byteLength),
          ...(artifactType !== undefined ? { 'OCI-Filters-Applied': 'artifactType' } : {}),
        });
        res.end(head ? undefined : Buffer.from(bytes));
        return;
      }
      m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(p);
      if (!m) return sendError(res, 404, 'NOT_FOUND', `no route for ${p}`, head);
      const name = decodeURIComponent(m[1]!);
      const ref = decodeURIComponent(m[3]!);
      const repo = catalog.repositories.get(name);
      if (!repo) return sendError(res, 404, 'NAME_UNKNOWN', `repository ${name} is not in this bundle`, head);
      if (m[2] === 'manifests') {
        let found: BasicDescriptor | undefined;
        if (isDigestRef(ref)) {
          try {
            parseDigest(ref);
          } catch (err) {
            return sendError(res, 400, 'DIGEST_INVALID', (err as Error).message, head);
          }
          const chart = charts?.manifest(ref);
          found = chart ? { digest: chart.digest, mediaType: chart.mediaType, size: chart.bytes.byteLength } : await reader.resolveManifest('', ref);
        } else {
          const d = repo.tags.get(ref);
          if (d) found = { digest: d.digest, mediaType: d.mediaType, size: d.size };
        }
        if (!found) return sendError(res, 404, 'MANIFEST_UNKNOWN', `manifest ${name}${isDigestRef(ref) ? '@' : ':'}${ref} is not in this bundle`, head);
        const manifest = charts?.manifest(found.digest) ?? (await reader.readManifest(found));
        res.writeHead(200, {
          ...API_HEADER,
          'Content-Type': found.mediaType,
          'Content-Length': String(manifest.bytes.byteLength),
          'Docker-Content-Digest': found.digest,
          ETag: `"${found.digest}"`,
        });
        res.end(head ? undefined : Buffer.from(manifest.bytes));
        return;
      }
      try {
        parseDigest(ref);
      } catch (err) {
        return sendError(res, 400, 'DIGEST_INVALID', (err as Error).message, head);
      }
      const size = await reader.blobSize(ref);
      const inMemory = size === undefined ? charts?.blob(ref) : undefined;
      if (inMemory) return sendBuffer(req, res, ref, inMemory, head);
      if (size === undefined) return sendError(res, 404, 'BLOB_UNKNOWN', `blob ${ref} is not in this bundle`, head);
      const refused = await guard.refused(ref);
      if (refused !== undefined) return sendError(res, 500, 'UNKNOWN', refused, head);
      const base = { ...API_HEADER, 'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': ref, 'Accept-Ranges': 'bytes', ETag: `"${ref}"` };
      const rangeHeader = req.headers.range;
      let range: { start: number; end: number } | undefined;
      if (rangeHeader !== undefined) {
        const r = parseRange(rangeHeader, size);
        if (r === 'bad') {
          res.writeHead(416, { ...base, 'Content-Range': `bytes */${size}`, 'Content-Length': '0' });
          res.end();
          return;
        }
        range = r;
        // A part of a blob cannot be checked on its own: serve it only from a blob verified whole.
        if (!head) await guard.ensureVerified(ref, size);
      }
      if (range) {
        res.writeHead(206, { ...base, 'Content-Length': String(range.end - range.start + 1), 'Content-Range': `bytes ${range.start}-${range.end}/${size}` });
      } else {
        res.writeHead(200, { ...base, 'Content-Length': String(size) });
      }
      if (head || size === 0) {
        res.end();
        return;
      }
      if (range) {
        await pipeline(await reader.openBlob({ digest: ref, size }, range, { chunk: SERVE_CHUNK }), res);
      } else {
        const body = await reader.openBlob({ digest: ref, size }, undefined, { chunk: SERVE_CHUNK, alloc: (n) => pool.take(n), readAhead: 0 });
        await guard.send(ref, size, body, res, pool);
      }
    } catch (err) {
      logger?.log('warn', `serve: ${method} ${p}: ${err instanceof Error ? err.message : String(err)}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status = err instanceof AirliftError && err.code === 'E_TOO_LARGE' ? 404 : 500;
      const code = status === 404 ? 'MANIFEST_UNKNOWN' : 'UNKNOWN';
      sendError(res, status, code, err instanceof Error ? err.message : String(err), head);
    }
  };
}
