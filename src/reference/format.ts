/** Writing references back as strings. */
import type { Reference } from './types.js';

/** "docker.io/library/nginx:1.25", "reg:5000/a/b:t@sha256:…", "host/a@sha256:…". */
export function formatReference(r: Reference): string {
  return `${r.registry}/${r.repository}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}

/** "docker.io/library/nginx": registry and repository, no tag or digest. */
export function repositoryString(r: Reference): string {
  return `${r.registry}/${r.repository}`;
}
