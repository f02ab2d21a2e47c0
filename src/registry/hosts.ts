/** Registry host names: loopback detection, scheme choice, Docker Hub aliases. Pure. */
import { isIP } from 'node:net';

/** Splits "host:port" / "[::1]:port" into host and port parts. */
export function splitHostPort(hostPort: string): { hostname: string; port?: string } {
  if (hostPort.startsWith('[')) {
    const end = hostPort.indexOf(']');
    const hostname = hostPort.slice(1, end);
    const rest = hostPort.slice(end + 1);
    return rest.startsWith(':') ? { hostname, port: rest.slice(1) } : { hostname };
  }
  const colons = hostPort.split(':').length - 1;
  if (colons === 1) {
    const [hostname, port] = hostPort.split(':') as [string, string];
    return { hostname, port };
  }
  return { hostname: hostPort };
}

/** 127.0.0.0/8, ::1 and localhost (with or without a port). */
export function isLoopbackHost(hostPort: string): boolean {
  const { hostname } = splitHostPort(hostPort.toLowerCase());
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  if (isIP(hostname) === 4) return hostname.startsWith('127.');
  if (isIP(hostname) === 6) return hostname === '::1' || hostname === '0:0:0:0:0:0:0:1';
  return false;
}

export type SchemePlan = { first: 'https' | 'http'; fallbackToHttp: boolean };

/**
 * https by default; plain http for hosts named with --plain-http; loopback
 * hosts try https first and fall back to http when TLS does not connect.
 */
export function schemePlan(host: string, plainHttp: readonly string[]): SchemePlan {
  const h = host.toLowerCase();
  if (plainHttp.some((p) => p.toLowerCase() === h || p.toLowerCase() === splitHostPort(h).hostname)) {
    return { first: 'http', fallbackToHttp: false };
  }
  return { first: 'https', fallbackToHttp: isLoopbackHost(h) };
}

/** The host that serves the API for a registry name (docker.io → registry-1.docker.io). */
export function apiHost(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' ? 'registry-1.docker.io' : registry;
}

/**
 * The hosts a pull from `registry` connects to, for firewall allowlists: its API host, and for
 * Docker Hub also its token server and the CDN its blob downloads are redirected to.
 */
export function connectedHosts(registry: string): string[] {
  const api = apiHost(registry);
  if (api === 'registry-1.docker.io') return ['registry-1.docker.io', 'auth.docker.io', 'production.cloudflare.docker.com'];
  return [api];
}

/** Keys under which credential files may store a registry (Docker Hub has several). */
export function credentialKeys(registry: string): string[] {
  if (registry === 'docker.io' || registry === 'index.docker.io' || registry === 'registry-1.docker.io') {
    return ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/'];
  }
  return [registry];
}

/** Normalises a credential file key ("https://host/v1/", "http://host") to "host[/path]". */
export function normalizeCredentialKey(key: string): string {
  let k = key.trim();
  k = k.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  k = k.replace(/\/+$/, '');
  k = k.replace(/\/v[12]$/, '');
  if (k === 'index.docker.io' || k === 'registry-1.docker.io') k = 'docker.io';
  return k;
}
