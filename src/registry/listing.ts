/** Tag listing with Link pagination, and the referrers API with the tag-schema fallback. */
import { RegistryError } from '../errors.js';
import { MediaType, type Descriptor, type ImageIndex } from '../oci/types.js';
import { parseDigest } from '../digest/index.js';
import { repoScope } from './challenge.js';
import { readCapped } from './errors.js';
import { nextLink } from './link.js';
import { getManifest } from './manifests.js';
import type { Requester } from './request.js';
import { header } from './transport.js';

const LIST_CAP = 16 * 1024 * 1024;
const MAX_PAGES = 10_000;

export async function listTags(r: Requester, host: string, repo: string, o: { signal?: AbortSignal; pageSize?: number } = {}): Promise<string[]> {
  const tags: string[] = [];
  let path: string | undefined = `/v2/${repo}/tags/list${o.pageSize ? `?n=${o.pageSize}` : ''}`;
  for (let page = 0; path && page < MAX_PAGES; page++) {
    const { res, url } = await r.request({
      method: 'GET',
      host,
      path,
      scopes: [repoScope(repo, 'pull')],
      accept: [200],
      what: `tags of ${host}/${repo}`,
      signal: o.signal,
      gather: LIST_CAP + 1,
    });
    const { bytes, truncated } = await readCapped(res.body, LIST_CAP);
    if (truncated) throw new RegistryError({ status: 200, method: 'GET', url, message: `the tag list of ${host}/${repo} is larger than ${LIST_CAP} bytes per page` });
    let data: { tags?: unknown };
    try {
      data = JSON.parse(bytes.toString('utf8')) as { tags?: unknown };
    } catch {
      throw new RegistryError({ status: 200, method: 'GET', url, message: `${host} answered the tag list of ${repo} with something that is not JSON` });
    }
    if (Array.isArray(data.tags)) for (const t of data.tags) if (typeof t === 'string') tags.push(t);
    const next = nextLink(res.headers.link, url);
    path = next && new URL(next).origin === new URL(url).origin ? next : undefined;
  }
  return tags;
}

/** The tag the OCI 1.1 fallback schema uses for referrers of `digest`: "sha256-<hex>". */
export function referrersTag(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm}-${hex}`.slice(0, 128);
}

export interface ReferrersResult {
  index: ImageIndex;
  /** "api" when the registry implements the referrers API, "tag" for the fallback schema. */
  via: 'api' | 'tag';
}

/** Manifests whose subject is `digest`; an empty index when there are none. */
export async function referrers(
  r: Requester,
  host: string,
  repo: string,
  digest: string,
  o: { signal?: AbortSignal; artifactType?: string } = {},
): Promise<ReferrersResult> {
  parseDigest(digest);
  const q = o.artifactType ? `?artifactType=${encodeURIComponent(o.artifactType)}` : '';
  const { res, url } = await r.request({
    method: 'GET',
    host,
    path: `/v2/${repo}/referrers/${digest}${q}`,
    scopes: [repoScope(repo, 'pull')],
    headers: { accept: MediaType.OciIndex },
    accept: [200, 404],
    what: `referrers of ${host}/${repo}@${digest}`,
    signal: o.signal,
  });
  const ct = header(res, 'content-type')?.split(';')[0]?.trim();
  if (res.statusCode === 200 && ct === MediaType.OciIndex) {
    const { bytes, truncated } = await readCapped(res.body, 4 * 1024 * 1024);
    if (truncated) throw new RegistryError({ status: 200, method: 'GET', url, message: `the referrers list of ${repo}@${digest} is too large` });
    const index = JSON.parse(bytes.toString('utf8')) as ImageIndex;
    return { index: filterType(index, o.artifactType, header(res, 'oci-filters-applied')), via: 'api' };
  }
  await res.body.dump();
  // Fallback: the referrers tag schema.
  const empty: ImageIndex = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
  const tag = referrersTag(digest);
  try {
    const m = await getManifest(r, host, repo, tag, o);
    const index = JSON.parse(Buffer.from(m.bytes).toString('utf8')) as ImageIndex;
    if (!Array.isArray(index.manifests)) return { index: empty, via: 'tag' };
    return { index: filterType(index, o.artifactType, undefined), via: 'tag' };
  } catch (err) {
    if ((err as { code?: string }).code === 'E_NOT_FOUND') return { index: empty, via: 'tag' };
    throw err;
  }
}

function filterType(index: ImageIndex, artifactType: string | undefined, applied: string | undefined): ImageIndex {
  if (!artifactType || applied?.includes('artifactType')) return index;
  return { ...index, manifests: (index.manifests ?? []).filter((d: Descriptor) => d.artifactType === artifactType) };
}
