/**
 * The scan keeps parsed YAML and whole renders by content (text-cache.ts, render-cache.ts): a
 * chart given twice is parsed and rendered once. What a cache gives must be what the work would
 * have given: each caller's own copy of parsed values, the second copy of a
 * chart found at its own path, and what its templates did to `.Values` done to its values too.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanCharts } from '../../../src/chart/index.js';
import { scanRendered } from '../../../src/chart/rendered.js';
import { FUNCS } from '../../../src/chart/template/funcs.js';
import { decodeFile, exactJson } from '../../../src/chart/text-cache.js';
import { parseYaml, parseYamlDocuments } from '../../../src/chart/yaml.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'airlift-caches-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('content-keyed caches of the scan', () => {
  it('parsed YAML: a caller that changes its values changes only its copy', () => {
    const text = 'image:\n  repository: example/app\n  tags: [a, b]\n';
    const first = parseYaml(text, 'one.yaml') as { image: { repository: string; tags: string[] } };
    first.image.repository = 'changed';
    first.image.tags.push('c');
    expect(parseYaml(text, 'two.yaml')).toEqual({ image: { repository: 'example/app', tags: ['a', 'b'] } });
    const docs = parseYamlDocuments('a: 1\n---\nb: [2]\n', 'x');
    (docs[1] as { b: number[] }).b.push(3);
    expect(parseYamlDocuments('a: 1\n---\nb: [2]\n', 'y')).toEqual([{ a: 1 }, { b: [2] }]);
    // errors are not kept: each names its own file
    expect(() => parseYaml('a: [1\n', 'first.yaml')).toThrow(/first\.yaml/);
    expect(() => parseYaml('a: [1\n', 'second.yaml')).toThrow(/second\.yaml/);
  });

  it('decoded files are kept by their bytes: the same bytes give the same text, other bytes another digest', () => {
    const one = decodeFile(Buffer.from('image: example/app:1\n'));
    const again = decodeFile(Buffer.from('image: example/app:1\n'));
    const other = decodeFile(Buffer.from('image: example/app:2\n'));
    expect(again).toEqual(one);
    expect(one.text).toBe('image: example/app:1\n');
    expect(other.digest).not.toBe(one.digest);
    expect(other.text).toBe('image: example/app:2\n');
    // a slice of a larger buffer is decoded as its own bytes
    const big = Buffer.from('xxximage: example/app:1\nyyy');
    expect(decodeFile(big.subarray(3, 3 + one.text.length))).toEqual(one);
  });

  it('decoded files: bytes that share size, start, middle and end but differ elsewhere are told apart', () => {
    const make = (c: string) => Buffer.from(`${'a'.repeat(16)}${'b'.repeat(20)}${c}${'b'.repeat(20)}${'c'.repeat(16)}${'d'.repeat(10)}${c}${'e'.repeat(10)}${'f'.repeat(16)}`);
    const x = make('x');
    const y = make('y');
    expect(x.length).toBe(y.length);
    const dx = decodeFile(x);
    const dy = decodeFile(y);
    expect(dy.text).toBe(y.toString('utf8'));
    expect(dy.digest).toBe(createHash('sha256').update(y).digest('base64'));
    expect(dy.digest).not.toBe(dx.digest);
    expect(decodeFile(make('x'))).toEqual(dx);
    // a caller's buffer changed afterwards changes nothing kept
    const z = make('z');
    const dz = decodeFile(z);
    z.fill(0x41);
    expect(decodeFile(make('z'))).toEqual(dz);
    expect(decodeFile(z).text).toBe('A'.repeat(z.length));
    // bytes that are not UTF-8 and the bytes of the text they decode to: one text, each its own digest
    const bad = Buffer.from([0x61, 0xff, 0x62]);
    const good = Buffer.from('a\ufffdb');
    const dBad = decodeFile(bad);
    const dGood = decodeFile(good);
    expect(dBad.text).toBe(dGood.text);
    expect(dBad.digest).toBe(createHash('sha256').update(bad).digest('base64'));
    expect(dGood.digest).toBe(createHash('sha256').update(good).digest('base64'));
    expect(decodeFile(Buffer.from([0x61, 0xff, 0x62])).digest).toBe(dBad.digest);
    expect(decodeFile(Buffer.from('a\ufffdb')).digest).toBe(dGood.digest);
    // a file larger than any looked up before (the compare buffer grows)
    const large = Buffer.from('x'.repeat(300 * 1024) + 'é');
    expect(decodeFile(large).text).toBe('x'.repeat(300 * 1024) + 'é');
    expect(decodeFile(Buffer.from('x'.repeat(300 * 1024) + 'é')).digest).toBe(createHash('sha256').update(large).digest('base64'));
  });

  it('exact JSON keys refuse what JSON would confuse; toYaml kept by them prints each value as it is', () => {
    expect(exactJson({ a: [1, 'x', null, true] })).toBe('{"a":[1,"x",null,true]}');
    for (const bad of [{ a: undefined }, [undefined], { n: Number.NaN }, { z: -0 }, { d: new Date(0) }, { m: new Map() }, { f: () => 1 }]) {
      expect(() => exactJson(bad), JSON.stringify(bad)).toThrow();
    }
    // the rule as a JSON.stringify replacer (the way exactJson was written first), as the judge
    const byReplacer = (v: unknown): string =>
      JSON.stringify(v, function (this: Record<string, unknown>, k: string, x: unknown) {
        const raw = this[k];
        if (raw === undefined || typeof raw === 'function' || typeof raw === 'symbol' || typeof raw === 'bigint') throw new Error('not exact');
        if (typeof raw === 'number' && (!Number.isFinite(raw) || Object.is(raw, -0))) throw new Error('not exact');
        if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
          const proto = Object.getPrototypeOf(raw) as unknown;
          if (proto !== Object.prototype && proto !== null) throw new Error('not exact');
        }
        return x;
      });
    const judged = (v: unknown): string => {
      try {
        return byReplacer(v);
      } catch {
        return 'throws';
      }
    };
    const mine = (v: unknown): string => {
      try {
        return exactJson(v);
      } catch {
        return 'throws';
      }
    };
    const nullProto = Object.assign(Object.create(null) as object, { a: 1, toJSON: 'x' });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const cases: unknown[] = [
      null, 'x', '', true, 0, 1.5, -1, 1e300, -0, Number.NaN, Infinity, undefined, () => 1, Symbol('s'), 10n,
      [], {}, [1, [2, [3, {}]]], { a: { b: [null, 'c', { d: false }] } }, [1, , 3], [undefined], { a: [Number.NaN] },
      nullProto, { d: new Date(0) }, [new Date(0)], { m: new Map() }, new Set(), new String('s'), { s: Symbol('x') },
      { nested: { deeper: { n: -0 } } }, { big: 2n }, cyclic, { 1: 'a', b: 'c', 0: 'z' },
    ];
    for (const c of cases) expect(mine(c), String(judged(c))).toBe(judged(c));
    // (the replacer saw a toJSON's result only, and made { toJSON: () => 'x' } the key of 'x')
    expect(mine({ toJSON: () => 'x' })).toBe('throws');
    const toYaml = (v: unknown) => FUNCS.toYaml!({} as never, v);
    expect(toYaml({ b: 1, a: ['x'] })).toBe('a:\n  - x\nb: 1');
    expect(toYaml({ b: 1, a: ['x'] })).toBe('a:\n  - x\nb: 1');
    // a value with no exact key (a Date) is printed each time, not kept
    expect(toYaml({ t: new Date(0) })).toBe('t: 1970-01-01T00:00:00.000Z');
    expect(toYaml({ n: Number.NaN })).toBe('n: .nan');
  });

  it('rendered scans: a caller that changes its images changes only its own', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      image: example/app:1\n';
    const first = scanRendered(text, 'one.yaml');
    expect(first.images).toEqual([{ image: 'example/app:1', where: 'Pod/p containers[a]' }]);
    first.images[0]!.image = 'changed';
    first.images.push({ image: 'more', where: 'x' });
    expect(scanRendered(text, 'two.yaml')).toEqual({ images: [{ image: 'example/app:1', where: 'Pod/p containers[a]' }], containers: 1 });
  });

  it('a chart changed in place between two scans of one process is scanned as it is now', async () => {
    const dir = path.join(tmp, 'edited', 'app');
    mkdirSync(path.join(dir, 'templates'), { recursive: true });
    writeFileSync(path.join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: app\nversion: 0.1.0\n');
    const pod = (image: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      image: ${image}\n    - name: b\n      image: example/literal:1\n`;
    writeFileSync(path.join(dir, 'values.yaml'), 'image: example/app:1\n');
    writeFileSync(path.join(dir, 'templates', 'pod.yaml'), pod('{{ .Values.image }}'));
    expect((await scanCharts([dir], { keepCharts: false })).images.map((i) => i.formatted)).toEqual(['docker.io/example/app:1', 'docker.io/example/literal:1']);
    writeFileSync(path.join(dir, 'values.yaml'), 'image: example/app:2\n');
    expect((await scanCharts([dir], { keepCharts: false })).images.map((i) => i.formatted)).toEqual(['docker.io/example/app:2', 'docker.io/example/literal:1']);
    writeFileSync(path.join(dir, 'templates', 'pod.yaml'), pod('{{ .Values.image }}').replace('example/literal:1', 'example/literal:2'));
    expect((await scanCharts([dir], { keepCharts: false })).images.map((i) => i.formatted)).toEqual(['docker.io/example/app:2', 'docker.io/example/literal:2']);
  });

  it('a chart given twice (a copy elsewhere) gives the same findings at its own path, templates that set .Values included', async () => {
    const a = path.join(tmp, 'a', 'setter');
    mkdirSync(path.join(a, 'templates'), { recursive: true });
    writeFileSync(path.join(a, 'Chart.yaml'), 'apiVersion: v2\nname: setter\nversion: 0.1.0\nappVersion: "1.0"\n');
    writeFileSync(path.join(a, 'values.yaml'), 'image:\n  repository: example/app\n  tag: ""\nside:\n  image: example/side:3.0\n');
    writeFileSync(
      path.join(a, 'templates', 'pod.yaml'),
      [
        '{{- $_ := set .Values.image "tag" (default .Chart.AppVersion .Values.image.tag) }}',
        '{{- $_ := set .Values "resolved" (printf "%s/extra:%s" .Values.image.repository .Values.image.tag) }}',
        'apiVersion: v1',
        'kind: Pod',
        'metadata: {name: p}',
        'spec:',
        '  containers:',
        '    - name: app',
        '      image: {{ .Values.image.repository }}:{{ .Values.image.tag }}',
        '    - name: side',
        '      image: {{ .Values.side.image }}',
        '    - name: extra',
        '      image: {{ .Values.resolved }}',
        '',
      ].join('\n'),
    );
    const b = path.join(tmp, 'b', 'setter');
    cpSync(a, b, { recursive: true });
    const once = await scanCharts([a]);
    const twice = await scanCharts([a, b]);
    expect(once.images.map((i) => i.formatted)).toEqual(['docker.io/example/app/extra:1.0', 'docker.io/example/app:1.0', 'docker.io/example/side:3.0']);
    // found at the values path the template set: read from the values as rendering left them
    expect(once.findings.filter((f) => f.raw.includes('extra') && !f.notRendered).map((f) => f.path.join('.'))).toEqual(['resolved']);
    const half = twice.findings.length / 2;
    expect(twice.findings).toHaveLength(once.findings.length * 2);
    const ofB = twice.findings.slice(half);
    // the copy's findings name the copy
    expect(ofB.every((f) => !f.file.includes(`${path.sep}a${path.sep}`))).toBe(true);
    expect(ofB.some((f) => f.file.startsWith(b))).toBe(true);
    const neutral = (fs: typeof ofB, dir: string) => JSON.parse(JSON.stringify(fs).split(dir).join('<chart>')) as unknown;
    expect(neutral(ofB, b)).toEqual(neutral(once.findings, a));
    expect(neutral(twice.findings.slice(0, half), a)).toEqual(neutral(once.findings, a));
    expect(twice.chartValues[1]!.values).toEqual(once.chartValues[0]!.values);
  });
});
