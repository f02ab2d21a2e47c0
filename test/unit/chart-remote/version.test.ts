/** helm's version constraints (Masterminds semver v3) translated to node-semver, and version choice. */
import { describe, expect, it } from 'vitest';
import { chooseVersion, isExactVersion, parseChartVersion, parseConstraint, satisfies } from '../../../src/chart/remote/version.js';

const ok = (c: string, v: string): boolean => satisfies(parseChartVersion(v)!, parseConstraint(c));
const ALL = ['0.0.3', '0.0.4', '0.1.0', '0.2.5', '1.0.0', '1.2.0', '1.2.3', '1.2.10', '1.3.0', '1.3.1-rc.1', '2.0.0', '2.1.0-beta.1', 'v3.0.0', 'latest'];

describe('helm constraints', () => {
  it.each([
    ['1.2.x', '1.2.10', true],
    ['1.2.x', '1.3.0', false],
    ['1.x', '1.3.0', true],
    ['1.x', '2.0.0', false],
    ['*', '2.0.0', true],
    ['^1.2', '1.9.0', true],
    ['^1.2', '2.0.0', false],
    ['~1.2', '1.2.10', true],
    ['~1.2', '1.3.0', false],
    ['~>1.2', '1.2.3', true],
    ['>=1.2, <2', '1.3.0', true],
    ['>=1.2, <2', '2.0.0', false],
    ['>=1.2 <2', '1.1.0', false],
    ['>= 1.2, < 2', '1.5.0', true],
    ['1.0.x || >=2.0.0', '1.0.4', true],
    ['1.0.x || >=2.0.0', '1.2.0', false],
    ['1.0.x || >=2.0.0', '2.3.0', true],
    ['!=1.2.3', '1.2.3', false],
    ['>=1.2, !=1.2.3', '1.2.4', true],
    ['>=1.2, !=1.2.3', '1.2.3', false],
    ['=1.2.3', '1.2.3', true],
    ['v1.2.3', '1.2.3', true],
    ['>=v1.2', '1.2.0', true],
    ['1.2 - 1.4', '1.4.0', true],
    ['1.2 - 1.4', '1.5.0', false],
    ['^0.2', '0.2.9', true],
    ['^0.2', '0.3.0', false],
    // Masterminds v3: ^0.0.3 is >=0.0.3 <0.1.0 (node-semver alone would stop at 0.0.4)
    ['^0.0.3', '0.0.9', true],
    ['^0.0.3', '0.1.0', false],
    // a prerelease matches only a constraint that names one
    ['>=1.0.0', '1.3.1-rc.1', false],
    ['>=1.3.0-0', '1.3.1-rc.1', true],
  ])('%s admits %s: %s', (c, v, want) => {
    expect(ok(c, v)).toBe(want);
  });

  it('refuses what is no constraint, naming it', () => {
    expect(() => parseConstraint('>=abc')).toThrow(/"?>=abc"? .*is not a version or a constraint helm takes/);
    expect(() => parseConstraint('1.0 ||')).toThrow(/empty part/);
  });

  it('reads versions as Masterminds does', () => {
    expect(parseChartVersion('v1.2')?.version).toBe('1.2.0');
    expect(parseChartVersion('1')?.version).toBe('1.0.0');
    expect(parseChartVersion('1.2.3+build.5')?.build).toEqual(['build', '5']);
    expect(parseChartVersion('latest')).toBeUndefined();
    expect(isExactVersion('1.2.3')).toBe(true);
    expect(isExactVersion('1.2.x')).toBe(false);
    expect(isExactVersion('^1.2.3')).toBe(false);
  });
});

describe('chooseVersion', () => {
  it('takes the newest non-prerelease when no version is asked', () => {
    expect(chooseVersion(ALL, undefined).chosen).toBe('v3.0.0');
    expect(chooseVersion(['1.0.0', '2.0.0-rc.1'], undefined).chosen).toBe('1.0.0');
  });
  it('takes the newest release a range admits, and an exact string as listed', () => {
    expect(chooseVersion(ALL, '1.x').chosen).toBe('1.3.0');
    expect(chooseVersion(ALL, '1.2.x').chosen).toBe('1.2.10');
    expect(chooseVersion(ALL, '^0.0.3').chosen).toBe('0.0.4');
    expect(chooseVersion(ALL, '2.1.0-beta.1').chosen).toBe('2.1.0-beta.1');
    expect(chooseVersion(['1.2.3+a', '1.2.3+b'], '1.2.3+b').chosen).toBe('1.2.3+b');
  });
  it('lists the nearest versions when none matches', () => {
    const c = chooseVersion(ALL, '1.4.x');
    expect(c.chosen).toBeUndefined();
    expect(c.nearest).toContain('1.3.0');
    expect(c.nearest.length).toBeLessThanOrEqual(5);
  });
});
