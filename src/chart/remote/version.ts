/**
 * Chart version selection as helm does it (Masterminds semver v3 constraints), on the `semver`
 * package: a version string is an exact version or a constraint; `,` and spaces mean AND, `||` OR;
 * `1.2.x`, `1.x`, `*`, `^1.2`, `~1.2`, `>=1.2 <2`, `1.2 - 1.4` and `!=1.2.3`. Where Masterminds
 * differs from node-semver the constraint is translated: `!=` (node has none), `^0.0.P` (Masterminds:
 * >=0.0.P <0.1.0; node: <0.0.P+1), a leading `v`, and `=`/`==`. Versions that are not semver
 * (helm skips them) are skipped. No version asked: the newest that is not a prerelease.
 */
import semver from 'semver';
import { InputError } from '../../errors.js';

/** A version as Masterminds reads it: "v1.2" is 1.2.0, "1" is 1.0.0; undefined when it is not semver. */
export function parseChartVersion(v: string): semver.SemVer | undefined {
  const s = v.trim().replace(/^v(?=\d)/, '');
  const direct = semver.parse(s, { loose: true });
  if (direct) return direct;
  // "1.2" and "1" with optional prerelease/build: pad the missing parts.
  const m = /^(\d+)(?:\.(\d+))?((?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/.exec(s);
  if (!m) return undefined;
  return semver.parse(`${m[1]}.${m[2] ?? '0'}.0${m[3] ?? ''}`, { loose: true }) ?? undefined;
}

type Term = { kind: 'range'; range: semver.Range } | { kind: 'not'; version: semver.SemVer };

export interface VersionConstraint {
  /** As the user wrote it. */
  text: string;
  /** OR of ANDs of terms. */
  groups: Term[][];
  /** Whether some term names a prerelease (then prereleases may match, as in Masterminds). */
  prerelease: boolean;
}

/** Translates one AND group of Masterminds terms into node-semver terms. */
function translateTerm(raw: string, text: string): Term {
  let t = raw.trim();
  const ne = /^!=\s*v?(.+)$/.exec(t);
  if (ne) {
    const version = parseChartVersion(ne[1]!);
    if (!version) throw new InputError(`"${raw}" in "${text}" does not name a version`);
    return { kind: 'not', version };
  }
  t = t.replace(/^==?\s*/, '').replace(/^(\^|~>?|[<>]=?)\s*v(?=\d)/, '$1').replace(/^v(?=\d)/, '');
  t = t.replace(/^~>/, '~');
  const caret00 = /^\^0\.0\.(\d+)(-[0-9A-Za-z.-]+)?$/.exec(t);
  if (caret00) t = `>=0.0.${caret00[1]}${caret00[2] ?? ''} <0.1.0`;
  const range = (() => {
    try {
      return new semver.Range(t, { loose: true });
    } catch {
      return undefined;
    }
  })();
  if (!range) throw new InputError(`"${raw}" in "${text}" is not a version or a constraint helm takes`);
  return { kind: 'range', range };
}

/** Splits an AND group into terms: commas, and spaces between whole terms (a hyphen range stays one). */
function splitAnd(group: string): string[] {
  const out: string[] = [];
  for (const part of group.split(',')) {
    const p = part.trim();
    if (p === '') continue;
    if (/\s-\s/.test(p)) {
      out.push(p); // "1.2 - 1.4"
      continue;
    }
    // ">= 1.2 < 2" → [">=1.2", "<2"]: join an operator with the version after it, then split.
    const tokens = p.replace(/(\^|~>?|!=|==?|[<>]=?)\s+/g, '$1').split(/\s+/);
    out.push(...tokens.filter(Boolean));
  }
  return out;
}

/** Parses a helm version constraint; throws an InputError with a readable message when it is not one (callers name where it came from). */
export function parseConstraint(text: string): VersionConstraint {
  const groups = text.split('||').map((g) => splitAnd(g).map((t) => translateTerm(t, text)));
  if (groups.some((g) => g.length === 0)) throw new InputError(`"${text}" has an empty part`);
  return { text, groups, prerelease: /-[0-9A-Za-z]/.test(text.replace(/\s-\s/g, ' ')) };
}

export function satisfies(v: semver.SemVer, c: VersionConstraint): boolean {
  if (v.prerelease.length > 0 && !c.prerelease) return false;
  return c.groups.some((g) =>
    g.every((t) => (t.kind === 'not' ? semver.compare(v, t.version) !== 0 : t.range.test(v) || (c.prerelease && semver.satisfies(v, t.range, { includePrerelease: true })))),
  );
}

/** Whether a version string is one exact version (no operator, no wildcard). */
export function isExactVersion(v: string): boolean {
  return /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(v.trim());
}

export interface VersionChoice {
  /** The version string as the repository lists it. */
  chosen?: string;
  /** Versions near what was asked, newest first, for an error message (at most 5). */
  nearest: string[];
}

/**
 * Picks the version helm would: an exact string match first (a "1.2.3+build" tag), else the
 * newest version the constraint admits (no constraint: the newest non-prerelease).
 */
export function chooseVersion(available: string[], asked: string | undefined): VersionChoice {
  const parsed = available.map((s) => ({ s, v: parseChartVersion(s) })).filter((x): x is { s: string; v: semver.SemVer } => x.v !== undefined);
  parsed.sort((a, b) => semver.rcompare(a.v, b.v) || (a.s < b.s ? -1 : a.s > b.s ? 1 : 0));
  const wanted = asked?.trim();
  if (wanted && available.includes(wanted)) return { chosen: wanted, nearest: [] };
  if (!wanted) {
    const hit = parsed.find((x) => x.v.prerelease.length === 0);
    return { ...(hit ? { chosen: hit.s } : {}), nearest: parsed.slice(0, 5).map((x) => x.s) };
  }
  const c = parseConstraint(wanted);
  const hit = parsed.find((x) => satisfies(x.v, c));
  if (hit) return { chosen: hit.s, nearest: [] };
  return { nearest: nearestVersions(parsed, wanted) };
}

/** The versions closest to what was asked: around an exact version or the range's bounds, else the newest. */
function nearestVersions(parsed: { s: string; v: semver.SemVer }[], asked: string): string[] {
  const target = parseChartVersion(asked.replace(/^[^\d]*/, '').split(/[\s,|]/)[0]!.replace(/\.[x*]$/i, '.0').replace(/\.[x*]\./i, '.0.'));
  if (!target || parsed.length <= 5) return parsed.slice(0, 5).map((x) => x.s);
  const dist = (v: semver.SemVer) => Math.abs(v.major - target.major) * 1e8 + Math.abs(v.minor - target.minor) * 1e4 + Math.abs(v.patch - target.patch);
  return [...parsed]
    .sort((a, b) => dist(a.v) - dist(b.v) || semver.rcompare(a.v, b.v))
    .slice(0, 5)
    .sort((a, b) => semver.rcompare(a.v, b.v))
    .map((x) => x.s);
}
