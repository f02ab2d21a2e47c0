/**
 * Charts from an OCI registry, as `helm push` stores them: a manifest whose config is
 * `application/vnd.cncf.helm.config.v1+json`, one chart layer
 * (`application/vnd.cncf.helm.chart.content.v1.tar+gzip`, or the older `application/tar+gzip`)
 * and optionally a provenance layer. Versions come from the tags list (helm writes `+` as `_`).
 * The manifest digest is checked by the registry client, each layer against its descriptor.
 */
import { MAX_CHART_BYTES } from '../../bundle/charts.js';
import { InputError, NotFoundError, TooLargeError, UnsupportedError, toAirliftError } from '../../errors.js';
import { sha256 } from '../../digest/index.js';
import { MediaType, type Descriptor } from '../../oci/types.js';
import type { RegistryClient } from '../../registry/client.js';
import { chooseVersion, isExactVersion } from './version.js';
import type { FetchedChart } from './types.js';

export const HELM_PROV_MEDIA_TYPE = 'application/vnd.cncf.helm.chart.provenance.v1.prov';
const LEGACY_CHART_LAYER = 'application/tar+gzip';

export interface OciChartRef {
  /** host[:port] */
  host: string;
  /** repository path, the chart name last */
  repo: string;
  chart: string;
}

/** Splits 'oci://HOST/PATH/CHART' (a tag or digest after the chart is refused: the version goes to --version). */
export function parseOciChartRef(ref: string): OciChartRef {
  const m = /^oci:\/\/([^/]+)\/(.+)$/i.exec(ref.trim());
  if (!m) throw new InputError(`${JSON.stringify(ref)} is not an OCI chart reference`, { hint: 'write oci://HOST/PATH/CHART, e.g. oci://registry.example.com/charts/app' });
  const host = m[1]!;
  const repo = m[2]!.replace(/\/+$/, '');
  if (/[:@]/.test(repo)) {
    throw new InputError(`${JSON.stringify(ref)}: give the chart's version with --version (or version: in airlift.yaml), not after the chart name`, {
      hint: `write ${`oci://${host}/${repo.replace(/[:@].*$/, '')}`} --version ${repo.replace(/^[^:@]*[:@]/, '')}`,
    });
  }
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repo)) {
    throw new InputError(`${JSON.stringify(ref)}: ${repo} is not a valid repository path (lowercase letters, digits, . _ - and /)`);
  }
  return { host, repo, chart: repo.slice(repo.lastIndexOf('/') + 1) };
}

async function readAll(stream: AsyncIterable<unknown>, max: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    n += (c as Buffer).length;
    if (n > max) throw new TooLargeError(`${what} is over ${max} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function fetchOciChart(
  client: RegistryClient,
  ref: OciChartRef,
  version: string | undefined,
  signal?: AbortSignal,
  downloads?: Map<string, Promise<FetchedChart>>,
): Promise<FetchedChart> {
  const where = `oci://${ref.host}/${ref.repo}`;
  let tag: string | undefined;
  if (version && isExactVersion(version)) {
    const direct = version.trim().replace(/\+/g, '_');
    const head = await client.headManifest(ref.host, ref.repo, direct, { ...(signal ? { signal } : {}) }).catch((err) => {
      if (toAirliftError(err).code === 'E_NOT_FOUND') return undefined;
      throw err;
    });
    if (head) tag = direct;
  }
  if (!tag) {
    let tags: string[];
    try {
      tags = await client.listTags(ref.host, ref.repo, { ...(signal ? { signal } : {}) });
    } catch (err) {
      const e = toAirliftError(err);
      if (e.code === 'E_NOT_FOUND') throw new NotFoundError(`chart ${where}: the registry has no such repository (${e.message})`, { hint: 'check the host and path of the oci:// reference (helm push prints where it pushed)' });
      throw e;
    }
    const versions = tags.map((t) => t.replace(/_/g, '+'));
    let choice;
    try {
      choice = chooseVersion(versions, version);
    } catch (err) {
      throw new InputError(`--version ${JSON.stringify(version)} for chart ${where}: ${(err as Error).message}`, { hint: 'give an exact version (1.2.3) or a range as helm takes it (1.2.x, ^1.2, >=1.2, <2)' });
    }
    if (!choice.chosen) {
      throw new NotFoundError(
        `chart ${where}: no tag matches ${version ? `version ${JSON.stringify(version)}` : 'a release version'}; ${tags.length ? `nearest: ${choice.nearest.join(', ') || 'none'}` : 'the repository has no tags'}`,
        { hint: 'pick one of the versions listed, or widen the range' },
      );
    }
    tag = tags[versions.indexOf(choice.chosen)]!;
  }
  // A chart reached by two requests (a range and its version) is pulled once.
  const key = `${where}:${tag}`;
  const cached = downloads?.get(key);
  if (cached) return cached;
  const p = pull(client, ref, tag, signal);
  downloads?.set(key, p);
  p.catch(() => downloads?.delete(key));
  return p;
}

async function pull(client: RegistryClient, ref: OciChartRef, tag: string, signal: AbortSignal | undefined): Promise<FetchedChart> {
  const where = `oci://${ref.host}/${ref.repo}`;
  const manifest = await client.getManifest(ref.host, ref.repo, tag, { ...(signal ? { signal } : {}) });
  const what = `chart ${where}:${tag}`;
  let body: { config?: Descriptor; layers?: Descriptor[]; mediaType?: string };
  try {
    body = JSON.parse(Buffer.from(manifest.bytes).toString('utf8')) as typeof body;
  } catch {
    throw new UnsupportedError(`${what}: the manifest is not JSON`);
  }
  if (!body.config || body.config.mediaType !== MediaType.HelmConfig || !Array.isArray(body.layers)) {
    throw new UnsupportedError(`${what} is not a Helm chart (its manifest is ${manifest.mediaType} with config ${body.config?.mediaType ?? 'none'}, not ${MediaType.HelmConfig})`, {
      hint: 'the reference names an image or another artifact; charts are pushed with helm push',
    });
  }
  const layer = body.layers.find((l) => l.mediaType === MediaType.HelmChartContent) ?? body.layers.find((l) => l.mediaType === LEGACY_CHART_LAYER);
  if (!layer) throw new UnsupportedError(`${what} has no chart layer (${MediaType.HelmChartContent})`);
  if (layer.size > MAX_CHART_BYTES) throw new TooLargeError(`${what}: the chart layer is ${layer.size} bytes, over ${MAX_CHART_BYTES}`);
  const o = signal ? { signal } : {};
  const tgz = await readAll(await client.getBlobVerified(ref.host, ref.repo, layer, o), MAX_CHART_BYTES, what);
  const provLayer = body.layers.find((l) => l.mediaType === HELM_PROV_MEDIA_TYPE);
  const prov = provLayer && provLayer.size <= 1024 * 1024 ? await readAll(await client.getBlobVerified(ref.host, ref.repo, provLayer, o), 1024 * 1024, `${what} provenance`) : undefined;
  const configBytes = await readAll(await client.getBlobVerified(ref.host, ref.repo, body.config, o), 1024 * 1024, `${what} config`);
  let meta: { name?: unknown; version?: unknown } = {};
  try {
    meta = JSON.parse(configBytes.toString('utf8')) as typeof meta;
  } catch {
    /* the version from the tag stands */
  }
  return {
    name: typeof meta.name === 'string' ? meta.name : ref.chart,
    version: typeof meta.version === 'string' ? meta.version : tag.replace(/_/g, '+'),
    tgz,
    sha256: sha256(tgz),
    source: `${where}:${tag}`,
    digest: manifest.digest,
    ...(prov ? { prov } : {}),
  };
}
