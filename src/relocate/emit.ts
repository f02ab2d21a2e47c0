/**
 * Runtime-level redirection (pure), for clusters that rewrite pulls in the
 * container runtime instead of in values: containerd `hosts.toml` files (one
 * per source registry, `certs.d/<host>/hosts.toml`) and a CRI-O/podman
 * `registries.conf` with one `[[registry]]` + `[[registry.mirror]]` per
 * source registry. Both keep the repository path, so they express the
 * default and preserve-registry mappings; flatten drops path components and
 * cannot be expressed as a prefix mirror.
 */
import { UnsupportedError } from '../errors.js';
import { formatTarget, registryPathComponent, type MappingMode, type Target } from '../mapping/index.js';

export interface EmitOptions {
  target: Target;
  mode: MappingMode;
  /** Source registry hosts ("docker.io", "quay.io", ...). */
  sources: readonly string[];
  /** The mirror speaks plain HTTP. */
  plainHttp?: boolean;
  /** File name (next to each hosts.toml) holding the mirror's CA, when there is one. */
  caFileName?: string;
  generator?: string;
}

export interface EmittedFile {
  /** Path relative to the output directory. */
  path: string;
  content: string;
}

function q(s: string): string {
  return JSON.stringify(s);
}

function mirrorPath(o: EmitOptions, source: string): string {
  if (o.mode === 'flatten') {
    throw new UnsupportedError('--emit cannot express --mapping flatten: a runtime mirror keeps the repository path', {
      hint: 'use --mapping default or --mapping preserve-registry with --emit',
    });
  }
  const parts = [o.target.prefix, o.mode === 'preserve-registry' ? registryPathComponent(source) : ''].filter((p) => p !== '');
  return parts.join('/');
}

function sorted(sources: readonly string[]): string[] {
  return [...new Set(sources)].sort();
}

/** The upstream endpoint containerd uses for a registry host. */
function upstream(host: string): string {
  return host === 'docker.io' ? 'https://registry-1.docker.io' : `https://${host}`;
}

/** `<source-host>/hosts.toml` files pointing each source registry at the mirror. */
export function renderContainerdHosts(o: EmitOptions): EmittedFile[] {
  const scheme = o.plainHttp ? 'http' : 'https';
  return sorted(o.sources).map((source) => {
    const p = mirrorPath(o, source);
    const lines = [
      `# Written by ${o.generator ?? 'airlift'} (airlift relocate --emit containerd): pull ${source} images from ${formatTarget(o.target)}.`,
      `# Install as /etc/containerd/certs.d/${source}/hosts.toml (config_path = "/etc/containerd/certs.d").`,
      `server = ${q(upstream(source))}`,
      '',
    ];
    if (p === '') {
      lines.push(`[host.${q(`${scheme}://${o.target.host}`)}]`, '  capabilities = ["pull", "resolve"]');
    } else {
      // override_path: the URL already holds the API root (/v2) and the mirror's path prefix.
      lines.push(`[host.${q(`${scheme}://${o.target.host}/v2/${p}`)}]`, '  capabilities = ["pull", "resolve"]', '  override_path = true');
    }
    if (o.caFileName && !o.plainHttp) lines.push(`  ca = ${q(o.caFileName)}`);
    return { path: `${source}/hosts.toml`, content: lines.join('\n') + '\n' };
  });
}

/** A registries.conf (v2) mirror section for every source registry. */
export function renderRegistriesConf(o: EmitOptions): string {
  const lines = [
    `# Written by ${o.generator ?? 'airlift'} (airlift relocate --emit registries-conf): pull from ${formatTarget(o.target)}.`,
    '# Merge into /etc/containers/registries.conf, or drop into /etc/containers/registries.conf.d/.',
  ];
  for (const source of sorted(o.sources)) {
    const p = mirrorPath(o, source);
    lines.push(
      '',
      '[[registry]]',
      `prefix = ${q(source)}`,
      `location = ${q(source)}`,
      '',
      '[[registry.mirror]]',
      `location = ${q(p === '' ? o.target.host : `${o.target.host}/${p}`)}`,
      `insecure = ${o.plainHttp ? 'true' : 'false'}`,
    );
  }
  return lines.join('\n') + '\n';
}
