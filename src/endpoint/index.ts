/**
 * The transport map: `docker://REF`, `oci:DIR[:REF]`, `oci-archive:FILE[:REF]` and
 * `docker-archive:FILE[:REF]` (read only: what docker save and podman save write),
 * parsed like skopeo (the path ends at the first colon after the transport;
 * the rest is the image reference inside the layout), and opened as an
 * ImageSource or ImageDestination.
 *
 * Inside a layout, REF is the ref name: `docker.io/library/nginx:1.25` is
 * repo `docker.io/library/nginx` + tag `1.25`; a bare `1.25` is a plain tag
 * ref name (repo ''), as `skopeo copy … oci:DIR:1.25` writes it.
 */
import { UsageError } from '../errors.js';
import { splitRefName } from '../layout/index-json.js';
import type { Writable } from 'node:stream';
import { parseReference } from '../reference/index.js';
import { dockerArchiveImage, openDockerArchiveSource } from './docker-archive.js';
import { openOciArchiveDestination, openOciArchiveSource } from './oci-archive.js';
import { openOciDirDestination, openOciDirSource } from './oci-dir.js';
import type { EndpointKind, ImageDestination, ImageSource } from './types.js';

export interface EndpointSpec {
  kind: EndpointKind;
  /** Directory or archive file (oci-dir, oci-archive). */
  path?: string;
  /** The image reference: the whole docker:// reference, or the ref name inside a layout. */
  ref?: string;
}

const TRANSPORTS: ReadonlyArray<[string, EndpointKind]> = [
  ['docker://', 'registry'],
  ['oci-archive:', 'oci-archive'],
  ['docker-archive:', 'docker-archive'],
  ['oci:', 'oci-dir'],
];

const HINT = 'use docker://REGISTRY/REPO:TAG, oci:DIR[:REF], oci-archive:FILE[:REF] or (to read) docker-archive:FILE[:REF]';

export function parseEndpoint(input: string): EndpointSpec {
  for (const [prefix, kind] of TRANSPORTS) {
    if (!input.startsWith(prefix)) continue;
    const rest = input.slice(prefix.length);
    if (kind === 'registry') {
      if (rest === '') throw new UsageError(`${JSON.stringify(input)} names no image`, { hint: HINT });
      return { kind, ref: rest };
    }
    const colon = rest.indexOf(':');
    const p = colon === -1 ? rest : rest.slice(0, colon);
    const ref = colon === -1 ? undefined : rest.slice(colon + 1);
    if (p === '') throw new UsageError(`${JSON.stringify(input)} names no path`, { hint: HINT });
    return ref === undefined || ref === '' ? { kind, path: p } : { kind, path: p, ref };
  }
  const m = /^([a-z][a-z0-9+.-]*):/.exec(input);
  throw new UsageError(
    m ? `unknown transport ${JSON.stringify(m[1])} in ${JSON.stringify(input)}` : `${JSON.stringify(input)} has no transport prefix`,
    { hint: HINT },
  );
}

/** The repo and tag/digest a layout ref names; no ref is '' + '' (the only image of the layout). */
export function layoutImage(ref: string | undefined): { repo: string; reference: string } {
  return ref === undefined || ref === '' ? { repo: '', reference: '' } : splitRefName(ref);
}

/** Builds the registry endpoint for a host; the caller binds its HTTP client (see src/endpoint/registry.ts). */
export type RegistryEndpointFactory = (host: string, role: 'source' | 'destination') => (ImageSource & ImageDestination) | Promise<ImageSource & ImageDestination>;

export interface OpenEndpointOptions {
  /** Needed for docker:// endpoints. */
  registry?: RegistryEndpointFactory;
  /** Where `oci-archive:-` writes the archive (stdout). */
  stdout?: Writable;
  /** The directory the command runs in: `oci-archive:-` is staged under a name made from it. */
  cwd?: string;
}

export interface OpenedSource {
  source: ImageSource;
  repo: string;
  /** Tag or digest; '' for a layout without a ref (its only image). */
  reference: string;
}

export interface OpenedDestination {
  destination: ImageDestination;
  repo: string;
  /** Tag (or digest) to name the image with; undefined when the destination gave none. */
  tag?: string;
}

async function registryFor(spec: EndpointSpec, role: 'source' | 'destination', opts: OpenEndpointOptions): Promise<{ ep: ImageSource & ImageDestination; repo: string; tag?: string; digest?: string }> {
  if (!opts.registry) throw new UsageError('docker:// endpoints are not available here');
  const r = parseReference(spec.ref ?? '');
  const ep = await opts.registry(r.registry, role);
  const out: { ep: ImageSource & ImageDestination; repo: string; tag?: string; digest?: string } = { ep, repo: r.repository };
  if (r.tag !== undefined) out.tag = r.tag;
  if (r.digest !== undefined) out.digest = r.digest;
  return out;
}

export async function openSource(spec: EndpointSpec, opts: OpenEndpointOptions = {}): Promise<OpenedSource> {
  switch (spec.kind) {
    case 'registry': {
      const r = await registryFor(spec, 'source', opts);
      return { source: r.ep, repo: r.repo, reference: r.digest ?? r.tag ?? 'latest' };
    }
    case 'oci-dir':
      return { source: await openOciDirSource(spec.path!), ...layoutImage(spec.ref) };
    case 'oci-archive':
      return { source: await openOciArchiveSource(spec.path!), ...layoutImage(spec.ref) };
    case 'docker-archive': {
      const image = dockerArchiveImage(spec.ref);
      return { source: await openDockerArchiveSource(spec.path!), ...image };
    }
  }
}

export async function openDestination(spec: EndpointSpec, opts: OpenEndpointOptions = {}): Promise<OpenedDestination> {
  const named = (destination: ImageDestination): OpenedDestination => {
    if (spec.ref === undefined || spec.ref === '') return { destination, repo: '' };
    const { repo, reference } = splitRefName(spec.ref);
    return { destination, repo, tag: reference };
  };
  switch (spec.kind) {
    case 'registry': {
      const r = await registryFor(spec, 'destination', opts);
      const out: OpenedDestination = { destination: r.ep, repo: r.repo };
      const tag = r.tag ?? r.digest;
      if (tag !== undefined) out.tag = tag;
      return out;
    }
    case 'oci-dir':
      return named(await openOciDirDestination(spec.path!));
    case 'oci-archive':
      return named(await openOciArchiveDestination(spec.path!, { ...(opts.stdout ? { stdout: opts.stdout } : {}), ...(opts.cwd ? { cwd: opts.cwd } : {}) }));
    case 'docker-archive':
      throw new UsageError(`docker-archive:${spec.path} cannot be written: airlift reads docker archives`, {
        hint: `write oci-archive:${spec.path} instead: it carries a manifest.json, so docker load -i and podman load -i take it`,
      });
  }
}

/** Opens an endpoint string as a source or a destination. */
export async function openEndpoint(input: string, role: 'source', opts?: OpenEndpointOptions): Promise<OpenedSource>;
export async function openEndpoint(input: string, role: 'destination', opts?: OpenEndpointOptions): Promise<OpenedDestination>;
export async function openEndpoint(input: string, role: 'source' | 'destination', opts: OpenEndpointOptions = {}): Promise<OpenedSource | OpenedDestination> {
  const spec = parseEndpoint(input);
  return role === 'source' ? openSource(spec, opts) : openDestination(spec, opts);
}
