import { describe, expect, it } from 'vitest';
import { formatPath, getPath, hasPath, mergeLayers, mergeValues, originOf, subchartValues } from '../../../src/chart/values.js';
import { parseSetFileValues, parseSetJsonValues, parseSetValues, typedValue } from '../../../src/chart/strvals.js';
import { UsageError } from '../../../src/errors.js';

describe('mergeValues (Helm coalesce)', () => {
  it('merges maps deeply, replaces lists and scalars', () => {
    const base = { a: { b: 1, c: [1, 2], d: { e: 'x' } }, keep: true };
    const over = { a: { c: [9], d: { f: 'y' } } };
    expect(mergeValues(base, over)).toEqual({ a: { b: 1, c: [9], d: { e: 'x', f: 'y' } }, keep: true });
    expect(base.a.c).toEqual([1, 2]); // inputs untouched
  });
  it('null in the overriding layer deletes the key', () => {
    expect(mergeValues({ a: { b: 1, c: 2 } }, { a: { b: null } })).toEqual({ a: { c: 2 } });
  });
  it('a map replaces a scalar and the other way round', () => {
    expect(mergeValues({ a: 'x' }, { a: { b: 1 } })).toEqual({ a: { b: 1 } });
    expect(mergeValues({ a: { b: 1 } }, { a: 'x' })).toEqual({ a: 'x' });
  });
  it('later layers win', () => {
    expect(mergeLayers({ t: '1' }, [{ t: '2' }, { t: '3' }])).toEqual({ t: '3' });
  });
  it('subchart values: parent values under its key win, global flows and merges', () => {
    const parent = { global: { imageRegistry: 'mirror:5000', a: 1 }, sub: { image: { tag: '2' } } };
    const defaults = { global: { a: 0, b: 2 }, image: { repository: 'x', tag: '1' } };
    expect(subchartValues(parent, 'sub', defaults)).toEqual({
      global: { imageRegistry: 'mirror:5000', a: 1, b: 2 },
      image: { repository: 'x', tag: '2' },
    });
  });
  it('getPath/hasPath walk maps and lists', () => {
    const v = { a: [{ b: null }] };
    expect(getPath(v, ['a', 0, 'b'])).toBeNull();
    expect(hasPath(v, ['a', 0, 'b'])).toBe(true);
    expect(hasPath(v, ['a', 1])).toBe(false);
    expect(getPath(v, ['x', 'y'])).toBeUndefined();
  });
  it('formatPath writes --set syntax', () => {
    expect(formatPath(['kube-prometheus-stack', 'prometheusOperator', 'image'])).toBe('kube-prometheus-stack.prometheusOperator.image');
    expect(formatPath(['spec', 'containers', 0, 'image'])).toBe('spec.containers[0].image');
    expect(formatPath(['a.b', 'c'])).toBe('a\\.b.c');
  });
  it('originOf finds the highest-precedence layer that sets a path', () => {
    const layers = [
      { file: '--set', values: { a: { tag: '9' } }, prefix: [] },
      { file: 'sub/values.yaml', values: { image: { repository: 'r' } }, prefix: ['sub'] },
    ];
    expect(originOf(layers, ['a', 'tag'])).toBe('--set');
    expect(originOf(layers, ['sub', 'image', 'repository'])).toBe('sub/values.yaml');
    expect(originOf(layers, ['zzz'])).toBeUndefined();
  });
});

describe('--set parsing (strvals)', () => {
  const set = (...e: string[]) => parseSetValues(e, { typed: true });
  it('dotted keys and typed values', () => {
    expect(set('a.b=c,n=10,t=true,f=false,z=null,s=1.5,o=0755')).toEqual({ a: { b: 'c' }, n: 10, t: true, f: false, z: null, s: '1.5', o: '0755' });
  });
  it('--set-string keeps strings', () => {
    expect(parseSetValues(['n=10,t=true,z=null'], { typed: false })).toEqual({ n: '10', t: 'true', z: 'null' });
  });
  it('list indexes and list values', () => {
    expect(set('a[1]=x')).toEqual({ a: [null, 'x'] });
    expect(set('c[0].image=nginx,c[0].name=web')).toEqual({ c: [{ image: 'nginx', name: 'web' }] });
    expect(set('l={a,b,c}')).toEqual({ l: ['a', 'b', 'c'] });
    expect(set('m[0][1]=x')).toEqual({ m: [[null, 'x']] });
  });
  it('escapes: commas in values, dots in keys', () => {
    expect(set('a=1\\,2,b=x')).toEqual({ a: '1,2', b: 'x' });
    expect(set('nodeSelector.kubernetes\\.io/os=linux')).toEqual({ nodeSelector: { 'kubernetes.io/os': 'linux' } });
  });
  it('an empty value is an empty string; several expressions merge', () => {
    expect(set('a=', 'b.c=1', 'b.d=2')).toEqual({ a: '', b: { c: 1, d: 2 } });
  });
  it('rejects malformed expressions with a UsageError naming the flag', () => {
    expect(() => set('a.b')).toThrow(UsageError);
    expect(() => set('a[x]=1')).toThrow(/--set "a\[x\]=1": list index/);
    expect(() => set('=1')).toThrow(/empty key/);
    expect(() => set('a[99999999]=1')).toThrow(/larger than/);
  });
  it('typedValue', () => {
    expect(typedValue('-3')).toBe(-3);
    expect(typedValue('0')).toBe(0);
    expect(typedValue('99999999999999999999')).toBe('99999999999999999999');
  });
});

describe('--set-json and --set-file parsing (strvals)', () => {
  it('--set-json: a JSON value per key, commas inside the JSON belong to it, keys as in --set', () => {
    expect(parseSetJsonValues(['image={"repository":"org/app","tag":"1.2"},pullPolicy="Always"'])).toEqual({
      image: { repository: 'org/app', tag: '1.2' },
      pullPolicy: 'Always',
    });
    expect(parseSetJsonValues(['a.b[1]=[1,"x,y",{"c":null}]', 'n=3', 's="a\\"b,c"'])).toEqual({ a: { b: [null, [1, 'x,y', { c: null }]] }, n: 3, s: 'a"b,c' });
  });

  it('--set-json: a value that is not JSON is a usage error naming the flag and the value', () => {
    expect(() => parseSetJsonValues(['image={repository: org/app}'])).toThrow(UsageError);
    expect(() => parseSetJsonValues(['image={repository: org/app}'])).toThrow(/--set-json .*not JSON/);
    expect(() => parseSetJsonValues(['tag=v1'])).toThrow(/--set-json "tag=v1": value "v1" is not JSON/);
  });

  it('--set-file: each path becomes the content the reader returns, always a string', () => {
    const files: Record<string, string> = { 'tag.txt': '1.0', 'ca.pem': '-----BEGIN-----\nx\n' };
    const read = (p: string): string => files[p] ?? (() => { throw new Error(`no ${p}`); })();
    expect(parseSetFileValues(['image.tag=tag.txt,tls.ca=ca.pem'], read)).toEqual({ image: { tag: '1.0' }, tls: { ca: '-----BEGIN-----\nx\n' } });
    expect(() => parseSetFileValues(['image.tag='], read)).toThrow(/--set-file .*empty file path/);
  });
});
