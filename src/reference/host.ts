/** Telling a registry host from the first path component of a repository. */
import { checkHost } from './validate.js';

/**
 * Docker's rule for the first component of a name: it is a registry host when
 * it contains "." or ":", is "localhost", or has uppercase letters (a path
 * never does). Syntax is not checked here.
 */
export function looksLikeHost(component: string): boolean {
  return component === 'localhost' || component.includes('.') || component.includes(':') || component !== component.toLowerCase();
}

/** True when `component` is read as a registry host and is a valid host[:port]. */
export function isRegistryHost(component: string): boolean {
  return looksLikeHost(component) && checkHost(component) === undefined;
}

/**
 * Splits a repository string that may embed a host ("quay.io/org/app" →
 * { registry: 'quay.io', path: 'org/app' }; "bitnami/nginx" → { path:
 * 'bitnami/nginx' }). Uses the same rule as parseReference; nothing is
 * validated or normalised, so pass the parts to parseReference afterwards.
 */
export function splitRepository(s: string): { registry?: string; path: string } {
  const slash = s.indexOf('/');
  if (slash < 0) return { path: s };
  const first = s.slice(0, slash);
  if (!looksLikeHost(first)) return { path: s };
  return { registry: first, path: s.slice(slash + 1) };
}
