/**
 * The one values-path module (src/chart/values-path.ts): get/has/set/format, and the guard that
 * keeps `__proto__`, `constructor` and other inherited names plain keys: never read from a
 * prototype, never written into one (a --set, a values file, an override).
 */
import { describe, expect, it } from 'vitest';
import { dottedPath, formatPath, getPath, hasPath, setPath } from '../../../src/chart/values-path.js';
import { mergeValues, subchartValues } from '../../../src/chart/values.js';
import { parseSetValues } from '../../../src/chart/strvals.js';
import { buildTree } from '../../../src/relocate/values-tree.js';
import { ConflictError } from '../../../src/errors.js';
import { parseYamlMap } from '../../../src/chart/yaml.js';

const INHERITED = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

describe('getPath / hasPath', () => {
  it('walk maps and lists', () => {
    const v = { a: [{ b: null }, { c: 'x' }] };
    expect(getPath(v, ['a', 1, 'c'])).toBe('x');
    expect(getPath(v, ['a', 0, 'b'])).toBeNull();
    expect(hasPath(v, ['a', 0, 'b'])).toBe(true);
    expect(hasPath(v, ['a', 2])).toBe(false);
    expect(getPath(v, ['a', 'b'])).toBeUndefined();
    expect(getPath(v, ['a', 0, 'b', 'c'])).toBeUndefined();
    expect(hasPath(v, [])).toBe(true);
  });

  it('never read what a map inherits: only its own keys are there', () => {
    const v = { image: { repository: 'r' } };
    for (const k of INHERITED) {
      expect(getPath(v, [k]), k).toBeUndefined();
      expect(getPath(v, ['image', k]), k).toBeUndefined();
      expect(hasPath(v, ['image', k]), k).toBe(false);
    }
    expect(getPath({ a: [1] }, ['a', 'length'])).toBeUndefined();
  });

  it('read a key named like an inherited one when the map has it as its own', () => {
    const v = parseYamlMap('constructor:\n  image: app:1\n"__proto__":\n  tag: "2"\n', 'values.yaml');
    expect(getPath(v, ['constructor', 'image'])).toBe('app:1');
    expect(hasPath(v, ['__proto__', 'tag'])).toBe(true);
    expect(getPath(v, ['__proto__', 'tag'])).toBe('2');
  });
});

describe('setPath', () => {
  it('creates maps on the way and writes into lists it is given', () => {
    const root: Record<string, unknown> = { list: ['a', 'b'] };
    setPath(root, ['x', 'y', 'z'], 1);
    setPath(root, ['list', 1], 'B');
    expect(root).toEqual({ x: { y: { z: 1 } }, list: ['a', 'B'] });
    setPath(root, ['made', 0, 'image'], 'i', () => [{ image: 'old' }, { image: 'keep' }]);
    expect(root.made).toEqual([{ image: 'i' }, { image: 'keep' }]);
  });

  it('writes __proto__ and constructor as own keys, leaving every prototype alone', () => {
    const root: Record<string, unknown> = {};
    setPath(root, ['__proto__', 'polluted'], 'yes');
    setPath(root, ['constructor', 'image'], 'app:1');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(root)).toBe(Object.prototype);
    expect(Object.keys(root)).toEqual(['__proto__', 'constructor']);
    expect(getPath(root, ['__proto__', 'polluted'])).toBe('yes');
    expect(JSON.parse(JSON.stringify(root))).toEqual(JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":{"image":"app:1"}}'));
  });

  it('refuses a path through a value of another kind, past a list, or with no list to write into', () => {
    expect(() => setPath({ a: 'text' }, ['a', 'b'], 1)).toThrow(ConflictError);
    expect(() => setPath({ a: 'text' }, ['a', 'b'], 1)).toThrow('cannot write a.b: a is already set to a value that is not a map');
    expect(() => setPath({ a: [1] }, ['a', 3], 1)).toThrow('index 3 is not in the chart');
    expect(() => setPath({}, ['a', 0, 'b'], 1)).toThrow("cannot write below a: the chart's values hold no list there");
    expect(() => setPath({}, [], 1)).toThrow('cannot write the whole values tree');
  });
});

describe('formatPath / dottedPath', () => {
  it('formatPath writes --set syntax, escaping what --set would read as syntax', () => {
    expect(formatPath(['spec', 'containers', 0, 'image'])).toBe('spec.containers[0].image');
    expect(formatPath(['artifacthub.io/images', 'a=b', 'c,d'])).toBe('artifacthub\\.io/images.a\\=b.c\\,d');
  });
  it('dottedPath writes a path for people, keys as they are', () => {
    expect(dottedPath(['spec', 'containers', 0, 'image'])).toBe('spec.containers[0].image');
    expect(dottedPath(['a.b', 0, 1])).toBe('a.b[0][1]');
  });
});

describe('the guard where values are merged, set and overridden', () => {
  it('a --set of __proto__ or constructor sets keys with those names and pollutes nothing', () => {
    const v = parseSetValues(['__proto__.polluted=yes,constructor.prototype.x=1'], { typed: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(getPath(v, ['__proto__', 'polluted'])).toBe('yes');
    expect(getPath(v, ['constructor', 'prototype', 'x'])).toBe(1);
  });

  it('merging values with such keys keeps them as keys', () => {
    const over = parseYamlMap('"__proto__":\n  a: 1\nsub:\n  toString: x\n', 'values.yaml');
    const merged = mergeValues({ sub: { keep: true } }, over);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(getPath(merged, ['__proto__', 'a'])).toBe(1);
    expect(getPath(merged, ['sub', 'toString'])).toBe('x');
    expect(getPath(merged, ['sub', 'keep'])).toBe(true);
    expect(subchartValues({}, 'constructor', { image: 'i' })).toEqual({ image: 'i', global: {} });
  });

  it('an override below a key named constructor is written, not refused as "not a map"', () => {
    const tree = buildTree([{ path: ['constructor', 'image'], value: 'mirror/app:1', reason: 'test' }], []);
    expect(getPath(tree, ['constructor', 'image'])).toBe('mirror/app:1');
  });
});
