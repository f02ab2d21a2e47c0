/** The mirror a run copies into: `HOST[:PORT][/PREFIX]`. */
import { UsageError } from '../errors.js';
import { looksLikeHost } from '../reference/host.js';
import { normaliseRegistry } from '../reference/parse.js';
import { checkHost, checkPath } from '../reference/validate.js';

export interface Target {
  /** "mirror:5000", "registry.example.com", "[::1]:5000". */
  host: string;
  /** Repository path prefix without leading or trailing "/"; "" for none. */
  prefix: string;
}

const FORM = 'HOST[:PORT][/PREFIX], e.g. mirror.example.com/team or 127.0.0.1:5000';

/** Parses "mirror:5000/team/x" → { host: 'mirror:5000', prefix: 'team/x' }. Throws UsageError. */
export function parseTarget(s: string): Target {
  const shown = JSON.stringify(s);
  if (typeof s !== 'string' || s === '') throw new UsageError('empty target registry', { hint: `give ${FORM}` });
  if (s.trim() !== s || /\s/.test(s)) throw new UsageError(`target ${shown} contains whitespace`, { hint: `give ${FORM}` });
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.exec(s);
  if (scheme) {
    throw new UsageError(`target ${shown} must not start with ${JSON.stringify(scheme[0])}`, {
      hint: `give ${FORM}; for a registry served over plain HTTP add --plain-http`,
    });
  }
  const trimmed = s.replace(/\/+$/, '');
  const slash = trimmed.indexOf('/');
  const host = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const prefix = slash < 0 ? '' : trimmed.slice(slash + 1);

  if (!looksLikeHost(host)) {
    throw new UsageError(
      `target ${shown}: ${JSON.stringify(host)} is not a registry host (a host has a "." or a ":PORT", or is "localhost")`,
      { hint: `give ${FORM}` },
    );
  }
  const badHost = checkHost(host);
  if (badHost) throw new UsageError(`target ${shown}: ${badHost}`, { hint: `give ${FORM}` });

  if (prefix !== '') {
    const badPrefix = checkPath(prefix);
    if (badPrefix) {
      throw new UsageError(`target ${shown}: prefix ${JSON.stringify(prefix)}: ${badPrefix.replace(/^repository name/, 'prefix')}`, {
        hint: 'a prefix is a repository path: lowercase components separated by "/", e.g. mirror.example.com/team/images',
      });
    }
  }
  return { host: normaliseRegistry(host), prefix };
}

export function formatTarget(t: Target): string {
  return t.prefix === '' ? t.host : `${t.host}/${t.prefix}`;
}
